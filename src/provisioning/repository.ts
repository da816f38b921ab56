/**
 * provisionings, provisioning_events and segments. Every state change is one statement that updates the
 * row (only from the states the state machine allows, state-machine.ts), appends the event and the audit
 * entry, so the timeline, the audit log and the state can never disagree, and two workers racing on one
 * row cannot both win. One thing done for several rows is the same statement as for one: transition is
 * transitionMany of one, insertProvisioning is insertProvisionings of one.
 */
import { asJson, genericPlan, isUuid, type Db } from '../store/db.ts';
import { auditInsertSql, auditSelectList } from '../store/repositories/audit.ts';
import { assertAllowed, statesEntering } from './state-machine.ts';
import {
  FINAL_STATES,
  type Actor,
  type Provisioning,
  type ProvisioningEvent,
  type ProvisioningState,
  type PushContent,
  type SecurityMethod,
  type SegmentView,
} from './types.ts';

export interface ProvisioningRow {
  id: string;
  subscriber_id: string;
  msisdn?: string | null;
  imsi?: string;
  group_name?: string;
  firmware_version?: string | null;
  source: string;
  reason: string | null;
  actor: string;
  state: ProvisioningState;
  priority: number;
  idempotency_key: string | null;
  resend_of: string | null;
  campaign_id: string | null;
  imei: string | null;
  device_model_id: number | null;
  format: 'oma-cp' | 'nokia-ota' | null;
  profile_version_id: string | null;
  security_method: SecurityMethod | null;
  segment_count: number | null;
  not_before: Date | null;
  confirm_by: Date | null;
  expires_at: Date | null;
  failure_code: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  submitted_at: Date | null;
  finished_at: Date | null;
  applied_at?: Date | null;
  /** an SI or SL push instead of a profile (migration 011) */
  content?: PushContent | null;
  from_state?: ProvisioningState | null;
}

/** A provisioning with what the worker needs of its subscriber. */
export interface ProvisioningRecord extends Provisioning {
  imsi: string;
  groupName: string;
  firmwareVersion: string | null;
}

export function toProvisioning(row: ProvisioningRow): ProvisioningRecord {
  return {
    id: row.id,
    subscriberId: row.subscriber_id,
    msisdn: row.msisdn ?? null,
    imsi: row.imsi ?? '',
    groupName: row.group_name ?? 'default',
    firmwareVersion: row.firmware_version ?? null,
    source: row.source,
    reason: row.reason,
    actor: row.actor,
    state: row.state,
    priority: row.priority,
    idempotencyKey: row.idempotency_key,
    resendOf: row.resend_of,
    campaignId: row.campaign_id,
    imei: row.imei,
    deviceModelId: row.device_model_id,
    format: row.format,
    profileVersionId: row.profile_version_id,
    securityMethod: row.security_method,
    segmentCount: row.segment_count,
    notBefore: row.not_before,
    confirmBy: row.confirm_by,
    expiresAt: row.expires_at,
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    queuedAt: row.queued_at,
    submittedAt: row.submitted_at,
    finishedAt: row.finished_at,
    appliedAt: row.applied_at ?? null,
    content: row.content ?? null,
  };
}

/** The public shape (without the subscriber's IMSI and group). */
export function publicProvisioning(record: ProvisioningRecord): Provisioning {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { imsi, groupName, firmwareVersion, ...rest } = record;
  return rest;
}

const WITH_SUBSCRIBER = `SELECT p.*, s.msisdn, s.imsi, s.group_name, s.firmware_version FROM provisionings p
  JOIN subscribers s ON s.id = p.subscriber_id`;

export async function getProvisioningRecord(db: Db, id: string): Promise<ProvisioningRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await db.one<ProvisioningRow>(genericPlan(`${WITH_SUBSCRIBER} WHERE p.id = $1`), [id]);
  return row && toProvisioning(row);
}

