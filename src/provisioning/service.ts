/**
 * The provisioning service: records requests and queues their jobs.
 *
 * Record + enqueue are atomic: the provisioning row, its events and audit entry are written in a
 * transaction and the BullMQ job is added before that transaction commits. When Redis does not take the
 * job the transaction rolls back and the caller gets QUEUE_UNAVAILABLE (HTTP 503) with nothing recorded.
 * The job may start before the commit is visible: the transaction holds an advisory lock on the
 * provisioning id until it ends, and a worker that finds no row waits on that lock and looks again
 * (repository.ts holdUntilCommitted). A job whose transaction rolled back after the add finds nothing and
 * ends after its attempts without touching anything.
 */
import { randomUUID } from 'node:crypto';
import { parseImei } from '../devices/imei.ts';
import { findProfileByName, getProfile, getVersion } from '../profiles/repository.ts';
import { decideFirstUse, type FirstUseDecision } from '../subscribers/first-use.ts';
import { GroupPolicies } from '../subscribers/group-policies.ts';
import { confirmationDeadline, policyFor, type GroupPolicy } from '../subscribers/policy.ts';
import {
  findSubscriber,
  lockSubscribersForTriggers,
  normaliseMsisdn,
  recordTriggerHandsets,
  type Subscriber,
} from '../subscribers/repository.ts';
import type { Db } from '../store/db.ts';
import { JOB_ASK_CONFIRMATION, JOB_PROVISION, jobPriority, type ProvisionJobData } from '../queues/names.ts';
import type { EnqueueOptions } from '../queues/producers.ts';
import type { DeviceResolution } from '../devices/resolve-device.ts';
import { GroupCommit, isolatingFailures } from './group-commit.ts';
import { DeviceCache } from './device-cache.ts';
import { announceState, announceTransition, type PipelineDeps } from './pipeline.ts';
import {
  findAwaitingConfirmation,
  findByIdempotencyKey,
  getProvisioningRecord,
  holdUntilCommitted,
  insertProvisioning,
  holdAllUntilCommitted,
  insertProvisionings,
  isUuid,
  listEvents,
  listSegments,
  publicProvisioning,
  transition,
  type NewProvisioning,
  type ProvisioningRecord,
  type Transitioned,
} from './repository.ts';
import {
  ProvisioningError,
  type Actor,
  type FirstUseResult,
  type FirstUseTrigger,
  type Provisioning,
  type ProvisioningRequest,
  type ProvisioningService,
  type ProvisioningView,
} from './types.ts';

const DECLINING_ANSWERS = new Set(['NO', 'N', 'STOP', 'CANCEL']);
/** An answer moves only a provisioning still asking ('queued' is also entered from 'queued': quiet hours). */
const ANSWERED_FROM = ['awaiting-confirmation'] as const;
const PROVISIONING_SOURCES = new Set(['first-use', 'dial', 'sms', 'ussd']);
const IMSI = /^[0-9]{6,15}$/;
const MSISDN = /^[0-9]{3,15}$/;

