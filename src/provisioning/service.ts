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
import { createHash, randomUUID } from 'node:crypto';
import { parseImei } from '../devices/imei.ts';
import { maskImsi } from '../observability/logger.ts';
import { findProfile, getVersion, getVersionById } from '../profiles/repository.ts';
import {
  findOpenFirstUse,
  recordHandsetsInWindow,
  type OpenFirstUse,
} from '../store/repositories/first-use-window.ts';
import { debounceWindowEnd, decideFirstUse, type FirstUseDecision } from '../subscribers/first-use.ts';
import { GroupPolicies } from '../subscribers/group-policies.ts';
import {
  asksFirst,
  confirmationDeadline,
  isCareSource,
  policyFor,
  type GroupPolicy,
} from '../subscribers/policy.ts';
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
import { parsePushContent, refuseUnallowedContent } from './push-content.ts';
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
  transitionMany,
  type NewProvisioning,
  type ProvisioningRecord,
  type TransitionInput,
  type Transitioned,
} from './repository.ts';
import {
  ProvisioningError,
  type Actor,
  type FirstUseOutcome,
  type FirstUseResult,
  type FirstUseTrigger,
  type Provisioning,
  type ProvisioningRequest,
  type ProvisioningService,
  type ProvisioningView,
  type PushContent,
  type ResendOptions,
} from './types.ts';

const DECLINING_ANSWERS = new Set(['NO', 'N', 'STOP', 'CANCEL']);
/** An answer moves only a provisioning still asking ('queued' is also entered from 'queued': quiet hours). */
const ANSWERED_FROM = ['awaiting-confirmation'] as const;
const PROVISIONING_SOURCES = new Set(['first-use', 'dial', 'sms', 'ussd']);
const IMSI = /^[0-9]{6,15}$/;
const MSISDN = /^[0-9]{3,15}$/;
/** How far ahead of our clock a network element's observedAt may be (clock skew); later is refused. */
const MAX_OBSERVED_AHEAD_MS = 5 * 60_000;
/** TAC + serial number: an IMEISV and its IMEI agree on these (3GPP TS 23.003 §6.2). */
const IMEI_IDENTITY_DIGITS = 14;
/**
 * The subscriber's own requests through the network (IVR, keyword, USSD): the network vouches for the
 * IMSI and MSISDN together, so a SIM never seen before is created from them.
 */
const CREATING_SOURCES = new Set(['dial', 'sms', 'ussd']);

/**
 * The BullMQ job id of an idempotency key: its SHA-256 in hex. Job ids name Redis keys
 * (<prefix>:provision:<jobId>) and a first-use key carries the IMSI (first-use.<imsi>.<imei>.<ms>), which
 * must never appear in Redis (issue 15 #13); the same key still gives the same job, so BullMQ keeps
 * refusing a second one. Hex has no ':', which BullMQ refuses in ids.
 */
export function jobIdFor(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex');
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
  /** when the SIM was seen, never later than our clock (the debounce window is measured from it) */
  at: Date;
  /** observedAt as the network element gave it (ms): part of the idempotency key */
  observedAt: number;
  source: string;
  origin: string | undefined;
  actor: Actor;
}

interface FirstUseRecorded {
  outcome: FirstUseResult['outcome'];
  /** the provisioning the trigger started, or whose handset it replaced */
  provisioningId?: string;
  created?: ProvisioningRecord;
  /** the provisioning held by the debounce window, now for this trigger's handset */
  replaced?: Transitioned;
}

