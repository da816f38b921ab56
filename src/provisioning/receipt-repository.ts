/**
 * The store side of delivery receipts (receipts.ts): segments found by message id, their receipt states,
 * and unmatched_receipts, where a receipt waits that arrived before its segment's message id was stored.
 * Every function takes a batch, one statement for all of it.
 */
import { asJson, type Db, genericPlan } from '../store/db.ts';

/** A segment a receipt's (smsc, normalised message id) names. */
export interface MatchedSegment {
  provisioning_id: string;
  segment_number: number;
  smsc: string;
  message_id_normalised: string;
  /** when the SMSC's answer gave the segment this id (stored with it) */
  submitted_at: Date | null;
}

/**
 * The segments with these (smsc, normalised message id) pairs, their provisionings' rows locked in id
 * order (receipt batches and the processor lock in the same order, so they never deadlock). An id the
 * SMSC used again matches every segment that had it: the caller takes the one submitted last before the
 * receipt (receipts.ts newestSubmitBefore).
 */
export async function lockSegmentsByMessageId(
  tx: Db,
  keys: ReadonlyArray<{ smsc: string; messageId: string }>,
): Promise<MatchedSegment[]> {
  if (keys.length === 0) return [];
  return tx.query<MatchedSegment>(
    genericPlan(`SELECT s.provisioning_id, s.segment_number, s.smsc, s.message_id_normalised, s.submitted_at
     FROM segments s
     JOIN unnest($1::text[], $2::text[]) AS k(smsc, message_id)
       ON s.smsc = k.smsc AND s.message_id_normalised = k.message_id
     JOIN provisionings p ON p.id = s.provisioning_id
     ORDER BY p.id FOR UPDATE OF p`),
    [keys.map((key) => key.smsc), keys.map((key) => key.messageId)],
  );
}

/** The receipt state one segment is to get. */
export interface SegmentReceipt {
  provisioningId: string;
  segmentNumber: number;
  /** the receipt's stat word (DELIVRD, UNDELIV, ENROUTE ...) */
  stat: string;
  error: string | null;
  /** when we received the receipt */
  at: Date;
  /** the SMSC's `submit date` / `done date` from the receipt text, when it had them */
  smscSubmitDate: Date | null;
  smscDoneDate: Date | null;
}

/** Intermediate receipt states: never written over a final one. */
export const INTERMEDIATE_STATS: ReadonlySet<string> = new Set(['ENROUTE', 'ACCEPTD']);

/**
 * Stores the receipt states, one per segment (a late ENROUTE/ACCEPTD does not overwrite a final
 * state already stored). receipt_at is our receive time, but never before submitted_at: that is when the
 * submit's outcome was stored, which a receipt can overtake (the SMSC answers submit_sm and sends the
 * receipt at once; it then waits for the store, receipts.ts), so such a receipt counts from then.
 */
export async function storeSegmentReceipts(tx: Db, receipts: readonly SegmentReceipt[]): Promise<void> {
  if (receipts.length === 0) return;
  await tx.query(
    genericPlan(`UPDATE segments s SET receipt_state = r.stat, receipt_error = r.error,
       receipt_at = GREATEST(r.at, s.submitted_at), smsc_submit_date = r.smsc_submit_date,
       smsc_done_date = r.smsc_done_date, updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS r(provisioning_id uuid, segment_number int, stat text, error text,
       at timestamptz, smsc_submit_date timestamptz, smsc_done_date timestamptz)
     WHERE s.provisioning_id = r.provisioning_id AND s.segment_number = r.segment_number
       AND (s.receipt_state IS NULL OR s.receipt_state = ANY($2::text[]) OR NOT r.stat = ANY($2::text[]))`),
    [
      asJson(
        receipts.map((receipt) => ({
          provisioning_id: receipt.provisioningId,
          segment_number: receipt.segmentNumber,
          stat: receipt.stat,
          error: receipt.error,
          at: receipt.at.toISOString(),
          smsc_submit_date: receipt.smscSubmitDate?.toISOString() ?? null,
          smsc_done_date: receipt.smscDoneDate?.toISOString() ?? null,
        })),
      ),
      [...INTERMEDIATE_STATS],
    ],
  );
}

/** What settling a provisioning reads of each of its segments. */
export interface SegmentReceiptState {
  provisioning_id: string;
  segment_number: number;
  submit_status: string;
  receipt_state: string | null;
  receipt_error: string | null;
}

