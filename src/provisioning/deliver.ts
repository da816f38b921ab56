/**
 * The work of one provisioning job: resolve the device, select the profile version, apply the group
 * policy, compose the signed push, submit it and record the outcome of every segment.
 *
 * Failures are typed: PermanentFailure ends the provisioning as failed with its code (the processor turns
 * it into an UnrecoverableError); anything else is transient and retried with backoff, and on the last
 * attempt the provisioning fails with the last error.
 */
import { randomInt } from 'node:crypto';
import type { OutboundPush, SegmentResult, SmscConnector } from '../connectors/types.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { listRules, type StoredProfileRule } from '../profiles/repository.ts';
import { selectProfile } from '../profiles/rules.ts';
import { capReached, capWindow, isQuiet, nextAllowedTime, policyFor } from '../subscribers/policy.ts';
import { countPushesBetween } from '../subscribers/repository.ts';
import type { Db } from '../store/db.ts';
import type { GroupPolicies } from '../subscribers/group-policies.ts';
import type { DeviceCache } from './device-cache.ts';
import { chooseSecurity, signPush, type PushComposer } from './compose.ts';
import { announceTransition, WORKER_ACTOR, type PipelineDeps } from './pipeline.ts';
import {
  appendEvent,
  getProvisioningRecord,
  lockProvisioning,
  recordSubmitResults,
  resetSegments,
  transition,
  waitForCommit,
  type ProvisioningRecord,
  type Transitioned,
} from './repository.ts';
import { FINAL_STATES } from './types.ts';
import type { WorkerBatches } from './worker-batches.ts';

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
    const row = await this.db.one<{ id: string }>(
      version === null
        ? `SELECT id FROM profile_versions WHERE profile_id = $1 ORDER BY version DESC LIMIT 1`
        : `SELECT id FROM profile_versions WHERE profile_id = $1 AND version = $2`,
      version === null ? [profileId] : [profileId, version],
    );
    if (row) this.versions.set(key, row.id);
    return row?.id;
  }
  clear(): void {
    this.rules = undefined;
    this.versions.clear();
  }
}

const TEXT_DATA_CODING = 0x00; // SMSC default alphabet (docs/protocol.md §5.3)
const MAX_TEXT_LENGTH = 160; // one GSM 7-bit SMS (docs/protocol.md §5.2)

/** One plain-text SMS as a connector segment (no UDH). */
export function textSegment(text: string): {
  index: number;
  total: number;
  reference: number;
  tpud: Uint8Array;
  udhi: boolean;
} {
  return {
    index: 1,
    total: 1,
    reference: 0,
    tpud: Buffer.from(text.slice(0, MAX_TEXT_LENGTH), 'latin1'),
    udhi: false,
  };
}

export async function sendText(
  connector: SmscConnector,
  id: string,
  destination: string,
  text: string,
): Promise<SegmentResult[]> {
  return connector.submit({ id, destination, segments: [textSegment(text)], dataCoding: TEXT_DATA_CODING });
}

/** The provisioning of a job; waits for the producer's transaction when the job overtook its commit. */
async function loadForJob(
  deps: DeliveryDeps,
  provisioningId: string,
): Promise<ProvisioningRecord | undefined> {
  const record = await deps.batches.load(provisioningId);
  if (record) return record;
  await waitForCommit(deps.db, provisioningId);
  return getProvisioningRecord(deps.db, provisioningId);
}

