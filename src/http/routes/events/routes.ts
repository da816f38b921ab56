import type { RouteKit } from '../../route-kit.ts';
import { eventStream } from './schema.ts';
import { serveEventStream } from './stream.ts';

export function eventRoutes({ api, auth, validate, context, options }: RouteKit): void {
  api.get('/v1/events', auth('operator'), validate(eventStream), async (ctx, { query }) => {
    const wanted = query.types ? new Set(query.types.split(',')) : undefined;
    serveEventStream(
      ctx,
      context.events,
      (event) => !wanted || wanted.has(event.type),
      options.eventsHeartbeatMs,
    );
  });
}
