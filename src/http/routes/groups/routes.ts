import { asJson, type Db } from '../../../store/db.ts';
import { DEFAULT_GROUP_POLICY, groupPolicySchema, type GroupPolicy } from '../../../subscribers/policy.ts';
import type { RouteKit } from '../../route-kit.ts';
import { listGroups, putGroup } from './schema.ts';

interface GroupRow {
  name: string;
  description: string | null;
  policy: Record<string, unknown>;
  subscribers: number;
}

/** A stored policy document, re-read through the schema (defaults filled in); an unreadable one counts as the default. */
function policyOf(row: GroupRow): GroupPolicy {
  const parsed = groupPolicySchema.safeParse(row.policy ?? {});
  return parsed.success ? parsed.data : DEFAULT_GROUP_POLICY;
}

async function readGroups(db: Db, name?: string): Promise<GroupRow[]> {
  return db.query<GroupRow>(
    `SELECT g.name, g.description, g.policy,
            (SELECT count(*)::int FROM subscribers s WHERE s.group_name = g.name) AS subscribers
       FROM groups g WHERE $1::text IS NULL OR g.name = $1 ORDER BY g.name`,
    [name ?? null],
  );
}

export function groupRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/groups', auth('admin'), validate(listGroups), async (ctx) => {
    const rows = await readGroups(context.db);
    ctx.body = { groups: rows.map((row) => ({ ...row, policy: policyOf(row) })) };
  });

  api.put('/v1/groups/:name', auth('admin'), validate(putGroup), async (ctx, { params, body }) => {
    ctx.state.audit = { subjectType: 'group', subjectId: params.name, details: { policy: body.policy } };
    const policy = body.policy;
    // The columns mirror the policy for SQL-side use (quiet hours, caps); the document is the source of truth.
    await context.db.query(
      `INSERT INTO groups (name, description, confirmation_mode, confirmation_timeout_seconds, security_method,
                           quiet_hours_start, quiet_hours_end, time_zone, priority, daily_push_cap, policy, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::time, $7::time, $8, $9, $10, $11::jsonb, now())
       ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description,
         confirmation_mode = EXCLUDED.confirmation_mode,
         confirmation_timeout_seconds = EXCLUDED.confirmation_timeout_seconds,
         security_method = EXCLUDED.security_method, quiet_hours_start = EXCLUDED.quiet_hours_start,
         quiet_hours_end = EXCLUDED.quiet_hours_end, time_zone = EXCLUDED.time_zone, priority = EXCLUDED.priority,
         daily_push_cap = EXCLUDED.daily_push_cap, policy = EXCLUDED.policy, updated_at = now()`,
      [
        params.name,
        body.description ?? null,
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
    const [row] = await readGroups(context.db, params.name);
    ctx.body = { ...row, policy: policyOf(row) };
  });
}
