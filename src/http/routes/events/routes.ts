import { PassThrough } from 'node:stream';
import type { GatewayEvent } from '../../../events/types.ts';
import type { RouteKit } from '../../route-kit.ts';
import { eventStream } from './schema.ts';

/** The client's reconnection delay (SSE `retry:` field). */
const RECONNECT_MS = 3000;

export function eventRoutes({ api, auth, validate, context, options }: RouteKit): void {
  api.get('/v1/events', auth('operator'), validate(eventStream), async (ctx, { query }) => {
    const wanted = query.types ? new Set(query.types.split(',')) : undefined;
    const stream = new PassThrough();
    let nextId = 1;
    const send = (event: GatewayEvent): void => {
      if (wanted && !wanted.has(event.type)) return;
      stream.write(`id: ${nextId++}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = context.events.subscribe(send);
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), options.eventsHeartbeatMs);
    heartbeat.unref();
    const close = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      stream.end();
    };
    // The response closes when the client goes away (or the server shuts down): stop listening then.
    ctx.res.on('close', close);
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set('Cache-Control', 'no-cache, no-transform');
    ctx.set('Connection', 'keep-alive');
    ctx.set('X-Accel-Buffering', 'no');
    ctx.type = 'text/event-stream';
    ctx.status = 200;
    stream.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
    ctx.body = stream;
  });
}
