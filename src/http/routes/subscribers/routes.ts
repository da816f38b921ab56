import { notFound } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { subscriberTimeline as loadTimeline } from './timeline.ts';
import { subscriberTimeline } from './schema.ts';

export function subscriberRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get(
    '/v1/subscribers/:msisdn',
    auth('care'),
    validate(subscriberTimeline),
    async (ctx, { params, query }) => {
      ctx.state.audit = { subjectType: 'msisdn', subjectId: params.msisdn };
      const view = await loadTimeline(context.db, params.msisdn, query.limit);
      if (!view) throw notFound('SUBSCRIBER_NOT_FOUND', `no subscriber with MSISDN ${params.msisdn}`);
      ctx.state.audit = {
        subjectType: 'subscriber',
        subjectId: view.subscriber.id,
        details: { msisdn: params.msisdn },
      };
      ctx.body = view;
    },
  );
}
