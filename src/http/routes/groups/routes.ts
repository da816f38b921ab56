import { listGroupSummaries, saveGroup, type GroupSummary } from '../../../store/repositories/groups.ts';
import { DEFAULT_GROUP_POLICY, groupPolicySchema, type GroupPolicy } from '../../../subscribers/policy.ts';
import type { RouteKit } from '../../route-kit.ts';
import { listGroups, putGroup } from './schema.ts';

/** A stored policy document, re-read through the schema (defaults filled in); an unreadable one counts as the default. */
function policyOf(group: GroupSummary): GroupPolicy {
  const parsed = groupPolicySchema.safeParse(group.policy ?? {});
  return parsed.success ? parsed.data : DEFAULT_GROUP_POLICY;
}

export function groupRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/groups', auth('admin'), validate(listGroups), async (ctx) => {
    const groups = await listGroupSummaries(context.db);
    ctx.body = { groups: groups.map((group) => ({ ...group, policy: policyOf(group) })) };
  });

  api.put('/v1/groups/:name', auth('admin'), validate(putGroup), async (ctx, { params, body }) => {
    ctx.state.audit = { subjectType: 'group', subjectId: params.name, details: { policy: body.policy } };
    await saveGroup(context.db, params.name, { description: body.description ?? null, policy: body.policy });
    const [group] = await listGroupSummaries(context.db, params.name);
    ctx.body = { ...group, policy: policyOf(group) };
  });
}
