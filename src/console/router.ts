import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import type { AppContext } from '../app-context.ts';
import { roleAllows, type Role } from '../auth/roles.ts';
import { ApiError } from '../http/errors.ts';
import type { ApiKeyCache } from '../http/middleware/auth.ts';
import type { ResolvedHttpOptions } from '../http/route-kit.ts';
import type { ConsoleAudit } from './audit.ts';
import { readForm } from './form.ts';
import type { SafeHtml } from './html.ts';
import { sameToken, type ConsoleSession, type ConsoleSessions } from './sessions.ts';

export interface ConsoleState {
  requestId: string;
  /** Set for every page declared with a role (and for open pages when the visitor has one). */
  session?: ConsoleSession;
  /** The fields of a POST, read and CSRF-checked before the handler runs. */
  form?: Record<string, string>;
}

export type ConsoleContext = ParameterizedContext<ConsoleState>;
export type ConsoleHandler = (ctx: ConsoleContext) => Promise<void>;

/** Any role that can sign in: care, operator or admin (network keys have no pages). */
export type PageRole = Role | 'signed-in';

/** Everything a page module (pages/*.ts) gets: the router, the services, the audit. */
export interface ConsoleKit {
  router: ConsoleRouter;
  context: AppContext;
  keys: ApiKeyCache;
  sessions: ConsoleSessions;
  audit: ConsoleAudit;
  options: ResolvedHttpOptions;
}

/** Where the console sends a visitor without a session; `next` brings them back after signing in. */
export function signInUrl(notice: 'expired' | 'signed-out' | 'sign-in', next?: string): string {
  const query = new URLSearchParams({ notice });
  if (next && isConsolePath(next)) query.set('next', next);
  return `/console/sign-in?${query}`;
}

/** Only our own pages are places to go back to (no open redirect). */
export function isConsolePath(path: string): boolean {
  return /^\/console(\/[A-Za-z0-9._~%/-]*)?(\?[^#\s]*)?$/.test(path) && !path.includes('//');
}

export function render(ctx: ConsoleContext, document: SafeHtml, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = document.text;
}

/** After a POST: see the result with a GET (303), so reloading does not send the form again. */
export function seeOther(ctx: ConsoleContext, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

/**
 * The console's routes. `page` is a GET and `action` a POST of a signed-in key whose role allows
 * `role` (admin: everything); an action's form is read and its CSRF token checked (hidden field _csrf,
 * or the x-csrf-token header of a script's fetch) before the handler runs. `open` is for the sign-in page.
 */
export class ConsoleRouter {
  readonly router = new Router<ConsoleState>();

  constructor(private readonly sessions: ConsoleSessions) {}

  page(path: string, role: PageRole, handler: ConsoleHandler): void {
    this.router.get(path, this.guard(role, false), handler as Middleware<ConsoleState>);
  }

  action(path: string, role: PageRole, handler: ConsoleHandler): void {
    this.router.post(path, this.guard(role, true), handler as Middleware<ConsoleState>);
  }

  open(method: 'GET' | 'POST', path: string, handler: ConsoleHandler): void {
    const withSession: Middleware<ConsoleState> = async (ctx, next) => {
      ctx.state.session = await this.sessions.current(ctx);
      await next();
    };
    this.router.register(path, [method], [withSession, handler as Middleware<ConsoleState>]);
  }

  private guard(role: PageRole, isPost: boolean): Middleware<ConsoleState> {
    return async (ctx, next) => {
      const session = await this.sessions.current(ctx);
      if (!session) {
        const notice = this.sessions.hadCookie(ctx) ? 'expired' : 'sign-in';
        // Scripts (fetch, EventSource) get a 401 they act on; a browser page goes to the sign-in form.
        if (ctx.get('Accept').includes('application/json') || ctx.path === '/console/events') {
          throw new ApiError(401, 'SESSION_EXPIRED', 'your session has ended; sign in again', {
            signIn: signInUrl(notice),
          });
        }
        ctx.redirect(signInUrl(notice, isPost ? undefined : ctx.originalUrl));
        return;
      }
      ctx.state.session = session;
      const allowed = role === 'signed-in' || roleAllows(session.principal.role, role);
      if (!allowed) {
        throw new ApiError(
          403,
          'FORBIDDEN',
          `this page needs the ${role} role; your key has ${session.principal.role}`,
          {
            required: role,
            role: session.principal.role,
          },
        );
      }
      if (isPost) {
        const form = await readForm(ctx);
        const presented = form._csrf ?? (ctx.get('x-csrf-token') || undefined);
        if (!sameToken(presented, session.csrfToken)) {
          throw new ApiError(403, 'CSRF_INVALID', 'the form’s CSRF token is missing or wrong', {
            field: '_csrf',
          });
        }
        ctx.state.form = form;
      }
      await next();
    };
  }
}
