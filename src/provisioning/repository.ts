/**
 * provisionings, provisioning_events and segments. Every state change is one statement that updates the
 * row (only from the states it is allowed from), appends the event and the audit entry — so the timeline,
 * the audit log and the state can never disagree, and two workers racing on one row cannot both win.
 */
import { asJson, type Db } from '../store/db.ts';
import type {
  Actor,
  Provisioning,
  ProvisioningEvent,
  ProvisioningState,
  SecurityMethod,
  SegmentView,
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
  const row = await db.one<ProvisioningRow>(`${WITH_SUBSCRIBER} WHERE p.id = $1`, [id]);
  return row && toProvisioning(row);
}

/** Several provisionings by id (ids that are not UUIDs or not stored are left out). */
export async function getProvisioningRecords(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, ProvisioningRecord>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = await db.query<ProvisioningRow>(`${WITH_SUBSCRIBER} WHERE p.id = ANY($1::uuid[])`, [valid]);
  return new Map(rows.map((row) => [row.id, toProvisioning(row)]));
}

export async function lockProvisioning(tx: Db, id: string): Promise<ProvisioningRecord | undefined> {
  const row = await tx.one<ProvisioningRow>(`${WITH_SUBSCRIBER} WHERE p.id = $1 FOR UPDATE OF p`, [id]);
  return row && toProvisioning(row);
}

/**
 * The job of a provisioning is added before the transaction that records it commits (so a failed add
 * rolls the record back). A worker can therefore see the job before the row: the producer holds this
 * transaction-scoped advisory lock until it commits or rolls back, and a worker that finds no row waits
 * on the same lock, then looks again.
 */
export async function holdUntilCommitted(tx: Db, provisioningId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [provisioningId]);
}

