import * as repository from '../../../profiles/repository.ts';
import { notFound } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { createRule, deleteRule, listRules, updateRule } from './schema.ts';

export function ruleRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/rules', auth('admin'), validate(listRules), async (ctx, { query }) => {
    ctx.body = {
      rules: await repository.listRules(context.db, { enabledOnly: query.enabledOnly === 'true' }),
    };
  });

  api.post('/v1/rules', auth('admin'), validate(createRule), async (ctx, { body }) => {
    ctx.state.audit = { subjectType: 'profile-rule', details: { ...body } };
    const rule = await repository.createRule(context.db, { ...body, createdBy: ctx.state.principal!.name });
    ctx.state.audit.subjectId = rule.id;
    ctx.status = 201;
    ctx.body = rule;
  });

  api.patch('/v1/rules/:id', auth('admin'), validate(updateRule), async (ctx, { params, body }) => {
    ctx.state.audit = { subjectType: 'profile-rule', subjectId: params.id, details: { ...body } };
    const rule = await repository.updateRule(context.db, params.id, body);
    if (!rule) throw notFound('RULE_NOT_FOUND', `no rule ${params.id}`);
    ctx.body = rule;
  });

  api.delete('/v1/rules/:id', auth('admin'), validate(deleteRule), async (ctx, { params }) => {
    ctx.state.audit = { subjectType: 'profile-rule', subjectId: params.id };
    if (!(await repository.deleteRule(context.db, params.id)))
      throw notFound('RULE_NOT_FOUND', `no rule ${params.id}`);
    ctx.status = 204;
  });
}