/** Several provisionings by id (ids that are not UUIDs or not stored are left out). */
export async function getProvisioningRecords(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, ProvisioningRecord>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = await db.query<ProvisioningRow>(
    genericPlan(`${WITH_SUBSCRIBER} WHERE p.id = ANY($1::uuid[])`),
    [valid],
  );
  return new Map(rows.map((row) => [row.id, toProvisioning(row)]));
}

/**
 * Locks these provisionings' rows for the rest of the transaction, in id order (as every locker does, so
 * two never deadlock); waits while another transaction holds one.
 */
export async function lockProvisionings(tx: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    genericPlan(`SELECT id FROM provisionings WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`),
    [[...ids]],
  );
}

/**
 * The job of a provisioning is added before the transaction that records it commits (so a failed add
 * rolls the record back). A worker can therefore see the job before the row: the producer holds this
 * transaction-scoped advisory lock until it commits or rolls back, and a worker that finds no row waits
 * on the same lock, then looks again.
 */
export async function holdUntilCommitted(tx: Db, provisioningId: string): Promise<void> {
  await tx.query(genericPlan(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`), [provisioningId]);
}

/** holdUntilCommitted for several provisionings, in one statement (in id order, as every locker does). */
export async function holdAllUntilCommitted(tx: Db, provisioningIds: readonly string[]): Promise<void> {
  if (provisioningIds.length === 0) return;
  await tx.query(
    genericPlan(
      `SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id ORDER BY id`,
    ),
    [[...provisioningIds]],
  );
}

export async function waitForCommit(db: Db, provisioningId: string): Promise<void> {
  await db.transaction((tx) => holdUntilCommitted(tx, provisioningId));
}

export { isUuid };

/** Columns a transition may set besides the state (a fixed list: no caller-made SQL). */
export interface ProvisioningPatch {
  imei?: string | null;
  device_model_id?: number | null;
  format?: 'oma-cp' | 'nokia-ota' | null;
  profile_version_id?: string | null;
  security_method?: SecurityMethod | null;
  segment_count?: number | null;
  not_before?: Date | null;
  confirm_by?: Date | null;
  expires_at?: Date | null;
  failure_code?: string | null;
  failure_reason?: string | null;
  queued_at?: Date | null;
  submitted_at?: Date | null;
  finished_at?: Date | null;
}

/** SQL type of each patch column, for reading it back out of the batch's JSON; the one list of them. */
const PATCH_COLUMN_TYPES = {
  imei: 'text',
  device_model_id: 'bigint',
  format: 'text',
  profile_version_id: 'uuid',
  security_method: 'text',
  segment_count: 'integer',
  not_before: 'timestamptz',
  confirm_by: 'timestamptz',
  expires_at: 'timestamptz',
  failure_code: 'text',
  failure_reason: 'text',
  queued_at: 'timestamptz',
  submitted_at: 'timestamptz',
  finished_at: 'timestamptz',
} as const satisfies Record<keyof Required<ProvisioningPatch>, string>;

const PATCH_COLUMNS = Object.keys(PATCH_COLUMN_TYPES) as Array<keyof ProvisioningPatch>;

export interface TransitionInput {
  id: string;
  /**
   * only from these states: a call site narrower than the state machine (state-machine.ts), e.g. only
   * from 'submitting'; they must be states the table allows `to` from. Default: every one it allows.
   * The transition does nothing when the row is in another state.
   */
  from?: readonly ProvisioningState[];
  /** the new state; the same as the current one records an event without a change of state */
  to: ProvisioningState;
  cause: string;
  actor: Actor;
  details?: Record<string, unknown>;
  patch?: ProvisioningPatch;
  /** also creates this many pending segments (a first submit: there are none yet), in the same statement */
  insertSegments?: number;
  /**
   * also stores these submit results on the segments, in the same statement; they are stored (after the
   * row lock is taken, as recordSubmitResults would be) even when the provisioning is no longer in `from`
   */
  segmentResults?: readonly SegmentOutcomeRecord[];
}

export interface Transitioned {
  provisioning: ProvisioningRecord;
  from: ProvisioningState;
  at: Date;
}

const FAILED_OUTCOME_STATES = new Set<ProvisioningState>(['failed', 'expired']);

/** The segment update of submit results read from the recordset `results` (see submitResultsRecordset). */
const SUBMIT_RESULTS_UPDATE = `UPDATE segments s SET
       smsc = results.smsc, message_id = results.message_id,
       message_id_normalised = results.message_id_normalised,
       submit_status = CASE WHEN results.ok THEN 'submitted' ELSE 'rejected' END,
       submit_error = results.error, submit_attempts = s.submit_attempts + 1,
       submitted_at = CASE WHEN results.ok THEN now() END, updated_at = now()`;

/** The submit results in the JSON `json` (segmentResultRecord's shape) as the recordset `results`. */
function submitResultsRecordset(json: string): string {
  return `jsonb_to_recordset(${json}) AS results(segment_number int, ok boolean, smsc text,
         message_id text, message_id_normalised text, error text)`;
}

/** A column is set when the transition's patch names it (to null, too), else kept. */
const PATCH_SETS = PATCH_COLUMNS.map(
  (column) =>
    `${column} = CASE WHEN batch.patch ? '${column}' ` +
    `THEN (batch.patch ->> '${column}')::${PATCH_COLUMN_TYPES[column]} ELSE p.${column} END`,
).join(',\n         ');

/**
 * Every state change, one or a batch of them, is this one statement, so the state, its event and its
 * audit entry are written together or not at all, and one prepared text serves every shape of batch.
 * Its parts, in order:
 * - batch: the transitions asked for, one per row, `ord` their order in the call;
 * - locked: their rows, locked in id order: two batches lock in the same order, so they never deadlock;
 * - stored_results: submit results stored on the segments whatever the state (joined to `locked`, so it
 *   waits for the row lock, as receipts do: receipts.ts);
 * - movable: the locked rows in one of the states their transition may start from (`from_states`, from
 *   the state machine): a row that has moved on meanwhile (e.g. failed) is left alone;
 * - moved: those rows in their new state, with the patch applied;
 * - events, audit: one timeline event and one audit entry per moved row, in the batch's order;
 * - new_segments: the pending segments of a first submit.
 */
const TRANSITION_SQL = genericPlan(`WITH batch AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS batch(ord int, id uuid, to_state text, from_states text[],
         cause text, actor text, role text, request_id text, outcome text, details jsonb, patch jsonb,
         insert_segments int, segment_results jsonb)
     ), locked AS (
       SELECT p.id, p.state FROM provisionings p WHERE p.id IN (SELECT id FROM batch) ORDER BY p.id FOR UPDATE
     ), stored_results AS (
       ${SUBMIT_RESULTS_UPDATE}
       FROM locked JOIN batch ON batch.id = locked.id, ${submitResultsRecordset('batch.segment_results')}
       WHERE batch.segment_results IS NOT NULL
         AND s.provisioning_id = locked.id AND s.segment_number = results.segment_number
     ), movable AS (
       SELECT locked.id, locked.state AS from_state FROM locked JOIN batch ON batch.id = locked.id
       WHERE locked.state = ANY(batch.from_states)
     ), moved AS (
       UPDATE provisionings p SET state = batch.to_state, updated_at = now(),
         ${PATCH_SETS}
       FROM movable JOIN batch ON batch.id = movable.id WHERE p.id = movable.id
       RETURNING p.*, movable.from_state
     ), events AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       SELECT moved.id, moved.from_state, batch.to_state, batch.cause, batch.actor, batch.details
       FROM moved JOIN batch ON batch.id = moved.id ORDER BY batch.ord
       RETURNING provisioning_id, at
     ), audit AS (
       ${auditInsertSql(
         `SELECT ${auditSelectList({
           actor: 'batch.actor',
           role: 'batch.role',
           action: `'provisioning.' || batch.to_state`,
           subject_type: `'provisioning'`,
           subject_id: 'moved.id::text',
           outcome: 'batch.outcome',
           details: `jsonb_build_object('cause', batch.cause, 'from', moved.from_state) || batch.details`,
           request_id: 'batch.request_id',
         })}
         FROM moved JOIN batch ON batch.id = moved.id ORDER BY batch.ord`,
       )}
     ), new_segments AS (
       INSERT INTO segments (provisioning_id, segment_number)
       SELECT moved.id, n FROM moved JOIN batch ON batch.id = moved.id, generate_series(1, batch.insert_segments) AS n
       WHERE batch.insert_segments IS NOT NULL
     )
     SELECT moved.*, sub.msisdn, sub.imsi, sub.group_name, sub.firmware_version, events.at AS event_at
     FROM moved JOIN subscribers sub ON sub.id = moved.subscriber_id JOIN events ON events.provisioning_id = moved.id`);

/** One transition as a row of TRANSITION_SQL's batch; refuses one the state machine does not allow. */
function transitionRow(input: TransitionInput, ord: number): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const column of PATCH_COLUMNS) {
    if (input.patch && Object.hasOwn(input.patch, column)) {
      const value = input.patch[column];
      patch[column] = value instanceof Date ? value.toISOString() : (value ?? null);
    }
  }
  return {
    ord,
    id: input.id,
    to_state: input.to,
    from_states: statesEntering(input.to, input.from),
    cause: input.cause,
    actor: input.actor.name,
    role: input.actor.role ?? null,
    request_id: input.actor.requestId ?? null,
    outcome: FAILED_OUTCOME_STATES.has(input.to) ? 'failed' : 'ok',
    details: input.details ?? {},
    patch,
    insert_segments: input.insertSegments ?? null,
    segment_results:
      input.segmentResults === undefined ? null : input.segmentResults.map(segmentResultRecord),
  };
}

/**
 * Applies a batch of transitions to distinct provisionings in one statement. The result has one entry
 * per input, in order: undefined where the provisioning is not in a state that input may start from.
 * Throws TransitionNotAllowed (writing nothing) when an input asks for a change the state machine does
 * not list.
 */
export async function transitionMany(
  db: Db,
  inputs: readonly TransitionInput[],
): Promise<Array<Transitioned | undefined>> {
  if (inputs.length === 0) return [];
  const rows = await db.query<ProvisioningRow & { event_at: Date }>(TRANSITION_SQL, [
    asJson(inputs.map(transitionRow)),
  ]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return inputs.map((input) => {
    const row = byId.get(input.id);
    if (!row) return undefined;
    return { provisioning: toProvisioning(row), from: row.from_state as ProvisioningState, at: row.event_at };
  });
}

/** Applies one transition (transitionMany of one); undefined when the provisioning is not in a state it may start from. */
export async function transition(db: Db, input: TransitionInput): Promise<Transitioned | undefined> {
  const [change] = await transitionMany(db, [input]);
  return change;
}

/** An event on the timeline (and its audit entry, action provisioning.<cause>), the state unchanged. */
const APPEND_EVENT_SQL = genericPlan(`WITH event AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       VALUES ($1, $2, $2, $3, $4, $5::jsonb)
     )
     ${auditInsertSql(
       `SELECT ${auditSelectList({
         actor: '$4',
         role: '$6',
         action: `'provisioning.' || $3`,
         subject_type: `'provisioning'`,
         subject_id: '$1::text',
         details: '$5::jsonb',
         request_id: '$7',
       })}`,
     )}`);

/** Records an event on the timeline (and in the audit log) without changing the state. */
export async function appendEvent(
  db: Db,
  provisioning: { id: string; state: ProvisioningState },
  cause: string,
  actor: Actor,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.query(APPEND_EVENT_SQL, [
    provisioning.id,
    provisioning.state,
    cause,
    actor.name,
    asJson(details),
    actor.role ?? null,
    actor.requestId ?? null,
  ]);
}

export interface NewProvisioning {
  id: string;
  subscriberId: string;
  source: string;
  reason: string | null;
  actor: Actor;
  /** its first state: 'requested', or one the state machine allows from 'requested' */
  state: ProvisioningState;
  priority: number;
  idempotencyKey: string;
  resendOf?: string | null;
  campaignId?: string | null;
  imei?: string | null;
  profileVersionId?: string | null;
  /** an SI or SL push instead of a profile (then no profileVersionId) */
  content?: PushContent | null;
  confirmBy?: Date | null;
  failureCode?: string | null;
  failureReason?: string | null;
  /** events after the creating one (requested), e.g. requested -> queued */
  cause: string;
  details?: Record<string, unknown>;
}

/** One new provisioning as a row of INSERT_PROVISIONINGS_SQL's batch. */
function newProvisioningRow(input: NewProvisioning, ord: number): Record<string, unknown> {
  const events: Array<{ from_state: string | null; to_state: string; cause: string; details: unknown }> = [
    { from_state: null, to_state: 'requested', cause: input.cause, details: input.details ?? {} },
  ];
  if (input.state !== 'requested') {
    assertAllowed('requested', input.state);
    events.push({ from_state: 'requested', to_state: input.state, cause: input.cause, details: {} });
  }
  return {
    ord,
    id: input.id,
    subscriber_id: input.subscriberId,
    source: input.source,
    reason: input.reason,
    actor: input.actor.name,
    state: input.state,
    priority: input.priority,
    idempotency_key: input.idempotencyKey,
    resend_of: input.resendOf ?? null,
    campaign_id: input.campaignId ?? null,
    imei: input.imei ?? null,
    profile_version_id: input.profileVersionId ?? null,
    content: input.content ?? null,
    content_kind: input.content?.kind ?? null,
    confirm_by: input.confirmBy?.toISOString() ?? null,
    failure_code: input.failureCode ?? null,
    failure_reason: input.failureReason ?? null,
    final: FINAL_STATES.has(input.state),
    events,
    role: input.actor.role ?? null,
    request_id: input.actor.requestId ?? null,
  };
}

/**
 * New provisionings, one statement for the batch: the rows (a taken idempotency key skips its row), their
 * events (null -> requested [-> first state]) and their audit entries.
 */
const INSERT_PROVISIONINGS_SQL = genericPlan(`WITH batch AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS batch(ord int, id uuid, subscriber_id uuid, source text,
         reason text, actor text, state text, priority int, idempotency_key text, resend_of uuid,
         campaign_id uuid, imei text, profile_version_id uuid, confirm_by timestamptz, failure_code text,
         failure_reason text, final boolean, events jsonb, role text, request_id text, content jsonb,
         content_kind text)
     ), created AS (
       INSERT INTO provisionings (id, subscriber_id, source, reason, actor, state, priority, idempotency_key,
         resend_of, campaign_id, imei, profile_version_id, confirm_by, failure_code, failure_reason,
         queued_at, finished_at, content, content_kind)
       SELECT id, subscriber_id, source, reason, actor, state, priority, idempotency_key, resend_of,
         campaign_id, imei, profile_version_id, confirm_by, failure_code, failure_reason,
         CASE WHEN state = 'queued' THEN now() END, CASE WHEN final THEN now() END, content, content_kind
       FROM batch ORDER BY ord
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *
     ), events AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       SELECT created.id, event.item ->> 'from_state', event.item ->> 'to_state', event.item ->> 'cause',
         created.actor, coalesce(nullif(event.item -> 'details', 'null'::jsonb), '{}'::jsonb)
       FROM created JOIN batch ON batch.id = created.id,
         jsonb_array_elements(batch.events) WITH ORDINALITY AS event(item, n)
       ORDER BY batch.ord, event.n
     ), audit AS (
       ${auditInsertSql(
         `SELECT ${auditSelectList({
           actor: 'created.actor',
           role: 'batch.role',
           action: `'provisioning.request'`,
           subject_type: `'provisioning'`,
           subject_id: 'created.id::text',
           outcome: `CASE WHEN created.state = 'failed' THEN 'failed' ELSE 'ok' END`,
           details: `jsonb_build_object('source', created.source, 'reason', created.reason,
             'state', created.state, 'resendOf', created.resend_of, 'failureCode', created.failure_code)
             || CASE WHEN created.content_kind IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('content', created.content_kind) END`,
           request_id: 'batch.request_id',
         })}
         FROM created JOIN batch ON batch.id = created.id ORDER BY batch.ord`,
       )}
     )
     SELECT created.*, s.msisdn, s.imsi, s.group_name FROM created JOIN subscribers s ON s.id = created.subscriber_id`);

/**
 * Inserts provisionings in their first states with their events and audit entries, in one statement.
 * Returns the created ones by id (one whose idempotency key is taken is left out: the caller reads the
 * existing one). Throws TransitionNotAllowed for a first state the state machine does not allow.
 */
export async function insertProvisionings(
  tx: Db,
  inputs: readonly NewProvisioning[],
): Promise<Map<string, ProvisioningRecord>> {
  if (inputs.length === 0) return new Map();
  const created = await tx.query<ProvisioningRow>(INSERT_PROVISIONINGS_SQL, [
    asJson(inputs.map(newProvisioningRow)),
  ]);
  return new Map(created.map((row) => [row.id, toProvisioning(row)]));
}

/** insertProvisionings of one; undefined when the idempotency key is taken. */
export async function insertProvisioning(
  db: Db,
  input: NewProvisioning,
): Promise<ProvisioningRecord | undefined> {
  return (await insertProvisionings(db, [input])).get(input.id);
}

/** The newest provisioning of the subscriber that asks first and waits for the answer. */
export async function findAwaitingConfirmation(db: Db, subscriberId: string): Promise<string | undefined> {
  const row = await db.one<{ id: string }>(
    `SELECT id FROM provisionings WHERE subscriber_id = $1 AND state = 'awaiting-confirmation'
     ORDER BY created_at DESC LIMIT 1`,
    [subscriberId],
  );
  return row?.id;
}

export interface OverdueProvisioning {
  id: string;
  state: 'submitted' | 'awaiting-confirmation';
}

/**
 * Provisionings past their deadline, least recently changed first: submitted without their final
 * receipts by expires_at, or asking first without an answer by confirm_by.
 */
export async function listOverdue(db: Db, now: Date, limit: number): Promise<OverdueProvisioning[]> {
  return db.query<OverdueProvisioning>(
    `SELECT id, state FROM provisionings
     WHERE (state = 'submitted' AND expires_at < $1) OR (state = 'awaiting-confirmation' AND confirm_by < $1)
     ORDER BY updated_at LIMIT $2`,
    [now, limit],
  );
}

export interface StalledProvisioning {
  id: string;
  state: 'requested' | 'queued' | 'submitting';
  idempotency_key: string | null;
  priority: number;
}

/**
 * Provisionings a job should be working on that have not changed since `staleBefore` (and are not
 * waiting for the end of quiet hours at `now`), least recently changed first: their jobs may be lost.
 */
export async function listStalled(
  db: Db,
  staleBefore: Date,
  now: Date,
  limit: number,
): Promise<StalledProvisioning[]> {
  return db.query<StalledProvisioning>(
    `SELECT id, state, idempotency_key, priority FROM provisionings
     WHERE state IN ('requested', 'queued', 'submitting') AND updated_at < $1
       AND (not_before IS NULL OR not_before < $2)
     ORDER BY updated_at LIMIT $3`,
    [staleBefore, now, limit],
  );
}

/**
 * `state NOT IN (<the final states>)`, the states written out as literals from FINAL_STATES (constants,
 * not input): the predicate of the partial index provisionings_open_idx, which a parameter would not match.
 */
const OPEN_STATE_PREDICATE = `state NOT IN (${[...FINAL_STATES].map((state) => `'${state}'`).join(', ')})`;

/** Provisionings under way (not in a final state) by state, for the otagw_provisionings_open gauge. */
export async function countOpenProvisioningsByState(db: Db): Promise<Record<string, number>> {
  const rows = await db.query<{ state: string; count: number }>(
    `SELECT state, count(*)::int AS count FROM provisionings WHERE ${OPEN_STATE_PREDICATE} GROUP BY state`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.count]));
}

export async function findByIdempotencyKey(db: Db, key: string): Promise<ProvisioningRecord | undefined> {
  const row = await db.one<ProvisioningRow>(genericPlan(`${WITH_SUBSCRIBER} WHERE p.idempotency_key = $1`), [
    key,
  ]);
  return row && toProvisioning(row);
}

interface EventRow {
  id: number;
  at: Date;
  from_state: ProvisioningState | null;
  to_state: ProvisioningState;
  cause: string;
  actor: string | null;
  details: Record<string, unknown>;
}

export async function listEvents(db: Db, provisioningId: string): Promise<ProvisioningEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT id, at, from_state, to_state, cause, actor, details FROM provisioning_events
     WHERE provisioning_id = $1 ORDER BY id`,
    [provisioningId],
  );
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    fromState: row.from_state,
    toState: row.to_state,
    cause: row.cause,
    actor: row.actor,
    details: row.details,
  }));
}

