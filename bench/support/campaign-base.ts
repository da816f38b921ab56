/**
 * The subscriber base of bench:campaign: an operator's subscribers who all received version 1 of the
 * profile `bench-campaign`, which now has a version 2 (the WAP gateway moved: a new APN), so every one of
 * them is "affected by version 2" (issue #12). Each subscriber has a handset of one of the catalogued
 * models of support/mix.ts (both push formats), a group (default; every tenth corporate) and the history
 * of that delivered push: the provisioning (its version, model and format), its five transitions, its
 * segment with the receipt and an audit entry, a month old.
 *
 * Everything is written with set-based SQL (INSERT ... SELECT over generate_series, one statement per
 * table), so 1,000,000 subscribers take minutes, not hours. IMSIs are in MCC 901 (the international test
 * range) with MNC 71 and MSISDNs start 998: they never meet the other benchmarks' subscribers.
 */
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { createProfile, saveVersion } from '../../src/profiles/repository.ts';
import type { Db } from '../../src/store/db.ts';
import { MODELS } from './mix.ts';

export const CAMPAIGN_PROFILE = 'bench-campaign';
export const MSISDN_PREFIX = '998';
/** A subscriber whose number ends in 0 is corporate (USERPIN pushes, a PIN text after each). */
export const CORPORATE_EVERY = 10;
const HISTORY_ACTOR = 'bench-campaign-base';

/** One SMS on every model: the catch-all profile of support/mix.ts `one`, then its APN moved. */
const VERSIONS = [
  { name: 'Northwind', connections: [{ id: 'NW', bearer: 'GPRS', apn: 'internet' }] },
  { name: 'Northwind', connections: [{ id: 'NW', bearer: 'GPRS', apn: 'internet2' }] },
];

/** The i-th subscriber's identities, as the SQL below writes them (i from 1). */
export function campaignSubscriber(i: number): { imsi: string; msisdn: string; group: string } {
  return {
    imsi: `90171${String(i).padStart(10, '0')}`,
    msisdn: `${MSISDN_PREFIX}${String(i).padStart(10, '0')}`,
    group: i % CORPORATE_EVERY === 0 ? 'corporate' : 'default',
  };
}

/** How many of the first `count` subscribers are in group default (the bench campaign's selection). */
export function defaultGroupCount(count: number): number {
  return count - Math.floor(count / CORPORATE_EVERY);
}

/** dbl(x) of the Luhn sum for a digit x: 2x, less 9 when that has two digits. */
const doubled = (digit: string): string => `((2 * ${digit}) % 10 + (2 * ${digit}) / 10)`;
/** The Luhn sum of the 6 serial digits k (positions 9-14 of the IMEI: the 10th, 12th and 14th doubled). */
const SERIAL_SUM =
  `((k / 100000) % 10 + ${doubled('((k / 10000) % 10)')} + (k / 1000) % 10 + ` +
  `${doubled('((k / 100) % 10)')} + (k / 10) % 10 + ${doubled('(k % 10)')})`;

