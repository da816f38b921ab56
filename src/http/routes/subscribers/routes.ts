import { importSubscribers as importSubscriberCsv } from '../../../subscribers/import.ts';
import { csvImportOptions, refuseUnlessImported } from '../../csv-import.ts';
import { notFound } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { imsiShown } from './imsi-view.ts';
import { listSubscribersHandler } from './list.ts';
import { changeSubscriberHandler, createSubscriberHandler } from './manage.ts';
import { subscriberTimeline as loadTimeline } from './timeline.ts';
import {
  changeSubscriber,
  createSubscriber,
  importSubscribers,
  listSubscribers,
  subscriberTimeline,
} from './schema.ts';

export function subscriberRoutes(kit: RouteKit): void {
  const { api, auth, validate, context } = kit;
  api.get('/v1/subscribers', auth('care'), validate(listSubscribers), (ctx, input) =>
    listSubscribersHandler(context, ctx, input),
  );
  api.post('/v1/subscribers', auth('admin'), validate(createSubscriber), (ctx, input) =>
    createSubscriberHandler(context, ctx, input),
  );
  api.post(
    '/v1/subscribers/import',
    auth('admin'),
    validate(importSubscribers),
    async (ctx, { body, query }) => {
      const source = query.source ?? 'http-upload.csv';
      ctx.state.audit = { subjectType: 'subscribers', subjectId: source };
      const report = await importSubscriberCsv(
        context.db,
        body,
        csvImportOptions(query, ctx.state.principal!, source),
      );
      ctx.state.audit.details = {
        outcome: report.outcome,
        lines: report.lines,
        subscribers: report.subscribers,
      };
      refuseUnlessImported(report, 'SUBSCRIBERS_REFUSED');
      ctx.body = report;
    },
  );

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
      const showImsi = imsiShown(ctx, query.reveal);
      ctx.body = { ...view, subscriber: { ...view.subscriber, imsi: showImsi(view.subscriber.imsi) } };
    },
  );
  api.patch('/v1/subscribers/:msisdn', auth('admin'), validate(changeSubscriber), (ctx, input) =>
    changeSubscriberHandler(context, ctx, input),
  );
}