export async function deliverProvisioning(
  deps: DeliveryDeps,
  provisioningId: string,
  control: JobControl,
): Promise<void> {
  const record = await loadForJob(deps, provisioningId);
  if (!record) {
    throw new TransientFailure(
      'PROVISIONING_NOT_VISIBLE',
      `provisioning ${provisioningId} is not (yet) in the store`,
    );
  }
  if (
    FINAL_STATES.has(record.state) ||
    record.state === 'submitted' ||
    record.state === 'awaiting-confirmation'
  ) {
    return;
  }
  if (!record.msisdn) throw new PermanentFailure('NO_MSISDN', 'the subscriber has no MSISDN to send to');
  const now = deps.now();
  const policy = policyFor(await deps.policies.all(), record.groupName);

  const resolution = await deps.devices.resolve(deps.db, record.imei);
  if (resolution.outcome === 'unsupported') {
    throw new PermanentFailure('UNSUPPORTED_DEVICE', resolution.message, { reason: resolution.reason });
  }
  const device = resolution.device;

  if (record.source !== 'care' && policy.quietHours && isQuiet(now, policy.quietHours)) {
    const notBefore = nextAllowedTime(now, policy.quietHours);
    const change = await transition(deps.db, {
      id: record.id,
      from: ['queued', 'submitting'],
      to: record.state,
      cause: 'quiet-hours',
      actor: WORKER_ACTOR,
      details: { notBefore: notBefore.toISOString(), timeZone: policy.quietHours.timeZone },
      patch: { not_before: notBefore },
    });
    if (change) announceTransition(deps, change, 'quiet-hours', { notBefore: notBefore.toISOString() });
    return control.delayUntil(notBefore);
  }

  if (policy.dailyCap !== undefined) {
    const window = capWindow(now, policy);
    const sent = await countPushesBetween(deps.db, record.subscriberId, window.start, window.end);
    if (capReached(sent, policy)) {
      throw new PermanentFailure(
        'DAILY_CAP_REACHED',
        `the subscriber had ${sent} pushes today (cap ${policy.dailyCap})`,
      );
    }
  }

  const versionId = record.profileVersionId ?? (await selectVersion(deps, record, device));
  const sec = chooseSecurity(policy.securityMethod, device);
  const { compiled, omitted } = await deps.composer.compile(versionId, device);
  // The concatenation reference only has to differ between pushes in flight to one handset (docs/protocol.md §5.1).
  // UDH in the payload or port/SAR TLVs, as the SMSC that will carry it wants (docs/protocol.md §5.4).
  const mode = deps.connector.segmentModeFor(record.msisdn);
  if (mode === undefined)
    throw new PermanentFailure('NO_SMSC_ROUTE', `no SMSC is configured for ${record.msisdn}`);
  const signed = signPush(compiled, { sec, imsi: record.imsi, reference: randomInt(0, 256), mode });
  const segments = signed.packed.segments;
  if (device.maxSegments !== null && segments.length > device.maxSegments) {
    throw new PermanentFailure(
      'TOO_MANY_SEGMENTS',
      `the push needs ${segments.length} SMS; the device reassembles at most ${device.maxSegments}`,
    );
  }

  const resubmit = record.state === 'submitting';
  const submitTransition = {
    id: record.id,
    from: ['queued', 'submitting'] as const,
    to: 'submitting' as const,
    // A previous attempt may have reached the SMSC without us learning it: this send may duplicate it.
    cause: resubmit ? 'resubmit-after-unknown-outcome' : 'submit',
    actor: WORKER_ACTOR,
    details: {
      attempt: control.attemptsMade + 1,
      segments: segments.length,
      format: device.format,
      security: sec,
      profileVersionId: versionId,
      device: { manufacturer: device.manufacturer, model: device.model, matchedBy: device.matchedBy },
      omitted,
    },
    patch: {
      device_model_id: device.modelId,
      format: device.format,
      profile_version_id: versionId,
      security_method: sec,
      segment_count: segments.length,
      not_before: null,
    },
  };
  // First attempt: state and segments in one statement. Later ones replace the segments of the last.
  const started = resubmit
    ? await deps.db.transaction(async (tx) => {
        const change = await transition(tx, { ...submitTransition, from: ['submitting'] });
        if (change) await resetSegments(tx, record.id, segments.length);
        return change;
      })
    : await deps.batches.transition({
        ...submitTransition,
        from: ['queued'],
        insertSegments: segments.length,
      });
  if (!started) return; // cancelled or finished meanwhile
  announceTransition(deps, started, started.from === 'submitting' ? 'resubmit' : 'submit');

  // Receipts for this push wait until its outcome is stored (runtime.ts), so they find the message ids.
  const submitStored = deps.batches.beginSubmit(record.id);
  let results: SegmentResult[];
  try {
    results = await submitAndRecord(
      deps,
      record,
      { destination: record.msisdn, segments, dataCoding: signed.packed.dataCoding },
      { resubmit, attempt: control.attemptsMade + 1 },
    );
  } finally {
    submitStored();
  }
  const failures = results.filter((result): result is Extract<SegmentResult, { ok: false }> => !result.ok);
  const permanent = failures.find(
    (failure) => failure.outcome === 'permanent' || failure.outcome === 'local-bug',
  );
  if (permanent) {
    throw new PermanentFailure(
      permanent.outcome === 'local-bug' ? 'SMSC_GENERIC_NACK' : `SMSC_${permanent.statusName ?? 'REJECTED'}`,
      `segment ${permanent.index} refused by the SMSC: ${permanent.message}`,
      { status: permanent.status, smsc: permanent.smscId },
    );
  }
  if (failures.length > 0) {
    const unknown = failures.some((failure) => failure.outcome === 'unknown');
    throw new TransientFailure(
      unknown ? 'SMSC_OUTCOME_UNKNOWN' : 'SMSC_UNAVAILABLE',
      `${failures.length} of ${results.length} segments not accepted: ${failures[0].message}`,
    );
  }

  if (signed.subscriberCode !== undefined) {
    // USER* methods: the PIN travels in its own text, never in logs or the store (docs/protocol.md §3.4).
    const text = deps.config.provisioning.pinText.replace('{pin}', signed.subscriberCode);
    const pinResults = await sendText(deps.connector, `${record.id}:pin`, record.msisdn, text);
    await appendEvent(deps.db, { id: record.id, state: 'submitted' }, 'pin-text', WORKER_ACTOR, {
      accepted: pinResults.every((result) => result.ok),
    });
  }
}

