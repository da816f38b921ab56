import type { Db } from '../db.ts';

/**
 * The recent history of each SMSC as the operators' page shows it: segments submitted and receipts
 * received per minute, and how long receipts took. Read by range on submitted_at / receipt_at (indexes
 * of migration 013), so the cost is the window's rows, not the table's.
 */

/** One SMSC's counts in one minute; minutes with nothing in them are not returned. */
export interface SmscMinute {
  smsc: string;
  /** the start of the minute */
  minute: Date;
  /** segments the SMSC accepted (submit_sm_resp ok) in that minute */
  submitted: number;
  /** final receipts received in that minute */
  receipts: number;
  /** of those, receipts that failed the segment (any final stat but DELIVRD) */
  failedReceipts: number;
}

/**
 * Receipt stats that are not an outcome (docs/protocol.md §6.6: ENROUTE and ACCEPTD are buffered, not
 * final); a segment whose receipt_state is one of them still waits for its final receipt.
 */
const INTERMEDIATE_STATS_SQL = `('ENROUTE', 'ACCEPTD')`;

/** Per SMSC and minute since `since`, oldest minute first. */
export async function listSmscMinutes(db: Db, since: Date): Promise<SmscMinute[]> {
  return db.query<SmscMinute>(
    `WITH submitted AS (
       SELECT smsc, date_trunc('minute', submitted_at) AS minute, count(*)::int AS count FROM segments
        WHERE submitted_at >= $1 AND smsc IS NOT NULL GROUP BY 1, 2),
     receipts AS (
       SELECT smsc, date_trunc('minute', receipt_at) AS minute, count(*)::int AS count,
              (count(*) FILTER (WHERE receipt_state <> 'DELIVRD'))::int AS failed FROM segments
        WHERE receipt_at >= $1 AND smsc IS NOT NULL AND receipt_state NOT IN ${INTERMEDIATE_STATS_SQL}
        GROUP BY 1, 2)
     SELECT coalesce(s.smsc, r.smsc) AS smsc, coalesce(s.minute, r.minute) AS minute,
            coalesce(s.count, 0) AS submitted, coalesce(r.count, 0) AS receipts,
            coalesce(r.failed, 0) AS "failedReceipts"
       FROM submitted s FULL JOIN receipts r ON r.smsc = s.smsc AND r.minute = s.minute
      ORDER BY 2, 1`,
    [since],
  );
}

/** How long one SMSC's final receipts took, from our submit to our receipt. */
export interface ReceiptLatency {
  smsc: string;
  receipts: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * Submit -> receipt latency of the final receipts received since `since`, by SMSC (both times are our
 * clock: submitted_at when the submit_sm_resp was stored, receipt_at when the receipt came, never before
 * it; receipt-repository.ts storeSegmentReceipts).
 */
export async function receiptLatencies(db: Db, since: Date): Promise<ReceiptLatency[]> {
  const rows = await db.query<{ smsc: string; receipts: number; p50: number; p95: number }>(
    `SELECT smsc, count(*)::int AS receipts,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency) AS p95
       FROM (SELECT smsc, extract(epoch FROM receipt_at - submitted_at) * 1000 AS latency FROM segments
              WHERE receipt_at >= $1 AND submitted_at IS NOT NULL AND smsc IS NOT NULL
                AND receipt_state NOT IN ${INTERMEDIATE_STATS_SQL}) t
      GROUP BY smsc ORDER BY smsc`,
    [since],
  );
  // Number(): percentile_cont answers float8, but a driver may hand numeric-like values as text (db.ts).
  return rows.map((row) => ({
    smsc: row.smsc,
    receipts: row.receipts,
    p50Ms: Math.round(Number(row.p50)),
    p95Ms: Math.round(Number(row.p95)),
  }));
}

/** What the live tail shows of a segment: its receipt, or its refused submit. */
export type TailState = 'delivered' | 'failed' | 'expired' | 'en route' | 'rejected';
export const TAIL_STATES: readonly TailState[] = ['delivered', 'failed', 'expired', 'en route', 'rejected'];

export interface TailEntry {
  provisioningId: string;
  segmentNumber: number;
  smsc: string;
  msisdn: string | null;
  state: TailState;
  /** the receipt's stat (DELIVRD, UNDELIV, ...) or the submit's command status name */
  code: string | null;
  /** the receipt's err: field */
  error: string | null;
  at: Date;
}

export interface TailFilter {
  since: Date;
  smsc?: string;
  state?: TailState;
  /** digits the subscriber's MSISDN starts with */
  msisdnPrefix?: string;
  limit: number;
}

/** A receipt's tail state (docs/protocol.md §6.6: ENROUTE and ACCEPTD are not outcomes yet). */
const RECEIPT_TAIL_STATE_SQL = `CASE WHEN s.receipt_state = 'DELIVRD' THEN 'delivered'
  WHEN s.receipt_state = 'EXPIRED' THEN 'expired'
  WHEN s.receipt_state IN ${INTERMEDIATE_STATS_SQL} THEN 'en route' ELSE 'failed' END`;

/**
 * The two sides of the tail. Each reads newest first by its own index (receipt_at; updated_at of
 * rejected segments, migration 013) and stops at the limit, so the tail costs about `limit` rows a side.
 */
const TAIL_SOURCES = {
  receipts: {
    state: RECEIPT_TAIL_STATE_SQL,
    columns: `s.receipt_state AS code, s.receipt_error AS error, s.receipt_at AS at`,
    where: `s.receipt_at >= $1`,
    order: `s.receipt_at DESC`,
  },
  rejected: {
    state: `'rejected'`,
    columns: `s.submit_error AS code, NULL AS error, s.updated_at AS at`,
    where: `s.submit_status = 'rejected' AND s.updated_at >= $1`,
    order: `s.updated_at DESC`,
  },
} as const;

function tailSide(side: (typeof TAIL_SOURCES)[keyof typeof TAIL_SOURCES]): string {
  return `(SELECT s.provisioning_id AS "provisioningId", s.segment_number AS "segmentNumber", s.smsc,
           sub.msisdn, ${side.state} AS state, ${side.columns}
      FROM segments s JOIN provisionings p ON p.id = s.provisioning_id
      JOIN subscribers sub ON sub.id = p.subscriber_id
     WHERE ${side.where} AND s.smsc IS NOT NULL AND ($2::text IS NULL OR s.smsc = $2)
       AND ($3::text IS NULL OR starts_with(sub.msisdn, $3)) AND ($4::text IS NULL OR ${side.state} = $4)
     ORDER BY ${side.order} LIMIT $5)`;
}

/**
 * The newest receipts and refused submits since `since`, newest first, filtered by SMSC, tail state and
 * MSISDN prefix (the SMSC page's live tail, read again when a receipt or a state change is announced).
 */
export async function listTail(db: Db, filter: TailFilter): Promise<TailEntry[]> {
  return db.query<TailEntry>(
    `SELECT * FROM (${tailSide(TAIL_SOURCES.receipts)} UNION ALL ${tailSide(TAIL_SOURCES.rejected)}) tail
      ORDER BY tail.at DESC, tail."provisioningId", tail."segmentNumber" LIMIT $5`,
    [filter.since, filter.smsc ?? null, filter.msisdnPrefix ?? null, filter.state ?? null, filter.limit],
  );
}
