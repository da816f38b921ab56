/**
 * What a push's job needs when it runs again in `submitting` (an earlier attempt crashed, lost its link
 * or could not store its outcome): which UDH reference and bytes that attempt sent, and which of its
 * segments the SMSC accepted with a message id, so that only the others are sent again (issue #15
 * item 4: a handset reassembles the parts of one reference, docs/protocol.md §5.1, so parts resent
 * with the same reference and bytes complete the message instead of delivering it twice).
 */
import { asJson, genericPlan, type Db } from '../store/db.ts';
import { lockProvisionings } from './repository.ts';

export interface EarlierAttempt {
  /** the concatenation reference of the last attempt (undefined: an attempt that did not record it) */
  reference: number | undefined;
  /** the digest of its segments' bytes (deliver.ts digestOf) */
  digest: string | undefined;
  /** segments the SMSC accepted with a message id, stored: their receipts find them */
  accepted: number[];
}

/** The last attempt's reference and digest (its `submitting` event) and the segments it got accepted. */
export async function readEarlierAttempt(db: Db, provisioningId: string): Promise<EarlierAttempt> {
  const event = await db.one<{ reference: number | null; digest: string | null }>(
    `SELECT (details ->> 'reference')::int AS reference, details ->> 'digest' AS digest
     FROM provisioning_events
     WHERE provisioning_id = $1 AND to_state = 'submitting'
       AND cause IN ('submit', 'resubmit-after-unknown-outcome')
     ORDER BY id DESC LIMIT 1`,
    [provisioningId],
  );
  const segments = await db.query<{ segment_number: number }>(
    `SELECT segment_number FROM segments
     WHERE provisioning_id = $1 AND submit_status = 'submitted' AND message_id_normalised <> ''
     ORDER BY segment_number`,
    [provisioningId],
  );
  return {
    reference: event?.reference ?? undefined,
    digest: event?.digest ?? undefined,
    accepted: segments.map((row) => row.segment_number),
  };
}

/**
 * How many of the segments about to be sent again may have reached the handset already: accepted, sent
 * without an answer (`unknown`), or still pending (the attempt ended before it stored any answer: a
 * crash mid-submit). `kept` segments are not sent again, so they are not counted.
 */
export async function countResentPossiblySent(
  db: Db,
  provisioningId: string,
  kept: readonly number[],
): Promise<number> {
  const row = await db.one<{ count: number }>(
    `SELECT count(*)::int AS count FROM segments
     WHERE provisioning_id = $1 AND segment_number <> ALL($2::int[])
       AND (submit_status IN ('submitted', 'pending') OR submit_error = 'unknown')`,
    [provisioningId, kept],
  );
  return row?.count ?? 0;
}

/**
 * The segments of another attempt at a push: pending, receipts cleared, all but the `kept` ones, which
 * keep their message ids and receipts (they are not sent again).
 */
export async function resetResentSegments(
  db: Db,
  provisioningId: string,
  count: number,
  kept: readonly number[],
): Promise<void> {
  await db.query(
    `INSERT INTO segments (provisioning_id, segment_number)
     SELECT $1, n FROM generate_series(1, $2::int) AS n
     ON CONFLICT (provisioning_id, segment_number) DO UPDATE SET
       smsc = NULL, message_id = NULL, message_id_normalised = NULL, submit_status = 'pending',
       submit_error = NULL, submitted_at = NULL, receipt_state = NULL, receipt_error = NULL,
       receipt_at = NULL, smsc_submit_date = NULL, smsc_done_date = NULL, updated_at = now()
     WHERE segments.segment_number <> ALL($3::int[])`,
    [provisioningId, count, kept],
  );
  await db.query(`DELETE FROM segments WHERE provisioning_id = $1 AND segment_number > $2`, [
    provisioningId,
    count,
  ]);
}

export interface AcceptedSegment {
  provisioningId: string;
  segmentNumber: number;
  smsc: string | null;
  messageId: string;
  rawMessageId: string;
}

/**
 * Stores the message ids of segments the SMSC accepted while their push is still being sent (one
 * transaction for many pushes). Only segments still pending are touched: the push's own outcome, written
 * when every segment is answered, is the record; this is the part of it a crash would lose.
 */
export async function recordAcceptedSegments(db: Db, segments: readonly AcceptedSegment[]): Promise<void> {
  const ids = [...new Set(segments.map((segment) => segment.provisioningId))].sort();
  await db.transaction(async (tx) => {
    // the provisionings' row locks first, in id order, as transitions and receipts take them before
    // they touch segments: without them this statement deadlocked with those (chaos run)
    await lockProvisionings(tx, ids);
    await writeAcceptedSegments(tx, segments);
  });
}

async function writeAcceptedSegments(db: Db, segments: readonly AcceptedSegment[]): Promise<void> {
  await db.query(
    genericPlan(`UPDATE segments s SET smsc = a.smsc, message_id = a.raw_message_id,
       message_id_normalised = a.message_id, submit_status = 'submitted', submitted_at = now(),
       updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS a(provisioning_id uuid, segment_number int, smsc text,
       message_id text, raw_message_id text)
     WHERE s.provisioning_id = a.provisioning_id AND s.segment_number = a.segment_number
       AND s.submit_status = 'pending'`),
    [
      asJson(
        segments.map((segment) => ({
          provisioning_id: segment.provisioningId,
          segment_number: segment.segmentNumber,
          smsc: segment.smsc,
          message_id: segment.messageId,
          raw_message_id: segment.rawMessageId,
        })),
      ),
    ],
  );
}