interface SegmentRow {
  segment_number: number;
  smsc: string | null;
  message_id: string | null;
  message_id_normalised: string | null;
  submit_status: 'pending' | 'submitted' | 'rejected';
  submit_error: string | null;
  submit_attempts: number;
  submitted_at: Date | null;
  receipt_state: string | null;
  receipt_error: string | null;
  receipt_at: Date | null;
}

export async function listSegments(db: Db, provisioningId: string): Promise<SegmentView[]> {
  const rows = await db.query<SegmentRow>(
    `SELECT segment_number, smsc, message_id, message_id_normalised, submit_status, submit_error,
            submit_attempts, submitted_at, receipt_state, receipt_error, receipt_at
     FROM segments WHERE provisioning_id = $1 ORDER BY segment_number`,
    [provisioningId],
  );
  return rows.map((row) => ({
    segmentNumber: row.segment_number,
    smsc: row.smsc,
    messageId: row.message_id,
    submitStatus: row.submit_status,
    submitError: row.submit_error,
    submitAttempts: row.submit_attempts,
    submittedAt: row.submitted_at,
    receiptState: row.receipt_state,
    receiptError: row.receipt_error,
    receiptAt: row.receipt_at,
  }));
}

export interface SegmentOutcomeRecord {
  segmentNumber: number;
  ok: boolean;
  smsc: string | null;
  /** the id receipts are matched on: normalised per the SMSC's message-id base (connectors/smpp/message-id.ts) */
  messageId: string | null;
  /** the id exactly as the SMSC sent it in submit_sm_resp; default: messageId */
  rawMessageId?: string | null;
  error: string | null;
}

/** A submit result as a row of submitResultsRecordset. */
function segmentResultRecord(result: SegmentOutcomeRecord): Record<string, unknown> {
  return {
    segment_number: result.segmentNumber,
    ok: result.ok,
    smsc: result.smsc,
    message_id: result.rawMessageId ?? result.messageId,
    message_id_normalised: result.messageId,
    error: result.error,
  };
}

/** Stores the submit results of one attempt (one statement for all segments). */
export async function recordSubmitResults(
  db: Db,
  provisioningId: string,
  results: readonly SegmentOutcomeRecord[],
): Promise<void> {
  await db.query(
    `${SUBMIT_RESULTS_UPDATE} FROM ${submitResultsRecordset('$2::jsonb')}
     WHERE s.provisioning_id = $1 AND s.segment_number = results.segment_number`,
    [provisioningId, asJson(results.map(segmentResultRecord))],
  );
}
