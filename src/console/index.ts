import type { Middleware } from 'koa';
import { AuditWriter } from '../http/audit-writer.ts';
import type { RouteKit } from '../http/route-kit.ts';
import { ConsoleAudit } from './audit.ts';
import { logConsoleError, readableError, renderErrorPage } from './errors.ts';
import { PAGE_MODULES } from './pages/index.ts';
import { ConsoleRouter, type ConsoleKit, type ConsoleState } from './router.ts';
import { loadCookieSecret } from './secret.ts';
import { ConsoleSessions } from './sessions.ts';
import { serveStatic } from './static-files.ts';

/**
 * Scripts and styles only from our own files; no inline script or style, no frames, forms only to us.
 * connect-src 'self' lets the scripts fetch and open /console/events.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function securityHeaders(): Middleware<ConsoleState> {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

/** Every error of a console route becomes a page (or, for the console's scripts, the API's error shape). */
function consoleErrors(kit: RouteKit): Middleware<ConsoleState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        renderErrorPage(ctx, readableError(notFoundError()), ctx.state.session, ctx.state.requestId);
      }
    } catch (error) {
      const readable = readableError(error);
      logConsoleError(kit.context.logger, error, readable, ctx.state.requestId);
      renderErrorPage(ctx, readable, ctx.state.session, ctx.state.requestId);
    }
  };
}

function notFoundError(): Error {
  return Object.assign(new Error('no such console page'), { status: 404, expose: true });
}

/**
 * The web console at /console (README.md beside this file): server-rendered pages over the same
 * services, repositories, roles and audit as the API. Requests outside /console pass through.
 */
export function createConsole(kit: RouteKit): Middleware {
  let secret: Promise<string> | undefined;
  const cookieSecret = (): Promise<string> => {
    secret ??= loadCookieSecret(kit.context.config.console).catch((error: unknown) => {
      secret = undefined;
      throw error;
    });
    return secret;
  };
  const sessions = new ConsoleSessions(kit.context.db, kit.context.config.console, cookieSecret);
  const router = new ConsoleRouter(sessions);
  const consoleKit: ConsoleKit = {
    router,
    context: kit.context,
    keys: kit.keys,
    sessions,
    audit: new ConsoleAudit(
      new AuditWriter(kit.context.db, { metrics: kit.context.metrics, logger: kit.context.logger }),
      kit.context.logger,
    ),
    options: kit.options,
  };
  router.router.get('/console/static/:file', (ctx) => serveStatic(ctx, ctx.params.file));
  for (const register of PAGE_MODULES) register(consoleKit);
  const routes = router.router.routes() as Middleware<ConsoleState>;
  const headers = securityHeaders();
  const errors = consoleErrors(kit);
  return async (ctx, next) => {
    if (ctx.path === '/') {
      ctx.redirect('/console');
      return;
    }
    if (ctx.path !== '/console' && !ctx.path.startsWith('/console/')) return next();
    await headers(ctx as never, () =>
      errors(ctx as never, () => routes(ctx as never, async () => undefined)),
    );
  };
}
