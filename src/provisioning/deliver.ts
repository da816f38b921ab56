/**
 * The work of one provisioning job: resolve the device, select the profile version, apply the group
 * policy, compose the signed push, submit it and record the outcome of every segment.
 *
 * Failures are typed: PermanentFailure ends the provisioning as failed with its code (the processor turns
 * it into an UnrecoverableError); anything else is transient and retried with backoff, and on the last
 * attempt the provisioning fails with the last error.
 */
import { createHash, randomInt } from 'node:crypto';
import type { OutboundPush, SegmentResult, SmscConnector } from '../connectors/types.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { getVersion, listRules, type StoredProfileRule } from '../profiles/repository.ts';
import { selectProfile } from '../profiles/rules.ts';
import {
  capReached,
  capWindow,
  dailyCapActionOf,
  isCareSource,
  isQuiet,
  nextAllowedTime,
  policyFor,
  policyTimeZone,
  type GroupPolicy,
} from '../subscribers/policy.ts';
import { countPushesBetween } from '../subscribers/repository.ts';
import type { Db } from '../store/db.ts';
import type { GroupPolicies } from '../subscribers/group-policies.ts';
import type { DeviceCache } from './device-cache.ts';
import type { PushComposer } from './compose.ts';
import { announceTransition, WORKER_ACTOR, type PipelineDeps } from './pipeline.ts';
import {
  appendEvent,
  getProvisioningRecord,
  lockProvisionings,
  recordSubmitResults,
  transition,
  waitForCommit,
  type ProvisioningRecord,
  type SegmentOutcomeRecord,
  type Transitioned,
} from './repository.ts';
import { isAllowed, statesEntering, TransitionNotAllowed } from './state-machine.ts';
import { senderOf } from '../subscribers/request-keywords.ts';
import { sendText } from '../texts/send.ts';
import { subscriberText } from '../texts/subscriber-text.ts';
import { FINAL_STATES, type PushContent, type SecurityMethod } from './types.ts';
import { composeContent } from './compose-content.ts';
import { CodecError } from '../../codecs/errors.ts';
import { ProfileError } from '../profiles/errors.ts';
import type { WorkerBatches } from './worker-batches.ts';
import { acceptedSegmentWriter } from './accepted-segments.ts';
import {
  countResentPossiblySent,
  readEarlierAttempt,
  resetResentSegments,
  type EarlierAttempt,
} from './resend-repository.ts';

export interface DeliveryDeps extends PipelineDeps {
  devices: DeviceCache;
  policies: GroupPolicies;
  /** the jobs' reads and writes, grouped across the jobs running at the same time */
  batches: WorkerBatches;
  connector: SmscConnector;
  composer: PushComposer;
  rules: RuleCache;
}

/** Ends the provisioning as failed: retrying cannot help. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Errors that come out the same however often the job runs (the profile version renders or encodes to
 * the same failure for the same device; a transition the table refuses stays refused): as a
 * PermanentFailure, so the job ends at once instead of being retried `attempts` times. Anything else is
 * undefined (left to retry).
 */
export function deterministicFailure(error: unknown): PermanentFailure | undefined {
  if (error instanceof PermanentFailure) return error;
  if (error instanceof ProfileError || error instanceof CodecError) {
    return new PermanentFailure('COMPOSE_FAILED', `the push cannot be composed: ${error.message}`, {
      error: error.code,
    });
  }
  if (error instanceof TransitionNotAllowed) {
    return new PermanentFailure('TRANSITION_NOT_ALLOWED', error.message);
  }
  return undefined;
}