/** The segments of these provisionings, by provisioning id, each list in segment order. */
export async function listSegmentReceiptStates(
  tx: Db,
  provisioningIds: readonly string[],
): Promise<Map<string, SegmentReceiptState[]>> {
  const byProvisioning = new Map<string, SegmentReceiptState[]>();
  if (provisioningIds.length === 0) return byProvisioning;
  const segments = await tx.query<SegmentReceiptState>(
    genericPlan(`SELECT provisioning_id, segment_number, submit_status, receipt_state, receipt_error FROM segments
     WHERE provisioning_id = ANY($1::uuid[]) ORDER BY provisioning_id, segment_number`),
    [[...provisioningIds]],
  );
  for (const segment of segments) {
    const list = byProvisioning.get(segment.provisioning_id) ?? [];
    list.push(segment);
    byProvisioning.set(segment.provisioning_id, list);
  }
  return byProvisioning;
}

/** A segment to ask the SMSC about (query_sm): submitted, its push still waiting for final receipts. */
export interface SegmentToQuery {
  provisioning_id: string;
  segment_number: number;
  smsc: string;
  /** as the SMSC sent it in submit_sm_resp: what query_sm names */
  message_id: string;
  message_id_normalised: string;
}

/**
 * Claims at most `limit` segments of `smsc` to ask about: submitted before `submittedBefore`, of a push
 * still `submitted`, without a final receipt, and not asked since `askedBefore`; each is marked asked
 * `now` in the same statement (SKIP LOCKED: another worker's sweep takes others), oldest submit first.
 */
export async function claimSegmentsToQuery(
  db: Db,
  smsc: string,
  bounds: { submittedBefore: Date; askedBefore: Date; now: Date },
  limit: number,
): Promise<SegmentToQuery[]> {
  return db.query<SegmentToQuery>(
    `WITH due AS (
       SELECT s.provisioning_id, s.segment_number FROM segments s
       JOIN provisionings p ON p.id = s.provisioning_id AND p.state = 'submitted'
       WHERE s.smsc = $1 AND s.submit_status = 'submitted' AND s.message_id IS NOT NULL
         AND (s.receipt_state IS NULL OR s.receipt_state IN ('ENROUTE', 'ACCEPTD'))
         AND s.submitted_at < $2 AND (s.status_queried_at IS NULL OR s.status_queried_at < $3)
       ORDER BY s.submitted_at LIMIT $4 FOR UPDATE OF s SKIP LOCKED)
     UPDATE segments s SET status_queried_at = $5
     FROM due WHERE s.provisioning_id = due.provisioning_id AND s.segment_number = due.segment_number
     RETURNING s.provisioning_id, s.segment_number, s.smsc, s.message_id, s.message_id_normalised`,
    [smsc, bounds.submittedBefore, bounds.askedBefore, limit, bounds.now],
  );
}

/** A receipt no segment had the message id of (yet). */
export interface ParkedReceiptInput {
  smsc: string;
  /** normalised */
  messageId: string;
  stat: string;
  error: string | null;
  details: Record<string, unknown>;
  receivedAt: Date;
  smscSubmitDate: Date | null;
  smscDoneDate: Date | null;
}

export async function parkReceipts(tx: Db, receipts: readonly ParkedReceiptInput[]): Promise<void> {
  if (receipts.length === 0) return;
  await tx.query(
    genericPlan(`INSERT INTO unmatched_receipts (smsc, message_id_normalised, receipt_state, receipt_error, details,
       received_at, smsc_submit_date, smsc_done_date)
     SELECT r.smsc, r.message_id, r.stat, r.error, r.details, r.received_at, r.smsc_submit_date, r.smsc_done_date
     FROM jsonb_to_recordset($1::jsonb) AS r(smsc text, message_id text, stat text, error text, details jsonb,
       received_at timestamptz, smsc_submit_date timestamptz, smsc_done_date timestamptz)`),
    [
      asJson(
        receipts.map((receipt) => ({
          smsc: receipt.smsc,
          message_id: receipt.messageId,
          stat: receipt.stat,
          error: receipt.error,
          details: receipt.details,
          received_at: receipt.receivedAt.toISOString(),
          smsc_submit_date: receipt.smscSubmitDate?.toISOString() ?? null,
          smsc_done_date: receipt.smscDoneDate?.toISOString() ?? null,
        })),
      ),
    ],
  );
}

/**
 * How long before its segment's id is stored a parked receipt may have arrived and still be the
 * segment's: a receipt overtakes its submit_sm_resp by moments (and waits for the store at most a submit's
 * round trip). One parked longer before is another message's that had the id before the SMSC used it
 * again (issue #15 item 7): it is left alone (the unmatched-receipts sweep drops it in time).
 */
export const PARKED_RECEIPT_MAX_LEAD_MS = 10 * 60_000;

