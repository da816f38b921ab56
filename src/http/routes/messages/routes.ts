import { listMessages as readMessages } from '../../../store/repositories/segments.ts';
import type { RouteKit } from '../../route-kit.ts';
import { listMessages } from './schema.ts';

export function messageRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/messages', auth('operator'), validate(listMessages), async (ctx, { query }) => {
    const messages = await readMessages(context.db, {
      since: query.since,
      smsc: query.smsc,
      state: query.state,
      limit: query.limit,
    });
    ctx.body = { messages };
  });
}