/** A validated first-use trigger's identities and time; INVALID_REQUEST (422) names the field. */
function validFirstUse(
  trigger: FirstUseTrigger,
  now: Date,
): { msisdn: string; imei: string; at: Date; observedAt: number } {
  if (!IMSI.test(trigger.imsi)) throw invalidField('imsi', 'imsi must be 6 to 15 digits');
  const msisdn = normaliseMsisdn(trigger.msisdn);
  if (!MSISDN.test(msisdn)) throw invalidField('msisdn', 'msisdn must be 3 to 15 digits');
  const parsedImei = parseImei(trigger.imei);
  if (!parsedImei.ok) {
    throw new ProvisioningError('INVALID_REQUEST', `imei: ${parsedImei.message}`, {
      code: parsedImei.code,
      issues: [{ field: 'imei', message: parsedImei.message, code: parsedImei.code }],
    });
  }
  const imeiDigits = trigger.imei.replace(/\D/g, '');
  const imeisv = trigger.imeisv?.replace(/[\s-]/g, '');
  // An IMEISV is the same handset's identity with a software version instead of the check digit.
  if (
    imeisv !== undefined &&
    imeisv.slice(0, IMEI_IDENTITY_DIGITS) !== imeiDigits.slice(0, IMEI_IDENTITY_DIGITS)
  )
    throw invalidField('imeisv', 'imeisv: its first 14 digits (TAC and serial number) must be those of imei');
  const imei = imeisv !== undefined && /^[0-9]{16}$/.test(imeisv) ? imeisv : imeiDigits;
  const observed = trigger.observedAt === undefined ? now : new Date(trigger.observedAt);
  if (Number.isNaN(observed.getTime())) throw invalidField('observedAt', 'observedAt is not a time');
  if (observed.getTime() > now.getTime() + MAX_OBSERVED_AHEAD_MS) {
    throw invalidField(
      'observedAt',
      `observedAt is more than ${MAX_OBSERVED_AHEAD_MS / 60_000} minutes ahead of the gateway's clock`,
    );
  }
  // Within the clock skew allowed, a time ahead is taken as now: no window may start in the future.
  const at = observed.getTime() > now.getTime() ? now : observed;
  return { msisdn, imei, at, observedAt: observed.getTime() };
}

