import type { RouteKit } from '../../route-kit.ts';
import { listMessages } from './schema.ts';

/**
 * A message's state: its receipt when there is one (DELIVRD -> delivered, EXPIRED -> expired, any other
 * final stat -> failed), else how its submit went (pending, submitted, rejected).
 */
const STATE_SQL = `CASE
  WHEN s.receipt_state = 'DELIVRD' THEN 'delivered'
  WHEN s.receipt_state = 'EXPIRED' THEN 'expired'
  WHEN s.receipt_state IN ('UNDELIV', 'REJECTD', 'DELETED', 'UNKNOWN') THEN 'failed'
  ELSE s.submit_status END`;

export function messageRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/messages', auth('operator'), validate(listMessages), async (ctx, { query }) => {
    const messages = await context.db.query(
      `SELECT * FROM (
         SELECT s.provisioning_id AS "provisioningId", s.segment_number AS "segmentNumber", s.smsc,
                s.message_id AS "messageId", ${STATE_SQL} AS state, s.submit_status AS "submitStatus",
                s.submit_error AS "submitError", s.submit_attempts AS "submitAttempts", s.submitted_at AS "submittedAt",
                s.receipt_state AS "receiptState", s.receipt_error AS "receiptError", s.receipt_at AS "receiptAt",
                s.created_at AS "createdAt", s.updated_at AS "updatedAt", p.msisdn_of AS msisdn
           FROM segments s
           JOIN LATERAL (SELECT sub.msisdn AS msisdn_of FROM provisionings pp JOIN subscribers sub ON sub.id = pp.subscriber_id
                          WHERE pp.id = s.provisioning_id) p ON true
          WHERE ($1::timestamptz IS NULL OR s.updated_at >= $1) AND ($2::text IS NULL OR s.smsc = $2)
       ) m
       WHERE $3::text IS NULL OR m.state = $3
       ORDER BY m."updatedAt" DESC
       LIMIT $4`,
      [query.since ?? null, query.smsc ?? null, query.state ?? null, query.limit],
    );
    ctx.body = { messages };
  });
}
