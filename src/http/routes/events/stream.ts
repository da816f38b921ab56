import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { EventBus, GatewayEvent } from '../../../events/types.ts';

/** The client's reconnection delay (SSE `retry:` field). */
const RECONNECT_MS = 3000;

/**
 * Answers with a server-sent event stream of the bus's events that `accept` lets through, until the
 * client goes away or the returned function ends it (the console's, when its session ends). One writer
 * for GET /v1/events (API key) and the console's /console/events (session).
 */
export function serveEventStream(
  ctx: Context,
  events: EventBus,
  accept: (event: GatewayEvent) => boolean,
  heartbeatMs: number,
): () => void {
  const stream = new PassThrough();
  let nextId = 1;
  const send = (event: GatewayEvent): void => {
    if (!accept(event)) return;
    stream.write(`id: ${nextId++}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const unsubscribe = events.subscribe(send);
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), heartbeatMs);
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
  return close;
}
