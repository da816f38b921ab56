/**
 * An operator's existing subscriber base for the benchmarks: subscribers, each with the handset it was
 * seen in and one delivered provisioning with its timeline, segment and audit entry.
 *
 * Why: a fresh schema has empty tables, and PostgreSQL plans for empty tables (sequential scans, also in
 * the foreign-key checks it caches per connection) until autovacuum's ANALYZE, which a 10-second run
 * never reaches; a real gateway runs on tables of millions of rows. The base uses MCC 901 (the
 * international test range), so it never meets the benchmark's own subscribers, and is analysed before
 * the measured run.
 */
import type { Db } from '../../src/store/db.ts';

export async function seedSubscriberBase(db: Db, count: number): Promise<void> {
  if (count <= 0) return;
  await db.query(
    `WITH s AS (
       INSERT INTO subscribers (imsi, msisdn, current_imei, imei_changed_at, seen_at)
       SELECT '90170' || lpad(n::text, 10, '0'), '999' || lpad(n::text, 10, '0'),
              '35698001' || lpad((n % 1000000)::text, 6, '0') || '0', now() - interval '30 days', now()
       FROM generate_series(1, $1::int) AS n
       RETURNING id, current_imei
     ), d AS (
       INSERT INTO subscriber_devices (subscriber_id, imei, first_seen_at, last_seen_at)
       SELECT id, current_imei, now() - interval '30 days', now() FROM s
     )
     INSERT INTO provisionings (subscriber_id, source, actor, state, idempotency_key, imei, segment_count,
       created_at, updated_at, queued_at, submitted_at, finished_at)
     SELECT id, 'first-use', 'base', 'delivered', 'base:' || id, current_imei, 1,
       now() - interval '30 days', now() - interval '30 days', now() - interval '30 days',
       now() - interval '30 days', now() - interval '30 days'
     FROM s`,
    [count],
  );
  await db.exec(`
    INSERT INTO provisioning_events (provisioning_id, at, from_state, to_state, cause, actor, details)
    SELECT id, created_at, from_state, to_state, 'base', 'base', '{}'::jsonb
    FROM provisionings, (VALUES (NULL, 'requested'), ('requested', 'queued'), ('queued', 'submitting'),
      ('submitting', 'submitted'), ('submitted', 'delivered')) AS t(from_state, to_state)
    WHERE actor = 'base';
    INSERT INTO segments (provisioning_id, segment_number, smsc, message_id, message_id_normalised,
      submit_status, submit_attempts, submitted_at, receipt_state, receipt_at)
    SELECT id, 1, 'base', id::text, id::text, 'submitted', 1, created_at, 'DELIVRD', created_at
    FROM provisionings WHERE actor = 'base';
    INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, outcome, details)
    SELECT created_at, 'base', 'system', 'provisioning.' || t.state, 'provisioning', id::text, 'ok', '{}'::jsonb
    FROM provisionings, (VALUES ('request'), ('submitting'), ('submitted'), ('delivered')) AS t(state)
    WHERE actor = 'base';
    ANALYZE;`);
}