async function insertSubscribers(db: Db, count: number, versionId: string): Promise<void> {
  // A legacy 6-digit TAC matches any final assembly code: add one, as mix.ts triggerFor does.
  const tacs = MODELS.map((model) => (model.tac.length === 6 ? `${model.tac}01` : model.tac));
  const formats = MODELS.map((model) => model.format);
  // The TAC's share of the Luhn sum, mod 10 (3GPP TS 23.003 Annex B, as src/devices/imei.ts): zeros after
  // it add nothing, so the check digit of TAC + 000000 gives it away.
  const tacSums = tacs.map((tac) => (10 - luhnCheckDigit(`${tac}000000`)) % 10);
  await db.query(
    `WITH m AS (
       SELECT (u.ord - 1)::int AS i, u.tac, f.format, c.tac_sum,
              (SELECT t.model_id FROM tacs t WHERE t.tac IN (u.tac, left(u.tac, 6))
               ORDER BY length(t.tac) DESC LIMIT 1) AS model_id
       FROM unnest($2::text[]) WITH ORDINALITY AS u(tac, ord)
       JOIN unnest($3::text[]) WITH ORDINALITY AS f(format, ord) USING (ord)
       JOIN unnest($6::int[]) WITH ORDINALITY AS c(tac_sum, ord) USING (ord)
     ), s AS (
       INSERT INTO subscribers (imsi, msisdn, group_name, current_imei, imei_changed_at, seen_at)
       SELECT '90171' || lpad(n::text, 10, '0'), '${MSISDN_PREFIX}' || lpad(n::text, 10, '0'),
              CASE WHEN n % ${CORPORATE_EVERY} = 0 THEN 'corporate' ELSE 'default' END,
              m.tac || lpad(k::text, 6, '0') || ((10 - (m.tac_sum + ${SERIAL_SUM}) % 10) % 10)::text,
              now() - interval '60 days', now() - interval '1 day'
       FROM (SELECT n, n % 1000000 AS k FROM generate_series(1, $1::int) AS n) AS g
       JOIN m ON m.i = g.n % $4::int
       RETURNING id, current_imei
     ), d AS (
       INSERT INTO subscriber_devices (subscriber_id, imei, first_seen_at, last_seen_at)
       SELECT id, current_imei, now() - interval '60 days', now() - interval '1 day' FROM s
     )
     INSERT INTO provisionings (subscriber_id, source, actor, state, idempotency_key, imei, device_model_id,
       format, profile_version_id, security_method, segment_count, created_at, updated_at, queued_at,
       submitted_at, finished_at)
     SELECT s.id, 'first-use', '${HISTORY_ACTOR}', 'delivered', '${HISTORY_ACTOR}:' || s.id, s.current_imei,
       m.model_id, m.format, $5::uuid, CASE WHEN m.format = 'oma-cp' THEN 'NETWPIN' ELSE 'none' END, 1,
       now() - interval '30 days', now() - interval '30 days', now() - interval '30 days',
       now() - interval '30 days', now() - interval '30 days'
     FROM s JOIN m ON m.tac = left(s.current_imei, 8)`,
    [count, tacs, formats, tacs.length, versionId, tacSums],
  );
}

async function insertHistory(db: Db): Promise<void> {
  await db.exec(`
    INSERT INTO provisioning_events (provisioning_id, at, from_state, to_state, cause, actor, details)
    SELECT id, created_at, from_state, to_state, 'base', '${HISTORY_ACTOR}', '{}'::jsonb
    FROM provisionings, (VALUES (NULL, 'requested'), ('requested', 'queued'), ('queued', 'submitting'),
      ('submitting', 'submitted'), ('submitted', 'delivered')) AS t(from_state, to_state)
    WHERE actor = '${HISTORY_ACTOR}';
    INSERT INTO segments (provisioning_id, segment_number, smsc, message_id, message_id_normalised,
      submit_status, submit_attempts, submitted_at, receipt_state, receipt_at)
    SELECT id, 1, 'base', id::text, id::text, 'submitted', 1, created_at, 'DELIVRD', created_at
    FROM provisionings WHERE actor = '${HISTORY_ACTOR}';
    INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, outcome, details)
    SELECT created_at, '${HISTORY_ACTOR}', 'system', 'provisioning.delivered', 'provisioning', id::text, 'ok',
      '{}'::jsonb
    FROM provisionings WHERE actor = '${HISTORY_ACTOR}';
    ANALYZE;`);
}

/** A BaseGenerator (support/store.ts): the profile's two versions, then `count` subscribers on version 1. */
export async function seedCampaignBase(db: Db, count: number): Promise<void> {
  const { version } = await createProfile(db, {
    name: CAMPAIGN_PROFILE,
    parameters: VERSIONS[0],
    createdBy: 'bench',
  });
  await saveVersion(db, version.profileId, { parameters: VERSIONS[1], createdBy: 'bench', note: 'new APN' });
  if (count <= 0) return;
  await insertSubscribers(db, count, version.id);
  await insertHistory(db);
}