/** Sends the push and stores what the SMSC answered for each segment (and any state change it makes). */
async function submitAndRecord(
  deps: DeliveryDeps,
  record: ProvisioningRecord,
  push: Pick<OutboundPush, 'destination' | 'segments' | 'dataCoding'>,
  attempt: { resubmit: boolean; attempt: number },
): Promise<SegmentResult[]> {
  const submitStarted = performance.now();
  const results = await deps.connector.submit({ id: record.id, ...push });
  const allOk = results.every((result) => result.ok);
  deps.metrics.submitDuration.observe(
    { outcome: allOk ? 'ok' : 'error' },
    (performance.now() - submitStarted) / 1000,
  );
  if (!attempt.resubmit && results.some((result) => result.ok)) {
    deps.metrics.submitLatency.observe((deps.now().getTime() - record.createdAt.getTime()) / 1000);
  }

  const failures = results.filter((result): result is Extract<SegmentResult, { ok: false }> => !result.ok);
  const permanent = failures.find(
    (failure) => failure.outcome === 'permanent' || failure.outcome === 'local-bug',
  );
  const changes: Transitioned[] = [];
  const outcomes = results.map((result) => ({
    segmentNumber: result.index,
    ok: result.ok,
    smsc: result.smscId ?? null,
    messageId: result.ok ? result.messageId : null,
    error: result.ok ? null : (result.statusName ?? result.outcome),
  }));
  if (failures.length === 0) {
    // The row lock serialises this with receipt handling (see receipts.ts); the transition takes it, and
    // stores the message ids in the same statement.
    const { submitted, settled } = await deps.batches.recordSubmitted({
      id: record.id,
      from: ['submitting'],
      to: 'submitted',
      cause: 'submitted',
      actor: WORKER_ACTOR,
      details: { messageIds: results.map((result) => (result.ok ? result.messageId : null)) },
      patch: {
        submitted_at: deps.now(),
        expires_at: new Date(deps.now().getTime() + deps.config.provisioning.receiptTimeoutMs),
      },
      segmentResults: outcomes,
    });
    if (submitted) changes.push(submitted);
    if (settled) changes.push(settled);
  } else {
    await deps.db.transaction(async (tx) => {
      await lockProvisioning(tx, record.id);
      await recordSubmitResults(tx, record.id, outcomes);
      if (permanent) return;
      await appendEvent(tx, { id: record.id, state: 'submitting' }, 'submit-incomplete', WORKER_ACTOR, {
        attempt: attempt.attempt,
        failures: failures.map((failure) => ({
          segment: failure.index,
          outcome: failure.outcome,
          status: failure.statusName,
          message: failure.message,
        })),
      });
    });
  }
  for (const change of changes) announceTransition(deps, change, change.provisioning.state);
  return results;
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
    from: ['requested', 'queued', 'submitting', 'awaiting-confirmation'],
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
  if (!record)
    throw new TransientFailure(
      'PROVISIONING_NOT_VISIBLE',
      `provisioning ${provisioningId} is not (yet) in the store`,
    );
  if (record.state !== 'awaiting-confirmation' || !record.msisdn) return;
  const results = await sendText(
    deps.connector,
    `${record.id}:ask`,
    record.msisdn,
    deps.config.provisioning.confirmationText,
  );
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
