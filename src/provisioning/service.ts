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
import { decideFirstUse } from '../subscribers/first-use.ts';
import { confirmationDeadline, policyFor, type GroupPolicy } from '../subscribers/policy.ts';
import {
  findSubscriber,
  lockSubscriberForTrigger,
  normaliseMsisdn,
  recordNewHandset,
  recordSeen,
} from '../subscribers/repository.ts';
import type { Db } from '../store/db.ts';
import { JOB_ASK_CONFIRMATION, JOB_PROVISION, jobPriority } from '../queues/names.ts';
import { DeviceCache } from './device-cache.ts';
import { announceState, announceTransition, type PipelineDeps } from './pipeline.ts';
import {
  findByIdempotencyKey,
  getProvisioningRecord,
  holdUntilCommitted,
  insertProvisioning,
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

export class DefaultProvisioningService implements ProvisioningService {
  private readonly devices: DeviceCache;

  constructor(private readonly deps: PipelineDeps) {
    this.devices = deps.devices ?? new DeviceCache(deps.config.devices.operatorDefault);
  }

  private policy(group: string): GroupPolicy {
    return policyFor(this.deps.config.groups, group);
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

    const result = await deps.db.transaction(async (tx) => {
      const subscriber = await lockSubscriberForTrigger(tx, { imsi: trigger.imsi, msisdn });
      const decision = decideFirstUse(
        { imei: subscriber.currentImei ?? undefined, lastTriggerAt: subscriber.imeiChangedAt ?? undefined },
        { imei, at },
        deps.config.provisioning.debounceMs,
      );
      if (decision !== 'provision') {
        await recordSeen(tx, subscriber.id, imei, at);
        return { outcome: decision } as const;
      }
      await recordNewHandset(tx, subscriber.id, imei, at);
      const policy = this.policy(subscriber.groupName);
      const key = `first-use.${trigger.imsi}.${imei.slice(0, 14)}.${at.getTime()}`;
      const base: Omit<NewProvisioning, 'state' | 'cause'> = {
        id: randomUUID(),
        subscriberId: subscriber.id,
        source,
        reason: 'first use of the SIM in a new handset',
        actor,
        priority: jobPriority(source, policy.priority),
        idempotencyKey: key,
        imei,
        details: { imei, observedAt: at.toISOString(), previousImei: subscriber.currentImei, origin },
      };
      const device = await this.devices.resolve(tx, imei);
      if (device.outcome === 'unsupported') {
        const created = await insertProvisioning(tx, {
          ...base,
          state: 'failed',
          cause: 'unsupported-device',
          failureCode: 'UNSUPPORTED_DEVICE',
          failureReason: device.message,
          details: { ...base.details, reason: device.reason },
        });
        return { outcome: 'unsupported-device', created } as const;
      }
      if (policy.confirmation === 'ask-first') {
        const created = await insertProvisioning(tx, {
          ...base,
          state: 'awaiting-confirmation',
          cause: 'ask-first',
          confirmBy: confirmationDeadline(at > deps.now() ? at : deps.now(), policy),
        });
        if (created) {
          await holdUntilCommitted(tx, created.id);
          await deps.queue.add(
            { provisioningId: created.id },
            { jobId: askJobIdFor(key), priority: created.priority, name: JOB_ASK_CONFIRMATION },
          );
        }
        return { outcome: 'awaiting-confirmation', created } as const;
      }
      const created = await insertProvisioning(tx, { ...base, state: 'queued', cause: 'first-use' });
      if (created) await holdUntilCommitted(tx, created.id);
      if (created)
        await deps.queue.add(
          { provisioningId: created.id },
          { jobId: jobIdFor(key), priority: created.priority },
        );
      return { outcome: 'queued', created } as const;
    });
    deps.metrics.triggers.inc({ outcome: result.outcome });
    if ('created' in result && result.created) {
      announceState(deps, result.created, null, source);
      return { outcome: result.outcome, provisioningId: result.created.id };
    }
    return { outcome: result.outcome };
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
    const policy = this.policy(subscriber.groupName);
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
      priority: jobPriority('resend', this.policy(old.groupName).priority),
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
    const pending = await deps.db.one<{ id: string }>(
      `SELECT id FROM provisionings WHERE subscriber_id = $1 AND state = 'awaiting-confirmation'
       ORDER BY created_at DESC LIMIT 1`,
      [subscriber.id],
    );
    if (!pending) return undefined;
    const word = answer.trim().toUpperCase();
    const accepted = word === deps.config.provisioning.confirmKeyword.trim().toUpperCase();
    // Anything but a yes or a no (a keyword for another service) leaves the question open.
    if (!accepted && !DECLINING_ANSWERS.has(word)) return undefined;
    const change = await deps.db.transaction(async (tx): Promise<Transitioned | undefined> => {
      if (!accepted) {
        return transition(tx, {
          id: pending.id,
          from: ['awaiting-confirmation'],
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
        id: pending.id,
        from: ['awaiting-confirmation'],
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
  const row = await db.one<{ id: string }>(
    `SELECT v.id FROM profiles p JOIN profile_versions v ON v.profile_id = p.id
     WHERE ${isUuid(profile) ? 'p.id = $1::uuid' : 'p.name = $1'} ORDER BY v.version DESC LIMIT 1`,
    [profile],
  );
  if (!row) throw new ProvisioningError('PROFILE_NOT_FOUND', `no profile ${profile} with a version`);
  return row.id;
}
