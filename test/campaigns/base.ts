/**
 * A subscriber base for campaign tests, written by SQL: `count` subscribers numbered 1..count, spread
 * over models and groups by their number, with a delivered history of one profile's versions. The same
 * rules are given as plain functions, so tests count what a selection should find without SQL.
 */
import type { Db } from '../../src/store/db.ts';

/** By number % 10: which handset (TAC) the subscriber's IMEI has; null: no handset known. */
export const HANDSET_BY_REMAINDER: ReadonlyArray<{ tac: string | null; model: string }> = [
  { tac: null, model: '(no handset)' },
  { tac: '35698001', model: 'Nokia N95' },
  { tac: '35698001', model: 'Nokia N95' },
  { tac: '35698001', model: 'Nokia N95' },
  { tac: '35216700', model: 'Nokia 6230i' },
  { tac: '35216700', model: 'Nokia 6230i' },
  { tac: '35061200', model: 'Nokia 6610' }, // legacy TAC 350612: nokia-ota
  { tac: '35012200', model: 'Nokia 3310' }, // legacy TAC 350122: format none
  { tac: '99999999', model: '(not in the catalogue)' },
  { tac: '35467800', model: 'Sony Ericsson K750i' },
];

export interface BaseSubscriber {
  n: number;
  msisdn: string;
  group: string;
  model: string;
  /** the version of the profile last delivered, or null (never provisioned) */
  deliveredVersion: number | null;
  /** days ago that delivery finished */
  deliveredDaysAgo: number | null;
}

export function msisdnOf(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(7, '0')}`;
}

/** The base as the tests reason about it. */
export function baseSubscribers(count: number, prefix: string, groups: readonly string[]): BaseSubscriber[] {
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const version = n % 4 === 0 ? null : n % 4;
    return {
      n,
      msisdn: msisdnOf(prefix, n),
      group: groups[n % groups.length]!,
      model: HANDSET_BY_REMAINDER[n % 10]!.model,
      deliveredVersion: version,
      deliveredDaysAgo: version,
    };
  });
}

/**
 * Writes the base: subscribers, and for those with a history one delivered provisioning of `profile`'s
 * version (n % 4), finished (n % 4) days ago. The profile gets versions up to 3 (copies of version 1).
 */
export async function seedBase(
  db: Db,
  options: { count: number; prefix: string; groups: readonly string[]; profile: string },
): Promise<void> {
  const { count, prefix, groups, profile } = options;
  await db.query(
    `INSERT INTO profile_versions (profile_id, version, content, created_by)
     SELECT v.profile_id, n, v.content, 'test' FROM profile_versions v
       JOIN profiles p ON p.id = v.profile_id, generate_series(2, 3) n
      WHERE p.name = $1 AND v.version = 1
     ON CONFLICT DO NOTHING`,
    [profile],
  );
  await db.query(`UPDATE profiles SET latest_version = 3 WHERE name = $1`, [profile]);
  const tacs = HANDSET_BY_REMAINDER.map((handset) => handset.tac);
  await db.query(
    `INSERT INTO subscribers (imsi, msisdn, group_name, current_imei)
     SELECT '262' || $1 || lpad(i::text, 7, '0'), $1 || lpad(i::text, 7, '0'),
            ($2::text[])[1 + i % array_length($2::text[], 1)],
            ($3::text[])[1 + i % 10] || lpad(i::text, 6, '0')
       FROM generate_series(1, $4::int) i`,
    [prefix, [...groups], tacs, count],
  );
  await db.query(
    `INSERT INTO provisionings (subscriber_id, source, actor, state, profile_version_id, imei, finished_at,
                                idempotency_key)
     SELECT s.id, 'care', 'test', 'delivered', v.id, s.current_imei,
            now() - make_interval(days => (i % 4)), 'history.' || s.msisdn
       FROM generate_series(1, $2::int) i
       JOIN subscribers s ON s.msisdn = $1 || lpad(i::text, 7, '0')
       JOIN profiles p ON p.name = $3
       JOIN profile_versions v ON v.profile_id = p.id AND v.version = i % 4
      WHERE i % 4 <> 0`,
    [prefix, count, profile],
  );
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