function invalidField(field: string, message: string): ProvisioningError {
  return new ProvisioningError('INVALID_REQUEST', message, {
    field,
    issues: [{ field, message, code: 'invalid_value' }],
  });
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
    const { msisdn, imei, at, observedAt } = validFirstUse(trigger, deps.now());
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
      observedAt,
      source,
      origin,
      actor,
    });
    deps.metrics.triggers.inc({ outcome: result.outcome });
    if (result.created) announceState(deps, result.created, null, source);
    if (result.replaced) announceTransition(deps, result.replaced, 'handset-changed');
    return result.provisioningId === undefined
      ? { outcome: result.outcome }
      : { outcome: result.outcome, provisioningId: result.provisioningId };
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
    const key = `first-use.${item.imsi}.${item.imei.slice(0, 14)}.${item.observedAt}`;
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
        debounceUntil: this.windowEnd(item).toISOString(),
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
    if (asksFirst(policy, item.source)) {
      return {
        ...base,
        state: 'awaiting-confirmation',
        cause: 'ask-first',
        confirmBy: confirmationDeadline(deps.now(), policy),
      };
    }
    return { ...base, state: 'queued', cause: 'first-use' };
  }

  private windowEnd(item: FirstUseItem): Date {
    return debounceWindowEnd(item.at, this.deps.config.provisioning.debounceMs);
  }

  private decide(item: FirstUseItem, subscriber: Subscriber): FirstUseDecision {
    return decideFirstUse(
      {
        imei: subscriber.currentImei ?? undefined,
        lastTriggerAt: subscriber.imeiChangedAt ?? undefined,
        lastSeenAt: subscriber.seenAt ?? undefined,
      },
      { imei: item.imei, at: item.at },
      this.deps.config.provisioning.debounceMs,
      this.deps.now(),
    );
  }

  /**
   * Records triggers of distinct SIMs and numbers in one transaction (one alone is a batch of one): the
   * subscribers locked, their handsets, the provisionings the triggers start (their pushes wait for the
   * debounce window to close) or whose handset they replace, and the jobs.
   */
  private async recordFirstUses(items: FirstUseItem[]): Promise<FirstUseRecorded[]> {
    const { deps } = this;
    const policies = await this.policies.all();
    return deps.db.transaction(async (tx) => {
      const subscribers = await lockSubscribersForTriggers(tx, items);
      const batch = new FirstUseBatch();
      for (const item of items) {
        const subscriber = subscribers.get(item.imsi)!;
        const decision = this.decide(item, subscriber);
        const pending = decision === 'last-in-window' ? await findOpenFirstUse(tx, subscriber.id) : undefined;
        if (pending) {
          batch.replace(item, subscriber, pending);
          continue;
        }
        // A window whose provisioning is gone (it failed, or is being sent) holds nothing to replace:
        // the newest handset starts its own.
        const provisions = decision === 'provision' || decision === 'last-in-window';
        batch.handsets.push({
          subscriberId: subscriber.id,
          imei: item.imei,
          at: item.at,
          newHandset: provisions,
        });
        if (!provisions) {
          batch.answer(decision === 'unchanged' ? 'unchanged' : 'debounced');
          continue;
        }
        const planned = this.planFirstUse(
          item,
          subscriber,
          await this.devices.resolve(tx, item.imei),
          policies,
        );
        batch.insert(planned, this.windowEnd(item).getTime() - deps.now().getTime());
      }
      await recordTriggerHandsets(tx, batch.handsets);
      await recordHandsetsInWindow(tx, batch.windowHandsets);
      const replaced = await transitionMany(tx, batch.replacements);
      const created = await this.insertWithJobs(tx, batch.inserts, batch.delays);
      return batch.results(created, replaced);
    });
  }

  /**
   * The new provisionings and their jobs. The jobs go to Redis while the rows are written. Each
   * provisioning's advisory lock is taken first, so a worker that gets its job before the commit waits
   * for it (repository.ts holdUntilCommitted); a failed add fails the batch before it commits. A job
   * whose row turns out not to be inserted (its idempotency key was taken) has the key's job id, which
   * BullMQ keeps for the existing job.
   */
  private async insertWithJobs(
    tx: Db,
    inserts: readonly NewProvisioning[],
    delays: ReadonlyMap<string, number>,
  ): Promise<Map<string, ProvisioningRecord>> {
    await holdAllUntilCommitted(
      tx,
      inserts.map((insert) => insert.id),
    );
    const jobs = inserts.flatMap((insert) => jobOf(insert, delays.get(insert.id)) ?? []);
    const [inserted, queued] = await Promise.allSettled([
      insertProvisionings(tx, inserts),
      this.deps.queue.addBulk(jobs),
    ]);
    if (queued.status === 'rejected') throw queued.reason;
    if (inserted.status === 'rejected') throw inserted.reason;
    return inserted.value;
  }

  /**
   * A provisioning for an existing subscriber, or (the subscriber's own request through the network, with
   * the IMSI and MSISDN both known) for a SIM never seen before, created in the same transaction. Sources
   * the group's ask-first policy names wait for the subscriber's YES, unless care skips it.
   */
  async request(input: ProvisioningRequest): Promise<Provisioning> {
    const { deps } = this;
    const who = requestIdentity(input);
    if (input.idempotencyKey) {
      const existing = await findByIdempotencyKey(deps.db, input.idempotencyKey);
      if (existing) return publicProvisioning(existing);
    }
    const content = contentOfRequest(input);
    const profileVersionId =
      input.profileVersionId ?? (input.profileId ? await latestVersionOf(deps.db, input.profileId) : null);
    const policies = await this.policies.all();
    const id = randomUUID();
    const skipConfirmation = input.skipConfirmation === true && isCareSource(input.source);
    const created = await this.insertAndEnqueue(async (tx) => {
      const subscriber = await subscriberForRequest(tx, who, CREATING_SOURCES.has(input.source));
      const policy = policyFor(policies, subscriber.groupName);
      if (content) refuseUnallowedContent(content, policy, subscriber.groupName);
      return this.planRequest(
        {
          id,
          subscriberId: subscriber.id,
          source: input.source,
          reason: input.reason,
          actor: input.actor,
          idempotencyKey: input.idempotencyKey ?? `request.${id}`,
          campaignId: input.campaignId ?? null,
          imei: subscriber.currentImei,
          profileVersionId,
          content,
          details: {
            profileId: input.profileId,
            ...(content ? { content } : {}),
            ...(skipConfirmation ? { skipConfirmation } : {}),
          },
        },
        policy,
        skipConfirmation,
      );
    });
    return publicProvisioning(created);
  }

  /** A request's first state: asking first where the group's policy says so for its source, else queued. */
  private planRequest(
    base: Omit<NewProvisioning, 'state' | 'cause' | 'priority'>,
    policy: GroupPolicy,
    skipConfirmation: boolean,
    cause: string = base.source,
  ): NewProvisioning {
    const planned = { ...base, priority: jobPriority(base.source, policy.priority) };
    if (!skipConfirmation && asksFirst(policy, base.source)) {
      return {
        ...planned,
        state: 'awaiting-confirmation',
        cause: 'ask-first',
        confirmBy: confirmationDeadline(this.deps.now(), policy),
      };
    }
    return { ...planned, state: 'queued', cause };
  }

  /**
   * Care sends a provisioning again, as a care request (care's priority, no quiet hours): a new
   * provisioning linked to the old one, with the current version of its profile unless care asks for the
   * same version again.
   */
  async resend(id: string, reason: string, actor: Actor, options: ResendOptions = {}): Promise<Provisioning> {
    const { deps } = this;
    const old = await getProvisioningRecord(deps.db, id);
    if (!old) throw new ProvisioningError('PROVISIONING_NOT_FOUND', `no provisioning ${id}`);
    const segments = await listSegments(deps.db, id);
    // A push whose submit ended without an answer may have reached the handset: say so on the record.
    const unknownOutcome =
      old.state === 'submitting' ||
      segments.some((segment) => segment.submitStatus === 'pending' && segment.submitAttempts > 0);
    const version = options.version ?? 'current';
    // An SI/SL push is sent again as it was: it has no profile version to bring up to date.
    const profileVersionId =
      version === 'same' || old.content
        ? old.profileVersionId
        : await currentVersionOf(deps.db, old.profileVersionId);
    const policy = await this.policy(old.groupName);
    const skipConfirmation = options.skipConfirmation === true;
    const newId = randomUUID();
    const planned = this.planRequest(
      {
        id: newId,
        subscriberId: old.subscriberId,
        source: 'resend',
        reason,
        actor,
        idempotencyKey: `resend.${newId}`,
        resendOf: old.id,
        imei: old.imei,
        profileVersionId,
        content: old.content,
        details: {
          resendOf: old.id,
          previousState: old.state,
          unknownOutcome,
          version,
          previousVersionId: old.profileVersionId,
          ...(skipConfirmation ? { skipConfirmation } : {}),
        },
      },
      policy,
      skipConfirmation,
      unknownOutcome ? 'resend-after-unknown-outcome' : 'resend',
    );
    return publicProvisioning(await this.insertAndEnqueue(async () => planned));
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

  /** Plans a provisioning in a transaction, inserts it and adds its job before the commit. */
  private async insertAndEnqueue(plan: (tx: Db) => Promise<NewProvisioning>): Promise<ProvisioningRecord> {
    const { deps } = this;
    let input: NewProvisioning | undefined;
    const created = await deps.db.transaction(async (tx) => {
      input = await plan(tx);
      const row = await insertProvisioning(tx, input);
      if (!row) return undefined;
      await holdUntilCommitted(tx, row.id);
      const job = jobOf(input);
      if (job) await deps.queue.add(job.data, job.options);
      return row;
    });
    if (!created) {
      const existing = await findByIdempotencyKey(deps.db, input!.idempotencyKey);
      if (existing) return existing;
      throw new ProvisioningError('INVALID_REQUEST', 'the idempotency key is taken');
    }
    announceState(deps, created, null, input!.cause);
    return created;
  }
}

