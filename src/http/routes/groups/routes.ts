import {
  deleteEmptyGroup,
  listGroupSummaries,
  saveGroup,
  type GroupSummary,
} from '../../../store/repositories/groups.ts';
import { DEFAULT_GROUP_POLICY, groupPolicySchema, type GroupPolicy } from '../../../subscribers/policy.ts';
import { conflict, notFound } from '../../errors.ts';
import type { Db } from '../../../store/db.ts';
import type { ApiContext, Operation, OperationInput } from '../../operation.ts';
import type { RouteKit } from '../../route-kit.ts';
import { createGroup, deleteGroup, listGroups, putGroup } from './schema.ts';

/** The group every new SIM joins (lockSubscribersForTriggers, migration 001): it cannot be retired. */
const DEFAULT_GROUP = 'default';

/** A stored policy document, re-read through the schema (defaults filled in); an unreadable one counts as the default. */
export function policyOf(group: GroupSummary): GroupPolicy {
  const parsed = groupPolicySchema.safeParse(group.policy ?? {});
  return parsed.success ? parsed.data : DEFAULT_GROUP_POLICY;
}

type Input<O extends Operation> = OperationInput<O>;

/**
 * The handlers of POST /v1/groups, PUT and DELETE /v1/groups/:name, as functions of their input: the
 * routes below and the console's groups page (src/console/pages/admin-groups.ts) both call them.
 */
export function groupHandlers(db: Db) {
  return {
    async create(ctx: ApiContext, { body }: Input<typeof createGroup>) {
      const policy = body.policy ?? DEFAULT_GROUP_POLICY;
      ctx.state.audit = { subjectType: 'group', subjectId: body.name, details: { policy } };
      const group = { description: body.description ?? null, policy };
      if (!(await saveGroup(db, body.name, group, { createOnly: true }))) {
        throw conflict(
          'GROUP_EXISTS',
          `body.name: a group '${body.name}' exists (PUT /v1/groups/${body.name} replaces its policy)`,
          {
            field: 'body.name',
          },
        );
      }
      const [created] = await listGroupSummaries(db, body.name);
      ctx.status = 201;
      ctx.body = { ...created, policy: policyOf(created) };
    },

    async put(ctx: ApiContext, { params, body }: Input<typeof putGroup>) {
      ctx.state.audit = { subjectType: 'group', subjectId: params.name, details: { policy: body.policy } };
      await saveGroup(db, params.name, { description: body.description ?? null, policy: body.policy });
      const [group] = await listGroupSummaries(db, params.name);
      ctx.body = { ...group, policy: policyOf(group) };
    },

    async retire(ctx: ApiContext, { params }: Input<typeof deleteGroup>) {
      ctx.state.audit = { subjectType: 'group', subjectId: params.name };
      if (params.name === DEFAULT_GROUP) {
        throw conflict(
          'GROUP_IS_DEFAULT',
          `params.name: '${DEFAULT_GROUP}' is where new subscribers go; it cannot be deleted`,
          {
            field: 'params.name',
          },
        );
      }
      const deletion = await db.transaction((tx) => deleteEmptyGroup(tx, params.name));
      if (deletion.outcome === 'not-found') throw notFound('GROUP_NOT_FOUND', `no group '${params.name}'`);
      if (deletion.outcome === 'not-empty') {
        throw conflict(
          'GROUP_NOT_EMPTY',
          `${deletion.subscribers} subscriber(s) are in group '${params.name}'; move them first`,
          {
            subscribers: deletion.subscribers,
          },
        );
      }
      ctx.state.audit.details = { rulesDeleted: deletion.rulesDeleted };
      ctx.body = { name: params.name, deleted: true, rulesDeleted: deletion.rulesDeleted };
    },
  };
}

export function groupRoutes({ api, auth, validate, context }: RouteKit): void {
  const handlers = groupHandlers(context.db);
  api.get('/v1/groups', auth('admin'), validate(listGroups), async (ctx) => {
    const groups = await listGroupSummaries(context.db);
    ctx.body = { groups: groups.map((group) => ({ ...group, policy: policyOf(group) })) };
  });
  api.post('/v1/groups', auth('admin'), validate(createGroup), handlers.create);
  api.put('/v1/groups/:name', auth('admin'), validate(putGroup), handlers.put);
  api.delete('/v1/groups/:name', auth('admin'), validate(deleteGroup), handlers.retire);
}
