import { maskImsi } from '../../../observability/logger.ts';
import { contentOf } from '../../../provisioning/push-content.ts';
import type { RouteKit } from '../../route-kit.ts';
import { actorOf } from '../triggers/routes.ts';
import { requestPush } from './schema.ts';

/** POST /v1/pushes: an SI or SL to one subscriber, as a care provisioning (care's priority, no quiet hours). */
export function pushRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post('/v1/pushes', auth('care'), validate(requestPush), async (ctx, { body }) => {
    const content = contentOf(body);
    ctx.state.audit = {
      subjectType: body.msisdn ? 'msisdn' : 'imsi',
      subjectId: body.msisdn ?? maskImsi(body.imsi!),
      details: {
        reason: body.reason,
        kind: content.kind,
        href: content.href,
        action: content.action ?? null,
      },
    };
    const provisioning = await context.provisioning.request({
      msisdn: body.msisdn,
      imsi: body.imsi,
      content,
      reason: body.reason,
      source: 'care',
      actor: actorOf(ctx),
    });
    ctx.state.audit.details!.provisioningId = provisioning.id;
    ctx.status = 202;
    ctx.body = { provisioningId: provisioning.id, state: provisioning.state };
  });
}
