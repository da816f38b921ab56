import type { GroupPolicy } from '../../subscribers/policy.ts';
import { genericPlan, asJson, type Db } from '../db.ts';

/**
 * groups: a subscriber group and its policy. The policy document (column policy) is the source of
 * truth; the other columns mirror it for SQL-side use (quiet hours, caps).
 */

/** A group as the admin list shows it: the stored policy document as it is, and its subscriber count. */
export interface GroupSummary {
  name: string;
  description: string | null;
  policy: Record<string, unknown>;
  subscribers: number;
}

/** Groups by name with their subscriber counts; only the one named, when `name` is given. */
export async function listGroupSummaries(db: Db, name?: string): Promise<GroupSummary[]> {
  return db.query<GroupSummary>(
    `SELECT g.name, g.description, g.policy,
            (SELECT count(*)::int FROM subscribers s WHERE s.group_name = g.name) AS subscribers
       FROM groups g WHERE $1::text IS NULL OR g.name = $1 ORDER BY g.name`,
    [name ?? null],
  );
}

/** Every group's stored policy document, by name (unparsed: the caller reads it through the schema). */
export async function listGroupPolicyDocuments(db: Db): Promise<Array<{ name: string; policy: unknown }>> {
  return db.query<{ name: string; policy: unknown }>(genericPlan(`SELECT name, policy FROM groups`));
}

const REPLACE_GROUP = `DO UPDATE SET description = EXCLUDED.description,
       confirmation_mode = EXCLUDED.confirmation_mode,
       confirmation_timeout_seconds = EXCLUDED.confirmation_timeout_seconds,
       security_method = EXCLUDED.security_method, quiet_hours_start = EXCLUDED.quiet_hours_start,
       quiet_hours_end = EXCLUDED.quiet_hours_end, time_zone = EXCLUDED.time_zone, priority = EXCLUDED.priority,
       daily_push_cap = EXCLUDED.daily_push_cap, policy = EXCLUDED.policy, updated_at = now()`;

/**
 * How saveGroup treats a group that exists or was retired: replace (PUT /v1/groups/:name) writes it
 * over and revives a retired one; create (POST /v1/groups) only inserts, reviving too; seed
 * (`keepExisting`, seedGroups) only inserts, and never a group an admin retired (migration 003).
 */
function groupWriteClauses(options: { keepExisting?: boolean; createOnly?: boolean }) {
  if (options.keepExisting) {
    return {
      before: '',
      guard: 'WHERE NOT EXISTS (SELECT 1 FROM retired_groups r WHERE r.name = $1::text)',
      onConflict: 'DO NOTHING',
    };
  }
  return {
    before: 'WITH revived AS (DELETE FROM retired_groups WHERE name = $1::text)',
    guard: '',
    onConflict: options.createOnly ? 'DO NOTHING' : REPLACE_GROUP,
  };
}

/**
 * Creates the group or replaces its description and policy (and the columns mirroring it); with
 * `createOnly` a group that exists is left as it is, and with `keepExisting` (seeding) a retired one
 * too. Returns whether the group was written.
 */
export async function saveGroup(
  db: Db,
  name: string,
  group: { description: string | null; policy: GroupPolicy },
  options: { keepExisting?: boolean; createOnly?: boolean } = {},
): Promise<boolean> {
  const { policy } = group;
  const clauses = groupWriteClauses(options);
  const rows = await db.query(
    `${clauses.before}
     INSERT INTO groups (name, description, confirmation_mode, confirmation_timeout_seconds, security_method,
                         quiet_hours_start, quiet_hours_end, time_zone, priority, daily_push_cap, policy, updated_at)
     SELECT $1::text, $2::text, $3::text, $4::int, $5::text, $6::time, $7::time, $8::text, $9::int, $10::int,
            $11::jsonb, now() ${clauses.guard}
     ON CONFLICT (name) ${clauses.onConflict} RETURNING name`,
    [
      name,
      group.description,
      policy.confirmation,
      policy.confirmationTimeoutMinutes * 60,
      policy.securityMethod,
      policy.quietHours?.start ?? null,
      policy.quietHours?.end ?? null,
      policy.timeZone ?? policy.quietHours?.timeZone ?? 'UTC',
      policy.priority,
      policy.dailyCap ?? null,
      asJson(policy),
    ],
  );
  return rows.length > 0;
}

/** The settings the care view shows of a group (the mirrored columns, camel-cased, and the policy). */
export async function findGroupSettings(db: Db, name: string): Promise<Record<string, unknown> | undefined> {
  return db.one(
    `SELECT name, description, confirmation_mode AS "confirmationMode", security_method AS "securityMethod",
            quiet_hours_start AS "quietHoursStart", quiet_hours_end AS "quietHoursEnd", time_zone AS "timeZone",
            daily_push_cap AS "dailyPushCap", policy
       FROM groups WHERE name = $1`,
    [name],
  );
}

/** Which of these group names exist. */
export async function existingGroupNames(db: Db, names: readonly string[]): Promise<Set<string>> {
  const rows = await db.query<{ name: string }>(`SELECT name FROM groups WHERE name = ANY($1::text[])`, [
    names,
  ]);
  return new Set(rows.map((row) => row.name));
}

export type GroupDeletion =
  | { outcome: 'deleted'; rulesDeleted: number }
  | { outcome: 'not-found' }
  | { outcome: 'not-empty'; subscribers: number };

/**
 * Deletes a group nobody is in and records it as retired, so seeding does not bring it back. Its
 * selection rules go with it (profile_rules.subscriber_group is ON
 * DELETE CASCADE: a rule for a group that no longer exists could never match). The subscriber FK still
 * refuses the delete if a subscriber joins between the count and the delete (23503).
 */
export async function deleteEmptyGroup(tx: Db, name: string): Promise<GroupDeletion> {
  const found = await tx.one<{ subscribers: number; rules: number }>(
    `SELECT (SELECT count(*)::int FROM subscribers WHERE group_name = g.name) AS subscribers,
            (SELECT count(*)::int FROM profile_rules WHERE subscriber_group = g.name) AS rules
       FROM groups g WHERE g.name = $1 FOR UPDATE`,
    [name],
  );
  if (!found) return { outcome: 'not-found' };
  if (found.subscribers > 0) return { outcome: 'not-empty', subscribers: found.subscribers };
  await tx.query(
    `WITH gone AS (DELETE FROM groups WHERE name = $1 RETURNING name)
     INSERT INTO retired_groups (name) SELECT name FROM gone ON CONFLICT (name) DO UPDATE SET retired_at = now()`,
    [name],
  );
  return { outcome: 'deleted', rulesDeleted: found.rules };
}