/** BullMQ job ids may not contain ':' (they name Redis keys). */
export function jobIdFor(idempotencyKey: string): string {
  return idempotencyKey.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export function askJobIdFor(idempotencyKey: string): string {
  return `${jobIdFor(idempotencyKey)}.ask`;
}

/** A validated first-use trigger. */
interface FirstUseItem {
  /** the provisioning's id if the trigger starts one: fixed per trigger, so a batch written again one by one reuses it */
  provisioningId: string;
  imsi: string;
  msisdn: string;
  imei: string;
  at: Date;
  source: string;
  origin: string | undefined;
  actor: Actor;
}

interface FirstUseRecorded {
  outcome: FirstUseResult['outcome'];
  created?: ProvisioningRecord;
}

/** The outcome a caller sees for the provisioning cause planFirstUse chose. */
const FIRST_USE_OUTCOME: Record<string, FirstUseResult['outcome']> = {
  'unsupported-device': 'unsupported-device',
  'ask-first': 'awaiting-confirmation',
  'first-use': 'queued',
};

export class DefaultProvisioningService implements ProvisioningService {
  private readonly devices: DeviceCache;
  private readonly policies: GroupPolicies;
  /** Concurrent triggers are recorded together; two of one SIM or one number never share a batch. */
  private readonly firstUses: GroupCommit<FirstUseItem, FirstUseRecorded>;

  constructor(private readonly deps: PipelineDeps) {
    this.devices = deps.devices ?? new DeviceCache(deps.config.devices.operatorDefault);
    this.policies = deps.policies ?? new GroupPolicies(deps.db, deps.config.groups);
    this.firstUses = new GroupCommit(
      // A batch that fails is written again one trigger at a time, so that one trigger's failure is its
      // own; but when Redis did not take the jobs, nothing of the batch is recorded and every caller
      // gets the 503 at once.
      isolatingFailures((items: FirstUseItem[]) => this.recordFirstUses(items), {
        failsEveryItem: (error) => error instanceof ProvisioningError && error.code === 'QUEUE_UNAVAILABLE',
      }),
      (item) => [`imsi:${item.imsi}`, `msisdn:${item.msisdn}`],
    );
  }

  private async policy(group: string): Promise<GroupPolicy> {
    return policyFor(await this.policies.all(), group);
  }

  async requestFirstUse(trigger: FirstUseTrigger, actor: Actor): Promise<FirstUseResult> {
    const { deps } = this;
    if (!IMSI.test(trigger.imsi))
      throw new ProvisioningError('INVALID_REQUEST', 'imsi must be 6 to 15 digits');
    const msisdn = normaliseMsisdn(trigger.msisdn);
    if (!MSISDN.test(msisdn)) throw new ProvisioningError('INVALID_REQUEST', 'msisdn must be 3 to 15 digits');
    const imeiText = (trigger.imeisv ?? trigger.imei).replace(/[\s-]/g, '');
    const parsedImei = parseImei(trigger.imei);
    if (!parsedImei.ok) {
      throw new ProvisioningError('INVALID_REQUEST', `imei: ${parsedImei.message}`, {
        code: parsedImei.code,
      });
    }
    const imei = /^[0-9]{14,16}$/.test(imeiText) ? imeiText : trigger.imei.replace(/\D/g, '');
    const at = trigger.observedAt === undefined ? deps.now() : new Date(trigger.observedAt);
    if (Number.isNaN(at.getTime()))
      throw new ProvisioningError('INVALID_REQUEST', 'observedAt is not a time');
    // The network element that saw the SIM (hlr, eir, probe) is kept as the origin; the provisioning's
    // source says why it exists.
    const source = trigger.source && PROVISIONING_SOURCES.has(trigger.source) ? trigger.source : 'first-use';
    const origin = trigger.source;

    const result = await this.firstUses.submit({
      provisioningId: randomUUID(),
      imsi: trigger.imsi,
      msisdn,
      imei,
      at,
      source,
      origin,
      actor,
    });
    deps.metrics.triggers.inc({ outcome: result.outcome });
    if (result.created) {
      announceState(deps, result.created, null, source);
      return { outcome: result.outcome, provisioningId: result.created.id };
    }
    return { outcome: result.outcome };
  }

  /** The provisioning a trigger that provisions starts (its subscriber is locked, its device resolved). */
  private planFirstUse(
    item: FirstUseItem,
    subscriber: Subscriber,
    device: DeviceResolution | undefined,
    policies: Readonly<Record<string, GroupPolicy>>,
  ): NewProvisioning {
    const { deps } = this;
    const policy = policyFor(policies, subscriber.groupName);
    const key = `first-use.${item.imsi}.${item.imei.slice(0, 14)}.${item.at.getTime()}`;
    const base: Omit<NewProvisioning, 'state' | 'cause'> = {
      id: item.provisioningId,
      subscriberId: subscriber.id,
      source: item.source,
      reason: 'first use of the SIM in a new handset',
      actor: item.actor,
      priority: jobPriority(item.source, policy.priority),
      idempotencyKey: key,
      imei: item.imei,
      details: {
        imei: item.imei,
        observedAt: item.at.toISOString(),
        previousImei: subscriber.currentImei,
        origin: item.origin,
      },
    };
    if (device?.outcome === 'unsupported') {
      return {
        ...base,
        state: 'failed',
        cause: 'unsupported-device',
        failureCode: 'UNSUPPORTED_DEVICE',
        failureReason: device.message,
        details: { ...base.details, reason: device.reason },
      };
    }
    if (policy.confirmation === 'ask-first') {
      return {
        ...base,
        state: 'awaiting-confirmation',
        cause: 'ask-first',
        confirmBy: confirmationDeadline(item.at > deps.now() ? item.at : deps.now(), policy),
      };
    }
    return { ...base, state: 'queued', cause: 'first-use' };
  }

  private decide(item: FirstUseItem, subscriber: Subscriber): FirstUseDecision {
    return decideFirstUse(
      { imei: subscriber.currentImei ?? undefined, lastTriggerAt: subscriber.imeiChangedAt ?? undefined },
      { imei: item.imei, at: item.at },
      this.deps.config.provisioning.debounceMs,
    );
  }

  /** The job of a provisioning (none for one that failed at once). */
  private firstUseJob(
    created: Pick<ProvisioningRecord, 'id' | 'state' | 'priority'> & { idempotencyKey: string | null },
  ): { data: ProvisionJobData; options: EnqueueOptions } | undefined {
    const key = created.idempotencyKey ?? created.id;
    if (created.state === 'awaiting-confirmation')
      return {
        data: { provisioningId: created.id },
        options: { jobId: askJobIdFor(key), priority: created.priority, name: JOB_ASK_CONFIRMATION },
      };
    if (created.state === 'queued')
      return {
        data: { provisioningId: created.id },
        options: { jobId: jobIdFor(key), priority: created.priority },
      };
    return undefined;
  }

  /**
   * Records triggers of distinct SIMs and numbers in one transaction (one alone is a batch of one): the
   * subscribers locked, their handsets, the provisionings the triggers start and their jobs.
   */
  private async recordFirstUses(items: FirstUseItem[]): Promise<FirstUseRecorded[]> {
    const { deps } = this;
    const policies = await this.policies.all();
    return deps.db.transaction(async (tx) => {
      const subscribers = await lockSubscribersForTriggers(tx, items);
      const handsets: Array<{ subscriberId: string; imei: string; at: Date; newHandset: boolean }> = [];
      const inserts: NewProvisioning[] = [];
      const plans: Array<{ outcome: FirstUseRecorded['outcome']; id?: string }> = [];
      for (const item of items) {
        const subscriber = subscribers.get(item.imsi)!;
        const decision = this.decide(item, subscriber);
        handsets.push({
          subscriberId: subscriber.id,
          imei: item.imei,
          at: item.at,
          newHandset: decision === 'provision',
        });
        if (decision !== 'provision') {
          plans.push({ outcome: decision });
          continue;
        }
        const planned = this.planFirstUse(
          item,
          subscriber,
          await this.devices.resolve(tx, item.imei),
          policies,
        );
        inserts.push(planned);
        plans.push({ outcome: FIRST_USE_OUTCOME[planned.cause]!, id: planned.id });
      }
      await recordTriggerHandsets(tx, handsets);
      // The jobs go to Redis while the rows are written. Each provisioning's advisory lock is taken first,
      // so a worker that gets its job before the commit waits for it (repository.ts holdUntilCommitted);
      // a failed add fails the batch before it commits. A job whose row turns out not to be inserted (its
      // idempotency key was taken) has the key's job id, which BullMQ keeps for the existing job.
      await holdAllUntilCommitted(
        tx,
        inserts.map((insert) => insert.id),
      );
      const jobs = inserts.flatMap((insert) => this.firstUseJob(insert) ?? []);
      const [inserted, queued] = await Promise.allSettled([
        insertProvisionings(tx, inserts),
        deps.queue.addBulk(jobs),
      ]);
      if (queued.status === 'rejected') throw queued.reason;
      if (inserted.status === 'rejected') throw inserted.reason;
      const created = inserted.value;
      return plans.map((plan) => ({
        outcome: plan.outcome,
        created: plan.id === undefined ? undefined : created.get(plan.id),
      }));
    });
  }

  async request(input: ProvisioningRequest): Promise<Provisioning> {
    const { deps } = this;
    const subscriber = await findSubscriber(deps.db, { imsi: input.imsi, msisdn: input.msisdn });
    if (!subscriber) {
      throw new ProvisioningError('SUBSCRIBER_NOT_FOUND', 'no subscriber with that MSISDN or IMSI', {
        msisdn: input.msisdn,
      });
    }
    if (input.idempotencyKey) {
      const existing = await findByIdempotencyKey(deps.db, input.idempotencyKey);
      if (existing) return publicProvisioning(existing);
    }
    const profileVersionId = input.profileId ? await latestVersionOf(deps.db, input.profileId) : null;
    const policy = await this.policy(subscriber.groupName);
    const id = randomUUID();
    const key = input.idempotencyKey ?? `request.${id}`;
    const created = await this.insertAndEnqueue({
      id,
      subscriberId: subscriber.id,
      source: input.source,
      reason: input.reason,
      actor: input.actor,
      priority: jobPriority(input.source, policy.priority),
      idempotencyKey: key,
      campaignId: input.campaignId ?? null,
      imei: subscriber.currentImei,
      profileVersionId,
      state: 'queued',
      cause: input.source,
      details: { profileId: input.profileId },
    });
    return publicProvisioning(created);
  }

  async resend(id: string, reason: string, actor: Actor): Promise<Provisioning> {
    const { deps } = this;
    const old = await getProvisioningRecord(deps.db, id);
    if (!old) throw new ProvisioningError('PROVISIONING_NOT_FOUND', `no provisioning ${id}`);
    const segments = await listSegments(deps.db, id);
    // A push whose submit ended without an answer may have reached the handset: say so on the record.
    const unknownOutcome =
      old.state === 'submitting' ||
      segments.some((segment) => segment.submitStatus === 'pending' && segment.submitAttempts > 0);
    const newId = randomUUID();
    const created = await this.insertAndEnqueue({
      id: newId,
      subscriberId: old.subscriberId,
      source: 'resend',
      reason,
      actor,
      priority: jobPriority('resend', (await this.policy(old.groupName)).priority),
      idempotencyKey: `resend.${newId}`,
      resendOf: old.id,
      imei: old.imei,
      profileVersionId: old.profileVersionId,
      state: 'queued',
      cause: unknownOutcome ? 'resend-after-unknown-outcome' : 'resend',
      details: { resendOf: old.id, previousState: old.state, unknownOutcome },
    });
    return publicProvisioning(created);
  }

  async get(id: string): Promise<ProvisioningView | undefined> {
    if (!isUuid(id)) return undefined;
    const record = await getProvisioningRecord(this.deps.db, id);
    if (!record) return undefined;
    const [events, segments] = await Promise.all([
      listEvents(this.deps.db, id),
      listSegments(this.deps.db, id),
    ]);
    return { ...publicProvisioning(record), events, segments };
  }

  async confirm(msisdn: string, answer: string, actor: Actor): Promise<Provisioning | undefined> {
    const { deps } = this;
    const subscriber = await findSubscriber(deps.db, { msisdn });
    if (!subscriber) return undefined;
    const pendingId = await findAwaitingConfirmation(deps.db, subscriber.id);
    if (!pendingId) return undefined;
    const word = answer.trim().toUpperCase();
    const accepted = word === deps.config.provisioning.confirmKeyword.trim().toUpperCase();
    // Anything but a yes or a no (a keyword for another service) leaves the question open.
    if (!accepted && !DECLINING_ANSWERS.has(word)) return undefined;
    const change = await deps.db.transaction(async (tx): Promise<Transitioned | undefined> => {
      if (!accepted) {
        return transition(tx, {
          id: pendingId,
          from: ANSWERED_FROM,
          to: 'cancelled',
          cause: 'declined',
          actor,
          details: { answer: answer.slice(0, 40) },
          patch: {
            failure_code: 'DECLINED',
            failure_reason: 'the subscriber did not confirm',
            finished_at: deps.now(),
          },
        });
      }
      const moved = await transition(tx, {
        id: pendingId,
        from: ANSWERED_FROM,
        to: 'queued',
        cause: 'confirmed',
        actor,
        patch: { queued_at: deps.now() },
      });
      if (moved) {
        await holdUntilCommitted(tx, moved.provisioning.id);
        await deps.queue.add(
          { provisioningId: moved.provisioning.id },
          {
            jobId: jobIdFor(moved.provisioning.idempotencyKey ?? moved.provisioning.id),
            priority: moved.provisioning.priority,
            name: JOB_PROVISION,
          },
        );
      }
      return moved;
    });
    if (!change) return undefined;
    announceTransition(deps, change, accepted ? 'confirmed' : 'declined');
    return publicProvisioning(change.provisioning);
  }

  private async insertAndEnqueue(input: NewProvisioning): Promise<ProvisioningRecord> {
    const { deps } = this;
    const created = await deps.db.transaction(async (tx) => {
      const row = await insertProvisioning(tx, input);
      if (!row) return undefined;
      await holdUntilCommitted(tx, row.id);
      await deps.queue.add(
        { provisioningId: row.id },
        { jobId: jobIdFor(input.idempotencyKey), priority: input.priority },
      );
      return row;
    });
    if (!created) {
      const existing = await findByIdempotencyKey(deps.db, input.idempotencyKey);
      if (existing) return existing;
      throw new ProvisioningError('INVALID_REQUEST', 'the idempotency key is taken');
    }
    announceState(deps, created, null, input.cause);
    return created;
  }
}

/** A profile (by id or name) -> the id of its latest version. */
async function latestVersionOf(db: Db, profile: string): Promise<string> {
  const found = isUuid(profile) ? await getProfile(db, profile) : await findProfileByName(db, profile);
  const latest = found && (await getVersion(db, found.id));
  if (!latest) throw new ProvisioningError('PROFILE_NOT_FOUND', `no profile ${profile} with a version`);
  return latest.id;
}