/** The job of a new provisioning (none for one that failed at once); `delayMs`: not before then. */
function jobOf(
  created: Pick<NewProvisioning, 'id' | 'state' | 'priority' | 'idempotencyKey'>,
  delayMs?: number,
): { data: ProvisionJobData; options: EnqueueOptions } | undefined {
  const data = { provisioningId: created.id };
  if (created.state === 'awaiting-confirmation')
    return {
      data,
      options: {
        jobId: askJobIdFor(created.idempotencyKey),
        priority: created.priority,
        name: JOB_ASK_CONFIRMATION,
      },
    };
  if (created.state === 'queued')
    return {
      data,
      options: { jobId: jobIdFor(created.idempotencyKey), priority: created.priority, delayMs },
    };
  return undefined;
}

/** What one batch of first-use triggers writes, and what each trigger's caller is told. */
class FirstUseBatch {
  readonly handsets: Array<{ subscriberId: string; imei: string; at: Date; newHandset: boolean }> = [];
  /** subscribers whose SIM moved to another handset inside the window */
  readonly windowHandsets: Array<{ subscriberId: string; imei: string }> = [];
  /** the provisionings held by a window, moved to the newest handset */
  readonly replacements: TransitionInput[] = [];
  readonly inserts: NewProvisioning[] = [];
  /** how long each new provisioning's push waits for its window to close */
  readonly delays = new Map<string, number>();
  private readonly plans: Array<{ outcome: FirstUseOutcome; id?: string; replacement?: number }> = [];

