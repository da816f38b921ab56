import type { Actor, ProvisioningState } from '../../../provisioning/types.ts';
import { maskImsi } from '../../../observability/logger.ts';
import type { ApiContext } from '../../operation.ts';
import type { RouteKit } from '../../route-kit.ts';
import { notFound } from '../../errors.ts';
import { requestStaleReprovision } from '../../../provisioning/stale-settings.ts';
import { findStaleness } from './stale-config.ts';
import { dialRequest, firstUse, staleConfig } from './schema.ts';

export function actorOf(ctx: ApiContext): Actor {
  const principal = ctx.state.principal!;
  return { name: principal.name, role: principal.role, requestId: ctx.state.requestId };
}

/** 202 for a provisioning a trigger asked for: queued, or waiting for the subscriber's answer. */
function answerRequested(ctx: ApiContext, provisioning: { id: string; state: ProvisioningState }): void {
  ctx.state.audit!.details!.provisioningId = provisioning.id;
  ctx.status = 202;
  ctx.body = {
    outcome: provisioning.state === 'awaiting-confirmation' ? 'awaiting-confirmation' : 'queued',
    provisioningId: provisioning.id,
  };
}

export function triggerRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post('/v1/triggers/first-use', auth('network'), validate(firstUse), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: 'msisdn',
      subjectId: body.msisdn,
      details: { imsi: maskImsi(body.imsi), imei: body.imei },
    };
    const result = await context.provisioning.requestFirstUse(body, actorOf(ctx));
    ctx.state.audit.details!.outcome = result.outcome;
    if (result.provisioningId) ctx.state.audit.details!.provisioningId = result.provisioningId;
    ctx.status = 202;
    ctx.body = result;
  });

  api.post('/v1/triggers/dial-request', auth('network'), validate(dialRequest), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: 'msisdn',
      subjectId: body.msisdn,
      details: { code: body.code ?? null },
    };
    const provisioning = await context.provisioning.request({
      msisdn: body.msisdn,
      imsi: body.imsi,
      reason: body.code ? `dial request ${body.code}` : 'dial request',
      source: 'dial',
      actor: actorOf(ctx),
    });
    answerRequested(ctx, provisioning);
  });

  api.post('/v1/triggers/stale-config', auth('network'), validate(staleConfig), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: body.msisdn ? 'msisdn' : 'imsi',
      subjectId: body.msisdn ?? maskImsi(body.imsi!),
      details: { observed: body.observed },
    };
    const staleness = await findStaleness(
      context.db,
      { imsi: body.imsi, msisdn: body.msisdn },
      body.observed,
    );
    if (!staleness) throw notFound('SUBSCRIBER_NOT_FOUND', 'no subscriber with this IMSI/MSISDN');
    ctx.state.audit.details!.stale = staleness.stale;
    if (!staleness.stale) {
      ctx.status = 202;
      ctx.body = { outcome: 'current' };
      return;
    }
    // One open stale-config re-provision per subscriber: a repeat report answers with that one.
    const { provisioning, reused } = await requestStaleReprovision(
      context,
      { subscriberId: staleness.subscriberId, who: { msisdn: body.msisdn, imsi: body.imsi } },
      `stale configuration: ${staleness.why}`,
      actorOf(ctx),
    );
    ctx.state.audit.details!.alreadyOpen = reused;
    answerRequested(ctx, provisioning);
  });
}
