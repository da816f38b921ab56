import { createApiKey, listApiKeys, revokeApiKey } from '../../../auth/api-keys.ts';
import { notFound } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { createKey, listKeys, revokeKey } from './schema.ts';

export function adminKeyRoutes({ api, auth, validate, context, keys }: RouteKit): void {
  api.post('/v1/keys', auth('admin', { local: true }), validate(createKey), async (ctx, { body }) => {
    const created = await createApiKey(context.db, {
      name: body.name,
      role: body.role,
      createdBy: ctx.state.principal!.name,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
    });
    ctx.state.audit = {
      subjectType: 'api-key',
      subjectId: created.record.id,
      details: { name: body.name, role: body.role },
    };
    ctx.status = 201;
    ctx.body = { ...created.record, key: created.key };
  });

  api.get('/v1/keys', auth('admin', { local: true }), validate(listKeys), async (ctx, { query }) => {
    ctx.body = { keys: await listApiKeys(context.db, { includeRevoked: query.includeRevoked === 'true' }) };
  });

  api.delete('/v1/keys/:id', auth('admin', { local: true }), validate(revokeKey), async (ctx, { params }) => {
    ctx.state.audit = { subjectType: 'api-key', subjectId: params.id };
    const revoked = await revokeApiKey(context.db, params.id);
    if (!revoked) throw notFound('API_KEY_NOT_FOUND', `no live API key ${params.id}`);
    keys.forget(revoked.id);
    ctx.body = revoked;
  });
}