  /** A trigger inside the window: its handset is the one the window's provisioning will push to. */
  replace(item: FirstUseItem, subscriber: Subscriber, pending: OpenFirstUse): void {
    this.handsets.push({ subscriberId: subscriber.id, imei: item.imei, at: item.at, newHandset: false });
    this.windowHandsets.push({ subscriberId: subscriber.id, imei: item.imei });
    this.plans.push({ outcome: 'debounced', id: pending.id, replacement: this.replacements.length });
    this.replacements.push({
      id: pending.id,
      from: [pending.state],
      to: pending.state,
      cause: 'handset-changed',
      actor: item.actor,
      details: {
        imei: item.imei,
        previousImei: pending.imei,
        observedAt: item.at.toISOString(),
        origin: item.origin,
      },
      patch: { imei: item.imei },
    });
  }

  insert(planned: NewProvisioning, delayMs: number): void {
    this.inserts.push(planned);
    if (delayMs > 0) this.delays.set(planned.id, delayMs);
    this.plans.push({ outcome: FIRST_USE_OUTCOME[planned.cause]!, id: planned.id });
  }

  /** A trigger that starts nothing and replaces nothing. */
  answer(outcome: FirstUseOutcome): void {
    this.plans.push({ outcome });
  }

  results(
    created: ReadonlyMap<string, ProvisioningRecord>,
    replaced: ReadonlyArray<Transitioned | undefined>,
  ): FirstUseRecorded[] {
    return this.plans.map((plan) => {
      if (plan.replacement !== undefined) {
        const change = replaced[plan.replacement];
        return { outcome: plan.outcome, provisioningId: change?.provisioning.id, replaced: change };
      }
      const row = plan.id === undefined ? undefined : created.get(plan.id);
      return { outcome: plan.outcome, provisioningId: row?.id, created: row };
    });
  }
}

/** A request's SI/SL content, validated (a campaign passes its own); never together with a profile. */
function contentOfRequest(input: ProvisioningRequest): PushContent | null {
  if (input.content === undefined) return null;
  if (input.profileId !== undefined || input.profileVersionId !== undefined)
    throw invalidField('content', 'a request pushes a profile or content, not both');
  return parsePushContent(input.content);
}

/** The identities a request names, validated (the HTTP schemas check them too; MO callers may not). */
function requestIdentity(input: ProvisioningRequest): { imsi?: string; msisdn?: string } {
  const msisdn = input.msisdn === undefined ? undefined : normaliseMsisdn(input.msisdn);
  if (msisdn !== undefined && !MSISDN.test(msisdn))
    throw invalidField('msisdn', 'msisdn must be 3 to 15 digits');
  if (input.imsi !== undefined && !IMSI.test(input.imsi))
    throw invalidField('imsi', 'imsi must be 6 to 15 digits');
  if (msisdn === undefined && input.imsi === undefined)
    throw invalidField('msisdn', 'a request names the subscriber by msisdn or imsi');
  return { imsi: input.imsi, msisdn };
}