/**
 * The parked receipts whose message ids the segments of these provisionings now have, and that arrived
 * no more than PARKED_RECEIPT_MAX_LEAD_MS before the id was stored, as segment receipts in the order they
 * arrived; taken out of unmatched_receipts. The caller holds the provisionings' row locks (and has just
 * stored the ids).
 */
export async function takeParkedReceipts(
  tx: Db,
  provisioningIds: readonly string[],
): Promise<SegmentReceipt[]> {
  if (provisioningIds.length === 0) return [];
  const parked = await tx.query<{
    id: number;
    provisioning_id: string;
    segment_number: number;
    receipt_state: string;
    receipt_error: string | null;
    received_at: Date;
    smsc_submit_date: Date | null;
    smsc_done_date: Date | null;
  }>(
    genericPlan(`SELECT u.id, s.provisioning_id, s.segment_number, u.receipt_state, u.receipt_error, u.received_at,
            u.smsc_submit_date, u.smsc_done_date
     FROM unmatched_receipts u JOIN segments s
       ON s.smsc = u.smsc AND s.message_id_normalised = u.message_id_normalised
     WHERE s.provisioning_id = ANY($1::uuid[])
       AND (s.submitted_at IS NULL OR u.received_at >= s.submitted_at - $2::int * interval '1 millisecond')
     ORDER BY u.id`),
    [[...provisioningIds], PARKED_RECEIPT_MAX_LEAD_MS],
  );
  if (parked.length === 0) return [];
  await tx.query(`DELETE FROM unmatched_receipts WHERE id = ANY($1::bigint[])`, [
    parked.map((row) => row.id),
  ]);
  return parked.map((row) => ({
    provisioningId: row.provisioning_id,
    segmentNumber: row.segment_number,
    stat: row.receipt_state,
    error: row.receipt_error,
    at: row.received_at,
    smscSubmitDate: row.smsc_submit_date,
    smscDoneDate: row.smsc_done_date,
  }));
}

/** An unmatched receipt as the operators' list shows it. */
export interface UnmatchedReceipt {
  id: number;
  smsc: string;
  messageId: string;
  stat: string;
  error: string | null;
  receivedAt: Date;
  smscSubmitDate: Date | null;
  smscDoneDate: Date | null;
  /** what the connector knew: pushId, segmentIndex, destination */
  details: Record<string, unknown>;
}

export interface UnmatchedReceiptFilter {
  smsc?: string;
  /** only receipts with an id below this one: the page after the last one seen */
  beforeId?: number;
  limit: number;
}

/** Unmatched receipts, newest first (by id: an identity, so in the order they were parked). */
export async function listUnmatchedReceipts(
  db: Db,
  filter: UnmatchedReceiptFilter,
): Promise<UnmatchedReceipt[]> {
  return db.query<UnmatchedReceipt>(
    `SELECT id, smsc, message_id_normalised AS "messageId", receipt_state AS stat, receipt_error AS error,
            received_at AS "receivedAt", smsc_submit_date AS "smscSubmitDate",
            smsc_done_date AS "smscDoneDate", details
     FROM unmatched_receipts
     WHERE ($1::text IS NULL OR smsc = $1) AND ($2::bigint IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [filter.smsc ?? null, filter.beforeId ?? null, filter.limit],
  );
}

/** How many receipts wait in unmatched_receipts, by SMSC (the /metrics gauge, read when scraped). */
export async function countUnmatchedReceipts(db: Db): Promise<Record<string, number>> {
  const rows = await db.query<{ smsc: string; count: number }>(
    `SELECT smsc, count(*)::int AS count FROM unmatched_receipts GROUP BY smsc`,
  );
  return Object.fromEntries(rows.map((row) => [row.smsc, row.count]));
}

/**
 * Removes at most `limit` unmatched receipts received before `cutoff`, oldest first; how many went, by
 * SMSC. SKIP LOCKED: a row another sweep (or takeParkedReceipts) holds is left to it.
 */
export async function dropUnmatchedReceiptsBefore(
  db: Db,
  cutoff: Date,
  limit: number,
): Promise<Record<string, number>> {
  const rows = await db.query<{ smsc: string; count: number }>(
    `WITH dropped AS (
       DELETE FROM unmatched_receipts WHERE id IN (
         SELECT id FROM unmatched_receipts WHERE received_at < $1
         ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING smsc)
     SELECT smsc, count(*)::int AS count FROM dropped GROUP BY smsc`,
    [cutoff, limit],
  );
  return Object.fromEntries(rows.map((row) => [row.smsc, row.count]));
}
