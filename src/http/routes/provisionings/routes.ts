import { maskImsi } from '../../../observability/logger.ts';
import { findProfile } from '../../../profiles/repository.ts';
import type { Db } from '../../../store/db.ts';
import { notFound, unprocessable } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { actorOf } from '../triggers/routes.ts';
import { getProvisioning, requestProvisioning, resendProvisioning } from './schema.ts';

/** "Known profile ids": refuse an unknown profile here, naming the field, before anything is recorded. */
async function knownProfile(db: Db, ref: string): Promise<string> {
  const profile = await findProfile(db, ref);
  if (!profile || profile.archivedAt !== null) {
    throw unprocessable('UNKNOWN_PROFILE', `body.profile: no profile '${ref}'`, {
      issues: [{ field: 'body.profile', message: 'unknown profile', code: 'unknown_profile' }],
    });
  }
  return profile.id;
}

export function provisioningRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post('/v1/provisionings', auth('care'), validate(requestProvisioning), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: body.msisdn ? 'msisdn' : 'imsi',
      subjectId: body.msisdn ?? maskImsi(body.imsi!),
      details: {
        reason: body.reason,
        profile: body.profile ?? null,
        ...(body.skipConfirmation ? { skipConfirmation: true } : {}),
      },
    };
    const profileId = body.profile === undefined ? undefined : await knownProfile(context.db, body.profile);
    const provisioning = await context.provisioning.request({
      msisdn: body.msisdn,
      imsi: body.imsi,
      profileId,
      reason: body.reason,
      source: 'care',
      actor: actorOf(ctx),
      skipConfirmation: body.skipConfirmation,
    });
    ctx.state.audit.details!.provisioningId = provisioning.id;
    ctx.status = 202;
    ctx.body = provisioning;
  });

  api.post(
    '/v1/provisionings/:id/resend',
    auth('care'),
    validate(resendProvisioning),
    async (ctx, { params, body }) => {
      ctx.state.audit = {
        subjectType: 'provisioning',
        subjectId: params.id,
        details: {
          reason: body.reason,
          version: body.version ?? 'current',
          ...(body.skipConfirmation ? { skipConfirmation: true } : {}),
        },
      };
      const provisioning = await context.provisioning.resend(params.id, body.reason, actorOf(ctx), {
        version: body.version,
        skipConfirmation: body.skipConfirmation,
      });
      ctx.state.audit.details!.provisioningId = provisioning.id;
      ctx.status = 202;
      ctx.body = provisioning;
    },
  );

  api.get('/v1/provisionings/:id', auth('care'), validate(getProvisioning), async (ctx, { params }) => {
    const view = await context.provisioning.get(params.id);
    if (!view) throw notFound('PROVISIONING_NOT_FOUND', `no provisioning ${params.id}`);
    ctx.body = view;
  });
}