/**
 * The subscriber a request is for. With both identities, they must name one subscriber (the MSISDN is
 * where the push goes, the IMSI keys its MAC: docs/protocol.md §3.3): SUBSCRIBER_MISMATCH (409)
 * otherwise. A SIM never seen before is created in group 'default' when `creates` and both are given;
 * SUBSCRIBER_NOT_FOUND says what is missing to create it.
 */
async function subscriberForRequest(
  tx: Db,
  who: { imsi?: string; msisdn?: string },
  creates: boolean,
): Promise<Subscriber> {
  const byImsi = who.imsi === undefined ? undefined : await findSubscriber(tx, { imsi: who.imsi });
  const byMsisdn = who.msisdn === undefined ? undefined : await findSubscriber(tx, { msisdn: who.msisdn });
  if (who.imsi === undefined || who.msisdn === undefined) {
    const found = byImsi ?? byMsisdn;
    if (found) return found;
    const missing = who.imsi === undefined ? 'imsi' : 'msisdn';
    throw notFoundFor(who, creates ? [missing] : []);
  }
  if (byImsi && byImsi.msisdn === who.msisdn) return byImsi;
  // The SIM has no number (it moved to another SIM) and the network says this one is its: it takes it.
  const takesNumber = creates && byImsi !== undefined && byImsi.msisdn === null && byMsisdn === undefined;
  if (byImsi || byMsisdn) {
    if (!takesNumber) throw mismatch(who, byImsi, byMsisdn);
  } else if (!creates) {
    throw notFoundFor(who, []);
  }
  const locked = await lockSubscribersForTriggers(tx, [{ imsi: who.imsi, msisdn: who.msisdn }]);
  return locked.get(who.imsi)!;
}

function notFoundFor(who: { imsi?: string; msisdn?: string }, missing: string[]): ProvisioningError {
  const named = who.msisdn !== undefined ? `MSISDN ${who.msisdn}` : `IMSI ${maskImsi(who.imsi!)}`;
  const message =
    missing.length > 0
      ? `no subscriber with ${named}; a SIM never seen before needs its ${missing.join(' and ')} too`
      : `no subscriber with ${named}`;
  return new ProvisioningError('SUBSCRIBER_NOT_FOUND', message, {
    ...(who.msisdn !== undefined ? { msisdn: who.msisdn } : {}),
    ...(who.imsi !== undefined ? { imsi: maskImsi(who.imsi) } : {}),
    missing,
  });
}

function mismatch(
  who: { imsi?: string; msisdn?: string },
  byImsi: Subscriber | undefined,
  byMsisdn: Subscriber | undefined,
): ProvisioningError {
  const why = byImsi
    ? byMsisdn
      ? 'the msisdn and the imsi belong to different subscribers'
      : 'the subscriber with this imsi has another msisdn'
    : 'the msisdn belongs to a subscriber with another imsi';
  return new ProvisioningError('SUBSCRIBER_MISMATCH', why, {
    msisdn: who.msisdn,
    imsi: maskImsi(who.imsi!),
    fields: ['msisdn', 'imsi'],
  });
}

/** The latest version of the profile a version belongs to (null: none given, the rules select then). */
async function currentVersionOf(db: Db, versionId: string | null): Promise<string | null> {
  if (versionId === null) return null;
  const version = await getVersionById(db, versionId);
  const latest = version && (await getVersion(db, version.profileId));
  return latest?.id ?? versionId;
}

/** A profile (by id or name) -> the id of its latest version. */
async function latestVersionOf(db: Db, profile: string): Promise<string> {
  const found = await findProfile(db, profile);
  const latest = found && (await getVersion(db, found.id));
  if (!latest) throw new ProvisioningError('PROFILE_NOT_FOUND', `no profile ${profile} with a version`);
  return latest.id;
}
