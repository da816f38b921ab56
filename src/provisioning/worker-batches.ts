/**
 * The store work of the jobs a worker runs side by side, grouped (group-commit.ts): the read of each
 * job's provisioning, the move to 'submitting' and the move to 'submitted' with the SMSC's answers.
 * Every job still waits for its own row and outcome; a busy worker pays one round trip and one commit per
 * batch instead of per job, which is most of what a push costs the store (bench:e2e).
 *
 * A batch that fails as a whole (a lost connection, a deadlock, one bad row) is written again one item at
 * a time, so one job's problem is its own.
 */
import type { Db } from '../store/db.ts';
import { GroupCommit, isolatingFailures } from './group-commit.ts';
import { applyParkedReceiptsOf } from './receipts.ts';
import {
  getProvisioningRecords,
  transitionMany,
  type ProvisioningRecord,
  type TransitionInput,
  type Transitioned,
} from './repository.ts';

const MAX_BATCH = 100;

export interface SubmittedOutcome {
  /** the move to 'submitted' (undefined: the provisioning had left 'submitting', e.g. failed) */
  submitted?: Transitioned;
  /** receipts that had arrived before the message ids were stored, and settled the provisioning */
  settled?: Transitioned;
}

export class WorkerBatches {
  /** pushes between the first submit_sm and the stored outcome, each with what resolves when it is stored */
  private readonly submitting = new Map<string, { stored: Promise<void>; resolve: () => void }>();
  private readonly loads: GroupCommit<string, ProvisioningRecord | undefined>;
  private readonly starts: GroupCommit<TransitionInput, Transitioned | undefined>;
  private readonly submits: GroupCommit<TransitionInput, SubmittedOutcome>;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {
    const byId = (input: TransitionInput): string[] => [input.id];
    const options = { maxBatch: MAX_BATCH };
    this.loads = new GroupCommit(
      isolatingFailures(async (ids: string[]) => {
        const records = await getProvisioningRecords(this.db, ids);
        return ids.map((id) => records.get(id));
      }),
      () => [],
      options,
    );
    this.starts = new GroupCommit(
      isolatingFailures((inputs: TransitionInput[]) => transitionMany(this.db, inputs)),
      byId,
      options,
    );
    this.submits = new GroupCommit(
      isolatingFailures((inputs: TransitionInput[]) => this.writeSubmitted(inputs)),
      byId,
      options,
    );
  }

  /** The provisioning with what the worker needs of its subscriber. */
  load(id: string): Promise<ProvisioningRecord | undefined> {
    return this.loads.submit(id);
  }

  /** A transition with no transaction around it (the first move to 'submitting'). */
  transition(input: TransitionInput): Promise<Transitioned | undefined> {
    return this.starts.submit(input);
  }

  /**
   * The move to 'submitted' with the segments' message ids, and then, under the same row locks, the
   * receipts that overtook it (receipts.ts).
   */
  recordSubmitted(input: TransitionInput): Promise<SubmittedOutcome> {
    return this.submits.submit(input);
  }

  /**
   * Marks a push as under way from its first submit_sm until the returned function is called (after its
   * outcome is stored, or it failed). Receipts for it wait for that (afterSubmitStored) rather than
   * overtake the write of the message ids they are matched on.
   */
  beginSubmit(id: string): () => void {
    let resolve!: () => void;
    const stored = new Promise<void>((done) => (resolve = done));
    const entry = { stored, resolve };
    this.submitting.set(id, entry);
    return () => {
      if (this.submitting.get(id) === entry) this.submitting.delete(id);
      resolve();
    };
  }

  /** Resolves when the push's submit outcome is stored; undefined when none is under way here. */
  afterSubmitStored(id: string): Promise<void> | undefined {
    return this.submitting.get(id)?.stored;
  }

  private async writeSubmitted(inputs: TransitionInput[]): Promise<SubmittedOutcome[]> {
    return this.db.transaction(async (tx) => {
      const changes = await transitionMany(tx, inputs);
      const settled = await applyParkedReceiptsOf(
        tx,
        inputs.map((input) => input.id),
        this.now(),
      );
      return inputs.map((input, index) => ({ submitted: changes[index], settled: settled.get(input.id) }));
    });
  }
}