/** holdUntilCommitted for several provisionings, in one statement (in id order, as every locker does). */
export async function holdAllUntilCommitted(tx: Db, provisioningIds: readonly string[]): Promise<void> {
  if (provisioningIds.length === 0) return;
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id ORDER BY id`,
    [[...provisioningIds]],
  );
}

export async function waitForCommit(db: Db, provisioningId: string): Promise<void> {
  await db.transaction((tx) => holdUntilCommitted(tx, provisioningId));
}

export function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}

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

const PATCH_COLUMNS: ReadonlyArray<keyof ProvisioningPatch> = [
  'imei',
  'device_model_id',
  'format',
  'profile_version_id',
  'security_method',
  'segment_count',
  'not_before',
  'confirm_by',
  'expires_at',
  'failure_code',
  'failure_reason',
  'queued_at',
  'submitted_at',
  'finished_at',
];

export interface TransitionInput {
  id: string;
  /** allowed current states; the transition does nothing when the row is in another one */
  from: readonly ProvisioningState[];
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

/** The segment update of submit results read from the recordset `alias` (see submitResultsRecordset). */
function submitResultsUpdate(alias: string): string {
  return `UPDATE segments s SET
       smsc = ${alias}.smsc, message_id = ${alias}.message_id, message_id_normalised = ${alias}.message_id,
       submit_status = CASE WHEN ${alias}.ok THEN 'submitted' ELSE 'rejected' END,
       submit_error = ${alias}.error, submit_attempts = s.submit_attempts + 1,
       submitted_at = CASE WHEN ${alias}.ok THEN now() END, updated_at = now()`;
}

function submitResultsRecordset(json: string, alias: string): string {
  return `jsonb_to_recordset(${json}) AS ${alias}(segment_number int, ok boolean, smsc text, message_id text, error text)`;
}

/** SQL type of each patch column, for reading it back out of the batch's JSON. */
const PATCH_COLUMN_TYPES: Readonly<Record<keyof ProvisioningPatch, string>> = {
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
};

/** A column is set when the transition's patch names it (to null, too), else kept. */
const PATCH_SETS = PATCH_COLUMNS.map(
  (column) =>
    `${column} = CASE WHEN x.patch ? '${column}' THEN (x.patch ->> '${column}')::${PATCH_COLUMN_TYPES[column]} ELSE p.${column} END`,
).join(',\n         ');

/**
 * Every state change, one or a batch of them, is this one statement (one prepared text for all shapes):
 * lock the rows in id order (two batches never deadlock), store submit results whatever the state (the
 * segment update joins the lock, so it waits for it), move the rows still in one of their `from` states,
 * and append one event and one audit entry per moved row, in the batch's order.
 */
const TRANSITION_SQL = `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, to_state text, from_states text[],
         cause text, actor text, role text, request_id text, outcome text, details jsonb, patch jsonb,
         insert_segments int, segment_results jsonb)
     ), locked AS (
       SELECT p.id, p.state FROM provisionings p WHERE p.id IN (SELECT id FROM x) ORDER BY p.id FOR UPDATE
     ), old AS (
       SELECT locked.id, locked.state FROM locked JOIN x ON x.id = locked.id WHERE locked.state = ANY(x.from_states)
     ), r AS (
       ${submitResultsUpdate('sr')}
       FROM locked JOIN x ON x.id = locked.id, ${submitResultsRecordset('x.segment_results', 'sr')}
       WHERE x.segment_results IS NOT NULL AND s.provisioning_id = locked.id AND s.segment_number = sr.segment_number
     ), u AS (
       UPDATE provisionings p SET state = x.to_state, updated_at = now(),
         ${PATCH_SETS}
       FROM old JOIN x ON x.id = old.id WHERE p.id = old.id
       RETURNING p.*, old.state AS from_state
     ), e AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       SELECT u.id, u.from_state, x.to_state, x.cause, x.actor, x.details FROM u JOIN x ON x.id = u.id ORDER BY x.ord
       RETURNING provisioning_id, at
     ), a AS (
       INSERT INTO audit_log (actor, role, action, subject_type, subject_id, outcome, details, request_id)
       SELECT x.actor, x.role, 'provisioning.' || x.to_state, 'provisioning', u.id::text, x.outcome,
              jsonb_build_object('cause', x.cause, 'from', u.from_state) || x.details, x.request_id
       FROM u JOIN x ON x.id = u.id ORDER BY x.ord
     ), s AS (
       INSERT INTO segments (provisioning_id, segment_number)
       SELECT u.id, n FROM u JOIN x ON x.id = u.id, generate_series(1, x.insert_segments) AS n
       WHERE x.insert_segments IS NOT NULL
     )
     SELECT u.*, sub.msisdn, sub.imsi, sub.group_name, sub.firmware_version, e.at AS event_at
     FROM u JOIN subscribers sub ON sub.id = u.subscriber_id JOIN e ON e.provisioning_id = u.id`;

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
    from_states: [...input.from],
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
 * per input, in order: undefined where the provisioning is not in one of that input's `from` states.
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

/** Applies one transition; undefined when the provisioning is not in one of `from`. */
export async function transition(db: Db, input: TransitionInput): Promise<Transitioned | undefined> {
  const [change] = await transitionMany(db, [input]);
  return change;
}

/** Records an event on the timeline (and in the audit log) without changing the state. */
export async function appendEvent(
  db: Db,
  provisioning: { id: string; state: ProvisioningState },
  cause: string,
  actor: Actor,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.query(
    `WITH e AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       VALUES ($1, $2, $2, $3, $4, $5::jsonb)
     )
     INSERT INTO audit_log (actor, role, action, subject_type, subject_id, outcome, details, request_id)
     VALUES ($4, $6, 'provisioning.' || $3, 'provisioning', $1::text, 'ok', $5::jsonb, $7)`,
    [
      provisioning.id,
      provisioning.state,
      cause,
      actor.name,
      asJson(details),
      actor.role ?? null,
      actor.requestId ?? null,
    ],
  );
}

export interface NewProvisioning {
  id: string;
  subscriberId: string;
  source: string;
  reason: string | null;
  actor: Actor;
  state: ProvisioningState;
  priority: number;
  idempotencyKey: string;
  resendOf?: string | null;
  campaignId?: string | null;
  imei?: string | null;
  profileVersionId?: string | null;
  confirmBy?: Date | null;
  failureCode?: string | null;
  failureReason?: string | null;
  /** events after the creating one (requested), e.g. requested -> queued */
  cause: string;
  details?: Record<string, unknown>;
}

/**
 * Inserts a provisioning in its first state with its events (null -> requested [-> state]) and the
 * audit entry. undefined when the idempotency key is taken (the caller reads the existing one).
 */
export async function insertProvisioning(
  db: Db,
  input: NewProvisioning,
): Promise<ProvisioningRecord | undefined> {
  const events: Array<{ from_state: string | null; to_state: string; cause: string; details: unknown }> = [
    { from_state: null, to_state: 'requested', cause: input.cause, details: input.details ?? {} },
  ];
  if (input.state !== 'requested') {
    events.push({ from_state: 'requested', to_state: input.state, cause: input.cause, details: {} });
  }
  const final = input.state === 'failed' || input.state === 'cancelled';
  const row = await db.one<ProvisioningRow>(
    `WITH p AS (
       INSERT INTO provisionings (id, subscriber_id, source, reason, actor, state, priority, idempotency_key,
         resend_of, campaign_id, imei, profile_version_id, confirm_by, failure_code, failure_reason,
         queued_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         CASE WHEN $6 = 'queued' THEN now() END, CASE WHEN $16 THEN now() END)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *
     ), e AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       SELECT p.id, x.from_state, x.to_state, x.cause, p.actor, coalesce(x.details, '{}'::jsonb)
       FROM p, jsonb_to_recordset($17::jsonb) AS x(from_state text, to_state text, cause text, details jsonb)
     ), a AS (
       INSERT INTO audit_log (actor, role, action, subject_type, subject_id, outcome, details, request_id)
       SELECT p.actor, $18, 'provisioning.request', 'provisioning', p.id::text,
         CASE WHEN p.state = 'failed' THEN 'failed' ELSE 'ok' END,
         jsonb_build_object('source', p.source, 'reason', p.reason, 'state', p.state,
           'resendOf', p.resend_of, 'failureCode', p.failure_code), $19
       FROM p
     )
     SELECT p.*, s.msisdn, s.imsi, s.group_name FROM p JOIN subscribers s ON s.id = p.subscriber_id`,
    [
      input.id,
      input.subscriberId,
      input.source,
      input.reason,
      input.actor.name,
      input.state,
      input.priority,
      input.idempotencyKey,
      input.resendOf ?? null,
      input.campaignId ?? null,
      input.imei ?? null,
      input.profileVersionId ?? null,
      input.confirmBy ?? null,
      input.failureCode ?? null,
      input.failureReason ?? null,
      final,
      asJson(events),
      input.actor.role ?? null,
      input.actor.requestId ?? null,
    ],
  );
  return row && toProvisioning(row);
}

/**
 * insertProvisioning for several provisionings in one statement. Returns the created ones by id (one
 * whose idempotency key is taken is left out).
 */
export async function insertProvisionings(
  tx: Db,
  inputs: readonly NewProvisioning[],
): Promise<Map<string, ProvisioningRecord>> {
  if (inputs.length === 0) return new Map();
  const rows = inputs.map((input, ord) => {
    const events: Array<{ from_state: string | null; to_state: string; cause: string; details: unknown }> = [
      { from_state: null, to_state: 'requested', cause: input.cause, details: input.details ?? {} },
    ];
    if (input.state !== 'requested') {
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
      confirm_by: input.confirmBy?.toISOString() ?? null,
      failure_code: input.failureCode ?? null,
      failure_reason: input.failureReason ?? null,
      final: input.state === 'failed' || input.state === 'cancelled',
      events,
      role: input.actor.role ?? null,
      request_id: input.actor.requestId ?? null,
    };
  });
  const created = await tx.query<ProvisioningRow>(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, subscriber_id uuid, source text,
         reason text, actor text, state text, priority int, idempotency_key text, resend_of uuid,
         campaign_id uuid, imei text, profile_version_id uuid, confirm_by timestamptz, failure_code text,
         failure_reason text, final boolean, events jsonb, role text, request_id text)
     ), p AS (
       INSERT INTO provisionings (id, subscriber_id, source, reason, actor, state, priority, idempotency_key,
         resend_of, campaign_id, imei, profile_version_id, confirm_by, failure_code, failure_reason,
         queued_at, finished_at)
       SELECT id, subscriber_id, source, reason, actor, state, priority, idempotency_key, resend_of,
         campaign_id, imei, profile_version_id, confirm_by, failure_code, failure_reason,
         CASE WHEN state = 'queued' THEN now() END, CASE WHEN final THEN now() END
       FROM x ORDER BY ord
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *
     ), e AS (
       INSERT INTO provisioning_events (provisioning_id, from_state, to_state, cause, actor, details)
       SELECT p.id, ev.item ->> 'from_state', ev.item ->> 'to_state', ev.item ->> 'cause', p.actor,
         coalesce(nullif(ev.item -> 'details', 'null'::jsonb), '{}'::jsonb)
       FROM p JOIN x ON x.id = p.id, jsonb_array_elements(x.events) WITH ORDINALITY AS ev(item, n)
       ORDER BY x.ord, ev.n
     ), a AS (
       INSERT INTO audit_log (actor, role, action, subject_type, subject_id, outcome, details, request_id)
       SELECT p.actor, x.role, 'provisioning.request', 'provisioning', p.id::text,
         CASE WHEN p.state = 'failed' THEN 'failed' ELSE 'ok' END,
         jsonb_build_object('source', p.source, 'reason', p.reason, 'state', p.state,
           'resendOf', p.resend_of, 'failureCode', p.failure_code), x.request_id
       FROM p JOIN x ON x.id = p.id ORDER BY x.ord
     )
     SELECT p.*, s.msisdn, s.imsi, s.group_name FROM p JOIN subscribers s ON s.id = p.subscriber_id`,
    [asJson(rows)],
  );
  return new Map(created.map((row) => [row.id, toProvisioning(row)]));
}