/** Not ready yet (the row is not committed, the SMSC is away): try again later. */
export class TransientFailure extends Error {
  override readonly name = 'TransientFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** How the job runner lets the work move itself into the future (quiet hours). */
export interface JobControl {
  attemptsMade: number;
  lastAttempt: boolean;
  /** moves the job to run at `at`; never returns normally */
  delayUntil(at: Date): Promise<never>;
}

/** Selection rules change rarely and are read for every push: cached for a few seconds. */
export class RuleCache {
  private rules: StoredProfileRule[] | undefined;
  private readonly versions = new Map<string, string>();
  private loadedAt = 0;
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5_000,
  ) {}
  private expireWhenStale(): void {
    if (Date.now() - this.loadedAt > this.ttlMs) {
      this.rules = undefined;
      this.versions.clear();
    }
  }
  async get(): Promise<StoredProfileRule[]> {
    this.expireWhenStale();
    if (!this.rules) {
      this.rules = await listRules(this.db, { enabledOnly: true });
      this.loadedAt = Date.now();
    }
    return this.rules;
  }
  /** The id of a rule's version (null: the profile's latest, which a new save changes: cached as long as the rules). */
  async versionId(profileId: string, version: number | null): Promise<string | undefined> {
    this.expireWhenStale();
    const key = `${profileId}/${version ?? 'latest'}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const id = (await getVersion(this.db, profileId, version ?? undefined))?.id;
    if (id) this.versions.set(key, id);
    return id;
  }
  clear(): void {
    this.rules = undefined;
    this.versions.clear();
  }
}

/**
 * Pauses (ms) before looking again for a row whose job overtook the producer's commit. The commit
 * usually lands within milliseconds, and a look through the batched load holds no pooled connection
 * while it waits; waitForCommit holds one for as long as the producer's transaction lasts, and with
 * jobs that are not delayed (care, keywords, campaigns) dozens of such waiters took every connection
 * of the pool from the requests themselves (bench:hot-path --debounce-ms 0).
 */
const LOOK_AGAIN_MS = [2, 5, 10, 20, 40];

/** The provisioning of a job; waits for the producer's transaction when the job overtook its commit. */
async function loadForJob(
  deps: DeliveryDeps,
  provisioningId: string,
): Promise<ProvisioningRecord | undefined> {
  const record = await deps.batches.load(provisioningId);
  if (record) return record;
  for (const pauseMs of LOOK_AGAIN_MS) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const again = await deps.batches.load(provisioningId);
    if (again) return again;
  }
  await waitForCommit(deps.db, provisioningId);
  return getProvisioningRecord(deps.db, provisioningId);
}

function notVisible(provisioningId: string): TransientFailure {
  return new TransientFailure(
    'PROVISIONING_NOT_VISIBLE',
    `provisioning ${provisioningId} is not (yet) in the store`,
  );
}

/** A signed push, ready for the SMSC, and what was decided on the way (its submit event says so). */
interface ComposedPush {
  device: ResolvedDevice;
  /** null: an SI/SL push (content), which carries no profile */
  versionId: string | null;
  /** what was sent: the device's format for settings, null for an SI/SL push (content_kind says which) */
  format: ResolvedDevice['format'] | null;
  security: SecurityMethod;
  omitted: string[];
  /** the parts left out so that the push fits the device's max_segments (compose.ts fitToDevice) */
  omittedToFit: string[];
  segments: OutboundPush['segments'];
  /** the PIN of a USER* method, for its own text */
  subscriberCode: string | undefined;
}

/** A push for one attempt: its UDH reference and digest, and the segments an earlier attempt got accepted. */
interface AttemptPush extends ComposedPush {
  reference: number;
  digest: string;
  /** accepted with a message id by an earlier attempt of the same bytes: not sent again */
  kept: number[];
}

export async function deliverProvisioning(
  deps: DeliveryDeps,
  provisioningId: string,
  control: JobControl,
): Promise<void> {
  const record = await loadForJob(deps, provisioningId);
  if (!record) throw notVisible(provisioningId);
  if (
    FINAL_STATES.has(record.state) ||
    record.state === 'submitted' ||
    record.state === 'awaiting-confirmation'
  ) {
    return;
  }
  const msisdn = record.msisdn;
  if (!msisdn) throw new PermanentFailure('NO_MSISDN', 'the subscriber has no MSISDN to send to');
  const now = deps.now();
  const policy = policyFor(await deps.policies.all(), record.groupName);
  const device = await resolveDevice(deps, record);
  // Care's own pushes and resends are sent when care asks, quiet hours or not.
  if (!isCareSource(record.source) && policy.quietHours && isQuiet(now, policy.quietHours)) {
    return deferForQuietHours(deps, record, policy.quietHours, now, control);
  }
  await checkDailyCap(deps, record, policy, now, control);
  const earlier = record.state === 'submitting' ? await readEarlierAttempt(deps.db, record.id) : undefined;
  const push = await composeForAttempt(earlier, (reference) =>
    record.content
      ? composeContentPush(deps, record.content, msisdn, device, reference)
      : composePush(deps, record, msisdn, device, policy, reference),
  );

  const attempt = control.attemptsMade + 1;
  const started = await startSubmit(deps, record, push, attempt);
  if (!started) return; // finished meanwhile (failed, expired by a sweep)
  announceTransition(deps, started, started.from === 'submitting' ? 'resubmit' : 'submit');

  // Receipts for this push wait until its outcome is stored (runtime.ts), so they find the message ids.
  const submitStored = deps.batches.beginSubmit(record.id);
  let failure: PermanentFailure | TransientFailure | undefined;
  try {
    failure = await submitAndRecord(
      deps,
      record,
      {
        destination: msisdn,
        kind: 'wap-push',
        segments: push.segments.filter((segment) => !push.kept.includes(segment.index)),
      },
      { resubmit: record.state === 'submitting', attempt },
    );
  } finally {
    submitStored();
  }
  if (failure) throw failure;
  if (push.subscriberCode !== undefined) {
    await sendPinText(deps, { id: record.id, msisdn, language: policy.language }, push.subscriberCode);
  }
}

async function resolveDevice(deps: DeliveryDeps, record: ProvisioningRecord): Promise<ResolvedDevice> {
  const resolution = await deps.devices.resolve(deps.db, record.imei);
  if (resolution.outcome === 'unsupported') {
    throw new PermanentFailure('UNSUPPORTED_DEVICE', resolution.message, { reason: resolution.reason });
  }
  return resolution.device;
}

/** Records why the push waits and moves its job to the end of the quiet hours. */
async function deferForQuietHours(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  quietHours: NonNullable<GroupPolicy['quietHours']>,
  now: Date,
  control: JobControl,
): Promise<never> {
  const notBefore = nextAllowedTime(now, quietHours);
  return deferUntil(deps, record, notBefore, 'quiet-hours', { timeZone: quietHours.timeZone }, control);
}

/**
 * Records why the push waits (the state stays, with an event saying why, where the state machine allows
 * that: queued, submitting) and moves its job to `notBefore`.
 */
async function deferUntil(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  notBefore: Date,
  cause: 'quiet-hours' | 'daily-cap',
  details: Record<string, unknown>,
  control: JobControl,
): Promise<never> {
  const change = isAllowed(record.state, record.state)
    ? await transition(deps.db, {
        id: record.id,
        from: [record.state],
        to: record.state,
        cause,
        actor: WORKER_ACTOR,
        details: { notBefore: notBefore.toISOString(), ...details },
        patch: { not_before: notBefore },
      })
    : undefined;
  if (change) announceTransition(deps, change, cause, { notBefore: notBefore.toISOString() });
  return control.delayUntil(notBefore);
}

/**
 * A push beyond the group's daily cap waits for the subscriber's next local day (dailyCapAction 'defer',
 * the default), or fails with DAILY_CAP_REACHED ('fail').
 */
async function checkDailyCap(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  policy: GroupPolicy,
  now: Date,
  control: JobControl,
): Promise<void> {
  if (policy.dailyCap === undefined) return;
  const window = capWindow(now, policy);
  const sent = await countPushesBetween(deps.db, record.subscriberId, window.start, window.end);
  if (!capReached(sent, policy)) return;
  if (dailyCapActionOf(policy) === 'fail') {
    throw new PermanentFailure(
      'DAILY_CAP_REACHED',
      `the subscriber had ${sent} pushes today (cap ${policy.dailyCap})`,
    );
  }
  // The next day may fall in quiet hours: the job then defers again for those when it runs.
  const details = { sent, dailyCap: policy.dailyCap, timeZone: policyTimeZone(policy) };
  return deferUntil(deps, record, window.end, 'daily-cap', details, control);
}

/** The SHA-256 of a push's segments as sent (UDH or TLV parameters included), hex: equal bytes, equal digest. */
function digestOf(segments: OutboundPush['segments']): string {
  const hash = createHash('sha256');
  for (const segment of segments) {
    hash.update(JSON.stringify([segment.index, segment.total, segment.udhi, segment.tlv ?? null]));
    hash.update(segment.tpud);
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * The push of this attempt. An attempt after an earlier one (a job run again in `submitting`) composes
 * it again under the earlier UDH reference; when that gives the same bytes (digest), only the segments
 * the SMSC did not accept with a message id are sent again, and the handset completes one message from
 * the parts of both attempts (docs/protocol.md §5.1: parts are joined by reference and sequence; a part
 * received twice with the same bytes is one part). Otherwise (a new PIN, another version) the whole
 * push goes out under a new reference, so that its parts never mix with the earlier ones.
 */
async function composeForAttempt(
  earlier: EarlierAttempt | undefined,
  compose: (reference: number) => ComposedPush | Promise<ComposedPush>,
): Promise<AttemptPush> {
  if (earlier?.reference !== undefined && earlier.digest !== undefined) {
    const again = await compose(earlier.reference);
    const digest = digestOf(again.segments);
    if (digest === earlier.digest) {
      const kept = earlier.accepted.filter((index) => index <= again.segments.length);
      return { ...again, reference: earlier.reference, digest, kept };
    }
  }
  // The concatenation reference only has to differ between pushes in flight to one handset
  // (docs/protocol.md §5.1), and from the earlier attempt's
  const reference =
    earlier?.reference === undefined ? randomInt(0, 256) : (earlier.reference + randomInt(1, 256)) % 256;
  const push = await compose(reference);
  return { ...push, reference, digest: digestOf(push.segments), kept: [] };
}

/** The profile version for this device, compiled, signed and split into the SMS the SMSC takes. */
async function composePush(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  msisdn: string,
  device: ResolvedDevice,
  policy: GroupPolicy,
  reference: number,
): Promise<ComposedPush> {
  const versionId = record.profileVersionId ?? (await selectVersion(deps, record, device));
  // UDH in the payload or port/SAR TLVs, as the SMSC that will carry it wants (docs/protocol.md §5.4).
  const mode = deps.connector.segmentModeFor(msisdn);
  if (mode === undefined) throw new PermanentFailure('NO_SMSC_ROUTE', `no SMSC is configured for ${msisdn}`);
  const { fitted, security, signed } = await deps.composer.compose(
    { versionId, device, policyMethod: policy.securityMethod, mode },
    { imsi: record.imsi, reference },
  );
  if (!signed) {
    throw new PermanentFailure(
      'TOO_MANY_SEGMENTS',
      `the push needs ${fitted.segmentCount} SMS (left out to fit: ${fitted.omittedToFit.join(', ') || 'nothing'}); ` +
        `the device reassembles at most ${String(device.maxSegments)}`,
      { segments: fitted.segmentCount, maxSegments: device.maxSegments, omittedToFit: fitted.omittedToFit },
    );
  }
  const segments = signed.packed.segments;
  return {
    device,
    versionId,
    format: device.format,
    security,
    omitted: fitted.omitted,
    omittedToFit: fitted.omittedToFit,
    segments,
    subscriberCode: signed.subscriberCode,
  };
}

/** An SI/SL push (software download) for this device: unsigned, no profile (compose-content.ts). */
function composeContentPush(
  deps: DeliveryDeps,
  content: PushContent,
  msisdn: string,
  device: ResolvedDevice,
  reference: number,
): ComposedPush {
  const mode = deps.connector.segmentModeFor(msisdn);
  if (mode === undefined) throw new PermanentFailure('NO_SMSC_ROUTE', `no SMSC is configured for ${msisdn}`);
  const composed = composeContent(content, device, { mode, reference });
  if (!composed.ok) throw new PermanentFailure(composed.code, composed.message, composed.details);
  return {
    device,
    versionId: null,
    format: null,
    security: 'none',
    omitted: [],
    omittedToFit: [],
    segments: composed.segments,
    subscriberCode: undefined,
  };
}

/**
 * The move to 'submitting' before the first submit_sm. A first attempt (from 'queued') creates the
 * segments in the same statement; a later one (from 'submitting': an earlier attempt may have reached
 * the SMSC without us learning it, so this send may duplicate it) replaces the segments of the last but
 * those it keeps (composeForAttempt). Its event says how many of the segments sent again may have got
 * through (possiblySentBefore) and how many were kept.
 */
async function startSubmit(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  push: AttemptPush,
  attempt: number,
): Promise<Transitioned | undefined> {
  const { device } = push;
  const resubmit = record.state === 'submitting';
  const submitting = {
    id: record.id,
    to: 'submitting' as const,
    cause: resubmit ? 'resubmit-after-unknown-outcome' : 'submit',
    actor: WORKER_ACTOR,
    details: {
      attempt,
      segments: push.segments.length,
      format: push.format,
      ...(record.content ? { content: record.content.kind } : {}),
      security: push.security,
      profileVersionId: push.versionId,
      device: { manufacturer: device.manufacturer, model: device.model, matchedBy: device.matchedBy },
      omitted: push.omitted,
      omittedToFit: push.omittedToFit,
      // what a later attempt composes again to send only what this one did not get accepted
      reference: push.reference,
      digest: push.digest,
    },
    patch: {
      device_model_id: device.modelId,
      format: push.format,
      profile_version_id: push.versionId,
      security_method: push.security,
      segment_count: push.segments.length,
      not_before: null,
    },
  };
  if (!resubmit) {
    return deps.batches.transition({ ...submitting, from: ['queued'], insertSegments: push.segments.length });
  }
  const resent = await deps.db.transaction(async (tx) => {
    // counted before the reset: the segments sent again that an earlier attempt may have got through
    const possiblySent = await countResentPossiblySent(tx, record.id, push.kept);
    const details = {
      ...submitting.details,
      possiblySentBefore: possiblySent,
      keptSegments: push.kept.length,
    };
    const change = await transition(tx, { ...submitting, details, from: ['submitting'] });
    if (change) await resetResentSegments(tx, record.id, push.segments.length, push.kept);
    return { change, possiblySent };
  });
  if (resent.change && resent.possiblySent > 0) deps.metrics.resendsAfterUnknownOutcome.inc();
  return resent.change;
}

/** USER* methods: the PIN travels in its own text, never in logs or the store (docs/protocol.md §3.4). */
async function sendPinText(
  deps: DeliveryDeps,
  to: { id: string; msisdn: string; language: string | undefined },
  pin: string,
): Promise<void> {
  const { id } = to;
  const text = subscriberText(deps.config, 'pin', { language: to.language, values: { pin } });
  const pinResults = await sendText(deps.connector, {
    id: `${id}:pin`,
    destination: to.msisdn,
    text,
    source: senderOf(deps.config.requests),
  });
  await appendEvent(deps.db, { id, state: 'submitted' }, 'pin-text', WORKER_ACTOR, {
    accepted: pinResults.every((result) => result.ok),
  });
}

type RefusedSegment = Extract<SegmentResult, { ok: false }>;

/**
 * What the SMSC's answers mean for the push: nothing (every segment accepted), a permanent failure (one
 * refused, or generic_nack: sending it again would fail again) or a transient one (retried).
 */
function failureOfSubmit(results: readonly SegmentResult[]): PermanentFailure | TransientFailure | undefined {
  const failures = results.filter((result): result is RefusedSegment => !result.ok);
  if (failures.length === 0) return undefined;
  const permanent = failures.find(
    (failure) => failure.outcome === 'permanent' || failure.outcome === 'local-bug',
  );
  if (permanent) {
    return new PermanentFailure(
      permanent.outcome === 'local-bug' ? 'SMSC_GENERIC_NACK' : `SMSC_${permanent.statusName ?? 'REJECTED'}`,
      `segment ${permanent.index} refused by the SMSC: ${permanent.message}`,
      { status: permanent.status, smsc: permanent.smscId },
    );
  }
  const unknown = failures.some((failure) => failure.outcome === 'unknown');
  return new TransientFailure(
    unknown ? 'SMSC_OUTCOME_UNKNOWN' : 'SMSC_UNAVAILABLE',
    `${failures.length} of ${results.length} segments not accepted: ${failures[0].message}`,
  );
}

/**
 * Sends the push and stores what the SMSC answered for each segment (and any state change it makes).
 * Returns the failure the answers mean (failureOfSubmit), for the job to throw.
 */
async function submitAndRecord(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  push: Pick<OutboundPush, 'destination' | 'kind' | 'segments' | 'receipts'>,
  attempt: { resubmit: boolean; attempt: number },
): Promise<PermanentFailure | TransientFailure | undefined> {
  const submitStarted = performance.now();
  const results = await submitWritingAhead(deps, record.id, push);
  const allOk = results.every((result) => result.ok);
  deps.metrics.submitDuration.observe(
    { outcome: allOk ? 'ok' : 'error' },
    (performance.now() - submitStarted) / 1000,
  );
  if (!attempt.resubmit && results.some((result) => result.ok)) {
    deps.metrics.submitLatency.observe((deps.now().getTime() - record.createdAt.getTime()) / 1000);
  }
  const failure = failureOfSubmit(results);
  await untilStored(deps, record.id, () =>
    failure
      ? recordIncompleteSubmit(deps, record.id, results, failure, attempt.attempt)
      : recordSubmitted(deps, record.id, results),
  );
  return failure;
}

/**
 * Sends the push with each accepted segment's message id stored as it comes (AcceptedSegmentWriter), and
 * its last segment only once the others are stored: the handset completes the message with its last
 * part, so a worker killed at any moment leaves a record of every segment but the one that would have
 * completed it, and the job's retry sends only what the record lacks (composeForAttempt) instead of a
 * push the handset already has (issue #15: the chaos run's duplicates after a SIGKILL). The last segment
 * waits for one write (<= 50 ms and a statement); when the others were not all accepted it is not sent
 * now: the job is retried anyway, and sends it then with the rest.
 */
async function submitWritingAhead(
  deps: DeliveryDeps,
  id: string,
  push: Pick<OutboundPush, 'destination' | 'kind' | 'segments' | 'receipts'>,
): Promise<SegmentResult[]> {
  const { segments } = push;
  // one segment: nothing is on the handset before the push's own outcome is written
  if (segments.length < 2) return deps.connector.submit({ id, ...push });
  const writer = acceptedSegmentWriter(deps.db, deps.logger);
  const onAccepted = writer.forPush(id);
  const head = await deps.connector.submit({ id, ...push, segments: segments.slice(0, -1), onAccepted });
  const last = segments[segments.length - 1];
  if (!head.every((result) => result.ok)) {
    const held: SegmentResult = {
      index: last.index,
      ok: false,
      outcome: 'transient',
      message: 'held back until the segments before it are accepted',
    };
    return [...head, held];
  }
  await writer.written();
  // the last one's id is written with the push's outcome, right after its answer
  return [...head, ...(await deps.connector.submit({ id, ...push, segments: [last] }))];
}

/** How long the answers of a push that went out are tried to be stored before the job fails. */
const STORE_OUTCOME_FOR_MS = 30_000;

/**
 * Writes what the SMSC answered, tried again while the store is away (up to STORE_OUTCOME_FOR_MS): the
 * push is out, and a job that failed now would run again with nothing recorded and send every segment
 * again (issue #15: a store outage of a few seconds made whole-push duplicates).
 */
async function untilStored(deps: DeliveryDeps, id: string, write: () => Promise<void>): Promise<void> {
  const giveUpAt = Date.now() + STORE_OUTCOME_FOR_MS;
  for (let delayMs = 100; ; delayMs = Math.min(2_000, delayMs * 2)) {
    try {
      return await write();
    } catch (error) {
      if (deterministicFailure(error) || Date.now() + delayMs > giveUpAt) throw error;
      deps.logger.warn(
        { provisioningId: id, err: (error as Error).message, retryInMs: delayMs },
        'submit outcome not stored; trying again',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function segmentOutcomes(results: readonly SegmentResult[]): SegmentOutcomeRecord[] {
  return results.map((result) => ({
    segmentNumber: result.index,
    ok: result.ok,
    smsc: result.smscId ?? null,
    messageId: result.ok ? result.messageId : null,
    rawMessageId: result.ok ? result.rawMessageId : null,
    error: result.ok ? null : (result.statusName ?? result.outcome),
  }));
}

/** Every segment accepted: 'submitted', with the message ids, and any receipts that overtook them. */
async function recordSubmitted(
  deps: DeliveryDeps,
  id: string,
  results: readonly SegmentResult[],
): Promise<void> {
  // The row lock serialises this with receipt handling (see receipts.ts); the transition takes it, and
  // stores the message ids in the same statement.
  const { submitted, settled } = await deps.batches.recordSubmitted({
    id,
    to: 'submitted',
    cause: 'submitted',
    actor: WORKER_ACTOR,
    details: { messageIds: results.map((result) => (result.ok ? result.messageId : null)) },
    patch: {
      submitted_at: deps.now(),
      expires_at: new Date(deps.now().getTime() + deps.config.provisioning.receiptTimeoutMs),
    },
    segmentResults: segmentOutcomes(results),
  });
  for (const change of [submitted, settled]) {
    if (change) announceTransition(deps, change, change.provisioning.state);
  }
}

/**
 * Not every segment accepted: the answers are stored on the segments; a transient failure (the job
 * tries again) is also an event on the timeline, a permanent one ends it as failed (failProvisioning).
 */
async function recordIncompleteSubmit(
  deps: DeliveryDeps,
  id: string,
  results: readonly SegmentResult[],
  failure: PermanentFailure | TransientFailure,
  attempt: number,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await lockProvisionings(tx, [id]);
    await recordSubmitResults(tx, id, segmentOutcomes(results));
    if (failure instanceof PermanentFailure) return;
    await appendEvent(tx, { id, state: 'submitting' }, 'submit-incomplete', WORKER_ACTOR, {
      attempt,
      failures: results
        .filter((result): result is RefusedSegment => !result.ok)
        .map((refused) => ({
          segment: refused.index,
          outcome: refused.outcome,
          status: refused.statusName,
          message: refused.message,
        })),
    });
  });
}

/** The version the selection rules pick for this device and subscriber. */
async function selectVersion(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  device: ResolvedDevice,
): Promise<string> {
  const rules = await deps.rules.get();
  const rule = selectProfile(rules, {
    manufacturer: device.manufacturer ?? '',
    model: device.model ?? '',
    firmware: record.firmwareVersion ?? undefined,
    group: record.groupName,
  });
  if (!rule) {
    throw new PermanentFailure(
      'NO_PROFILE',
      `no profile rule matches ${device.manufacturer ?? '?'} ${device.model ?? '?'} in group ${record.groupName}`,
    );
  }
  const versionId = await deps.rules.versionId(rule.profileId, rule.profileVersion);
  if (!versionId) throw new PermanentFailure('NO_PROFILE', `profile ${rule.profileId} has no such version`);
  return versionId;
}

/**
 * The states a job ends as failed: those the state machine fails from, but 'submitted': a push the SMSC
 * accepted ends by its receipts or their timeout, not by its job (a PIN text failing afterwards).
 */
const FAILED_BY_ITS_JOB = statesEntering('failed').filter((state) => state !== 'submitted');

/** Records the end of a provisioning that cannot be completed. */
export async function failProvisioning(
  deps: PipelineDeps,
  provisioningId: string,
  code: string,
  reason: string,
  details: Record<string, unknown> = {},
): Promise<Transitioned | undefined> {
  const change = await transition(deps.db, {
    id: provisioningId,
    from: FAILED_BY_ITS_JOB,
    to: 'failed',
    cause: code.toLowerCase().replace(/_/g, '-'),
    actor: WORKER_ACTOR,
    details: { code, ...details },
    patch: { failure_code: code, failure_reason: reason, finished_at: deps.now() },
  });
  if (change) announceTransition(deps, change, 'failed', { code });
  return change;
}

/** Ask-first: the question to the subscriber. */
export async function askConfirmation(deps: DeliveryDeps, provisioningId: string): Promise<void> {
  const record = await loadForJob(deps, provisioningId);
  if (!record) throw notVisible(provisioningId);
  if (record.state !== 'awaiting-confirmation' || !record.msisdn) return;
  const { language } = policyFor(await deps.policies.all(), record.groupName);
  // sent from the short code, so that the answer comes back to it (subscribers/requests.ts)
  const results = await sendText(deps.connector, {
    id: `${record.id}:ask`,
    destination: record.msisdn,
    text: subscriberText(deps.config, 'confirmation', { language }),
    source: senderOf(deps.config.requests),
  });
  const failed = results.find((result) => !result.ok);
  if (failed && !failed.ok) {
    if (failed.outcome === 'permanent')
      throw new PermanentFailure(`SMSC_${failed.statusName ?? 'REJECTED'}`, failed.message);
    throw new TransientFailure('SMSC_UNAVAILABLE', failed.message);
  }
  await appendEvent(deps.db, record, 'confirmation-text', WORKER_ACTOR, {
    confirmBy: record.confirmBy?.toISOString(),
  });
}
