import type { Db, Row } from '../db.ts';

/**
 * Read side of segments (one SMS of a push each) for operators: the message list and the SMSC counts.
 * The write side (submits, receipts) is in src/provisioning/repository.ts and receipt-repository.ts.
 */

/**
 * A message's state: its receipt when there is one (DELIVRD -> delivered, EXPIRED -> expired, any other
 * final stat -> failed), else how its submit went (pending, submitted, rejected).
 */
const MESSAGE_STATE_SQL = `CASE
  WHEN s.receipt_state = 'DELIVRD' THEN 'delivered'
  WHEN s.receipt_state = 'EXPIRED' THEN 'expired'
  WHEN s.receipt_state IN ('UNDELIV', 'REJECTD', 'DELETED', 'UNKNOWN') THEN 'failed'
  ELSE s.submit_status END`;

export interface MessageFilter {
  /** Only segments updated at or after this time. */
  since?: Date | string;
  smsc?: string;
  /** A message state (see MESSAGE_STATE_SQL). */
  state?: string;
  limit: number;
}

/** Segments with their state and the subscriber's MSISDN, most recently updated first. */
export async function listMessages(db: Db, filter: MessageFilter): Promise<Row[]> {
  return db.query(
    `SELECT * FROM (
       SELECT s.provisioning_id AS "provisioningId", s.segment_number AS "segmentNumber", s.smsc,
              s.message_id AS "messageId", ${MESSAGE_STATE_SQL} AS state, s.submit_status AS "submitStatus",
              s.submit_error AS "submitError", s.submit_attempts AS "submitAttempts", s.submitted_at AS "submittedAt",
              s.receipt_state AS "receiptState", s.receipt_error AS "receiptError", s.receipt_at AS "receiptAt",
              s.smsc_submit_date AS "smscSubmitDate", s.smsc_done_date AS "smscDoneDate",
              s.created_at AS "createdAt", s.updated_at AS "updatedAt", p.msisdn_of AS msisdn
         FROM segments s
         JOIN LATERAL (SELECT sub.msisdn AS msisdn_of FROM provisionings pp JOIN subscribers sub ON sub.id = pp.subscriber_id
                        WHERE pp.id = s.provisioning_id) p ON true
        WHERE ($1::timestamptz IS NULL OR s.updated_at >= $1) AND ($2::text IS NULL OR s.smsc = $2)
     ) m
     WHERE $3::text IS NULL OR m.state = $3
     ORDER BY m."updatedAt" DESC
     LIMIT $4`,
    [filter.since ?? null, filter.smsc ?? null, filter.state ?? null, filter.limit],
  );
}

export interface SubmitErrorCount {
  smsc: string | null;
  /** The submit_sm_resp command status. */
  status: string;
  count: number;
}

/** Rejected submits since `since`, by SMSC and command status, most frequent first. */
export async function countSubmitErrors(db: Db, since: Date): Promise<SubmitErrorCount[]> {
  return db.query<SubmitErrorCount>(
    `SELECT smsc, submit_error AS status, count(*)::int AS count FROM segments
      WHERE submit_status = 'rejected' AND updated_at >= $1 GROUP BY smsc, submit_error ORDER BY count DESC`,
    [since],
  );
}

export interface ReceiptStateCount {
  smsc: string | null;
  /** The receipt's stat (DELIVRD, UNDELIV, ...). */
  state: string;
  count: number;
}

/** Receipts since `since`, by SMSC and stat, most frequent first. */
export async function countReceiptStates(db: Db, since: Date): Promise<ReceiptStateCount[]> {
  return db.query<ReceiptStateCount>(
    `SELECT smsc, receipt_state AS state, count(*)::int AS count FROM segments
      WHERE receipt_state IS NOT NULL AND receipt_at >= $1 GROUP BY smsc, receipt_state ORDER BY count DESC`,
    [since],
  );
}
