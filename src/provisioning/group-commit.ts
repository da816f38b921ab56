/**
 * Group commit: every caller still waits for its own result, but items that arrive while a batch is being
 * written go together in a later one, so a busy service pays one transaction (and its commit) per batch
 * instead of one per call. An idle service writes an item at once, alone.
 *
 * Up to `maxInFlight` batches are written at the same time (each on its own connection), so a caller
 * waits for about one batch, not for the batch ahead of it as well. Items that share a key are never in
 * flight together, whether in one batch or in two: the later one waits for a batch after the first has
 * finished, so batches never contend for the same rows.
 */
export interface GroupCommitOptions {
  /** items per batch (default 200) */
  maxBatch?: number;
  /** batches written at the same time (default 1) */
  maxInFlight?: number;
}

interface PendingItem<Item, Result> {
  item: Item;
  keys: readonly string[];
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Item, Result> {
  private pending: Array<PendingItem<Item, Result>> = [];
  private readonly keysInFlight = new Set<string>();
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  /**
   * @param write   records a batch; one outcome per item (same order), or throws for all of them
   * @param keysOf  items sharing a key are never written at the same time
   */
  constructor(
    private readonly write: (items: Item[]) => Promise<Array<PromiseSettledResult<Result>>>,
    private readonly keysOf: (item: Item) => readonly string[] = () => [],
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, keys: this.keysOf(item), resolve, reject });
      this.startBatches();
    });
  }

  /** Batches currently being written (for tests and metrics). */
  get batchesInFlight(): number {
    return this.inFlight;
  }

  private startBatches(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return; // everything waiting shares a key with a batch in flight
      this.inFlight += 1;
      void this.writeBatch(batch);
    }
  }

  private async writeBatch(batch: Array<PendingItem<Item, Result>>): Promise<void> {
    try {
      const results = await this.write(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => {
        const outcome = results[index]!;
        if (outcome.status === 'fulfilled') entry.resolve(outcome.value);
        else entry.reject(outcome.reason);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      for (const entry of batch) for (const key of entry.keys) this.keysInFlight.delete(key);
      this.inFlight -= 1;
      this.startBatches();
    }
  }

  /** The oldest pending items, up to maxBatch, skipping any whose key is taken (in this batch or in flight). */
  private take(): Array<PendingItem<Item, Result>> {
    const taken: Array<PendingItem<Item, Result>> = [];
    const rest: Array<PendingItem<Item, Result>> = [];
    for (const entry of this.pending) {
      if (taken.length >= this.maxBatch || entry.keys.some((key) => this.keysInFlight.has(key))) {
        rest.push(entry);
        continue;
      }
      for (const key of entry.keys) this.keysInFlight.add(key);
      taken.push(entry);
    }
    this.pending = rest;
    return taken;
  }
}