export async function findByIdempotencyKey(db: Db, key: string): Promise<ProvisioningRecord | undefined> {
  const row = await db.one<ProvisioningRow>(`${WITH_SUBSCRIBER} WHERE p.idempotency_key = $1`, [key]);
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

/** Puts the segments of (another attempt at) a push in place: pending, receipts cleared. */
export async function resetSegments(
  db: Db,
  provisioningId: string,
  count: number,
  fresh = false,
): Promise<void> {
  if (fresh) {
    // First attempt: no segments yet.
    await db.query(
      `INSERT INTO segments (provisioning_id, segment_number) SELECT $1, n FROM generate_series(1, $2::int) AS n`,
      [provisioningId, count],
    );
    return;
  }
  await db.query(
    `INSERT INTO segments (provisioning_id, segment_number)
     SELECT $1, n FROM generate_series(1, $2::int) AS n
     ON CONFLICT (provisioning_id, segment_number) DO UPDATE SET
       smsc = NULL, message_id = NULL, message_id_normalised = NULL, submit_status = 'pending',
       submit_error = NULL, submitted_at = NULL, receipt_state = NULL, receipt_error = NULL,
       receipt_at = NULL, updated_at = now()`,
    [provisioningId, count],
  );
  await db.query(`DELETE FROM segments WHERE provisioning_id = $1 AND segment_number > $2`, [
    provisioningId,
    count,
  ]);
}

export interface SegmentOutcomeRecord {
  segmentNumber: number;
  ok: boolean;
  smsc: string | null;
  messageId: string | null;
  error: string | null;
}

function segmentResultRecord(result: SegmentOutcomeRecord): Record<string, unknown> {
  return {
    segment_number: result.segmentNumber,
    ok: result.ok,
    smsc: result.smsc,
    message_id: result.messageId,
    error: result.error,
  };
}

function segmentResultsJson(results: readonly SegmentOutcomeRecord[]): string {
  return asJson(results.map(segmentResultRecord));
}

/** Stores the submit results of one attempt (one statement for all segments). */
export async function recordSubmitResults(
  db: Db,
  provisioningId: string,
  results: readonly SegmentOutcomeRecord[],
): Promise<void> {
  await db.query(
    `${submitResultsUpdate('x')} FROM ${submitResultsRecordset('$2::jsonb', 'x')}
     WHERE s.provisioning_id = $1 AND s.segment_number = x.segment_number`,
    [provisioningId, segmentResultsJson(results)],
  );
}
