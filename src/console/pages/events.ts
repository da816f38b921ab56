import type { Role } from '../../auth/roles.ts';
import type { GatewayEvent } from '../../events/types.ts';
import { serveEventStream } from '../../http/routes/events/stream.ts';
import type { ConsoleKit } from '../router.ts';

/**
 * What each role's live view may see of the event bus (the API's /v1/events is operator only); admins
 * see every type, network keys cannot sign in.
 */
const EVENT_TYPES_OF: Record<Exclude<Role, 'admin'>, ReadonlySet<string>> = {
  network: new Set(),
  care: new Set(['provisioning.state', 'segment.receipt']),
  operator: new Set(['provisioning.state', 'segment.receipt', 'smsc.bind-state']),
};

/**
 * GET /console/events: the gateway's SSE stream for a signed-in session, through the same writer as
 * GET /v1/events. ?types=a,b narrows the types the role may see; ?msisdn= keeps only that subscriber's
 * provisioning.state events (receipts name only their provisioning: the page's script matches those).
 */
/** How often an open stream checks that its session still holds (at most; a short idle timeout is sooner). */
const SESSION_CHECK_MS = 5_000;

export function eventPages({ router, context, options, sessions }: ConsoleKit): void {
  const checkEveryMs = Math.min(SESSION_CHECK_MS, context.config.console.sessionIdleMs);
  router.page('/console/events', 'signed-in', async (ctx) => {
    const session = ctx.state.session!;
    const role = session.principal.role;
    const allowed = role === 'admin' ? undefined : EVENT_TYPES_OF[role];
    const asked = typeof ctx.query.types === 'string' ? new Set(ctx.query.types.split(',')) : undefined;
    const msisdn = typeof ctx.query.msisdn === 'string' ? ctx.query.msisdn : undefined;
    const accept = (event: GatewayEvent): boolean => {
      if ((allowed && !allowed.has(event.type)) || (asked && !asked.has(event.type))) return false;
      return !(msisdn && event.type === 'provisioning.state' && event.msisdn !== msisdn);
    };
    const end = serveEventStream(ctx, context.events, accept, options.eventsHeartbeatMs);
    // The stream ends with its session (sign-out, idle, revoked key); the script then finds out and signs in.
    const check = setInterval(() => {
      sessions.stillLive(session).then(
        (live) => (live ? undefined : end()),
        () => undefined,
      );
    }, checkEveryMs);
    check.unref();
    ctx.res.on('close', () => clearInterval(check));
  });
}
