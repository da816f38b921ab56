/**
 * Bull Board (@bull-board/koa with @bull-board/api's BullMQAdapter) at /console/queues, for admins: the
 * provisioning queue's jobs by state, with retry, promote and clean. It is a React app of its own served
 * by its own Koa instance (mounted under the path), so the console's session check, role check and audit
 * stand in front of it here, and its pages get a CSP of their own (its markup uses inline styles and a
 * <base href>). Its actions are fetches without our CSRF token: they are taken only from this origin
 * (Sec-Fetch-Site, else Origin), on top of the SameSite=Strict session cookie.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import { roleAllows } from '../../auth/roles.ts';
import { ApiError } from '../../http/errors.ts';
import { html } from '../html.ts';
import { signInUrl, type ConsoleContext, type ConsoleKit, type ConsoleState } from '../router.ts';
import { renderAdminPage } from './admin-common.ts';

const BASE_PATH = '/console/queues';
const BOARD_PATHS = /^\/console\/queues(?:\/.*)?$/;
const READS = new Set(['GET', 'HEAD']);

/** The console's policy (set before the route runs), loosened only as far as the board's own markup needs. */
function boardPolicy(consolePolicy: string): string {
  return consolePolicy
    .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("base-uri 'none'", "base-uri 'self'");
}

/** A request that a page of this origin sent (the browser says so); a cross-site one is refused. */
function fromThisOrigin(ctx: ConsoleContext): boolean {
  const site = ctx.get('Sec-Fetch-Site');
  if (site) return site === 'same-origin';
  const origin = ctx.get('Origin');
  return origin !== '' && origin === ctx.origin;
}

function board(kit: ConsoleKit): Middleware | undefined {
  const queues = kit.context.queues.board;
  if (!queues || queues.length === 0) return undefined;
  const adapter = new KoaAdapter();
  adapter.setBasePath(BASE_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter: adapter,
    options: {
      uiConfig: {
        boardTitle: 'otagw queues',
        miscLinks: [{ text: 'Back to the console', url: '/console/profiles' }],
      },
    },
  });
  return adapter.registerPlugin() as unknown as Middleware;
}

/** Signed in, admin, and for a change: from this origin, and audited as the console audits its actions. */
function guarded(kit: ConsoleKit, mounted: Middleware): Middleware<ConsoleState> {
  return async (ctx, next) => {
    const session = await kit.sessions.current(ctx);
    if (!session) {
      const notice = kit.sessions.hadCookie(ctx) ? 'expired' : 'sign-in';
      if (!READS.has(ctx.method) || ctx.get('Accept').includes('application/json')) {
        throw new ApiError(401, 'SESSION_EXPIRED', 'your session has ended; sign in again', {
          signIn: signInUrl(notice),
        });
      }
      return ctx.redirect(signInUrl(notice, ctx.path === BASE_PATH ? BASE_PATH : undefined));
    }
    ctx.state.session = session;
    if (!roleAllows(session.principal.role, 'admin')) {
      throw new ApiError(
        403,
        'FORBIDDEN',
        `this page needs the admin role; your key has ${session.principal.role}`,
        {
          required: 'admin',
          role: session.principal.role,
        },
      );
    }
    ctx.set('Content-Security-Policy', boardPolicy(ctx.response.get('Content-Security-Policy')));
    if (READS.has(ctx.method)) return mounted(ctx as never, next);
    if (!fromThisOrigin(ctx))
      throw new ApiError(403, 'CSRF_INVALID', 'queue actions are taken only from this console', {});
    const details = { method: ctx.method, path: ctx.path.slice(BASE_PATH.length) };
    await kit.audit.run(
      session,
      ctx.state.requestId,
      'queues.board',
      { subjectType: 'queue', details },
      async (note) => {
        await mounted(ctx as never, next);
        note.details = { ...details, status: ctx.status };
        if (ctx.status >= 400)
          throw new ApiError(ctx.status, 'QUEUE_ACTION_FAILED', 'the queue action was refused', {});
      },
    );
  };
}

export function queuePages(kit: ConsoleKit): void {
  const mounted = board(kit);
  if (mounted) {
    kit.router.router.all(BOARD_PATHS, guarded(kit, mounted));
    return;
  }
  kit.router.page(BASE_PATH, 'admin', async (ctx) => {
    const body = html`<p class="empty">
      This process has no queue of its own to show (it is not connected to Redis as a producer).
    </p>`;
    renderAdminPage(ctx, { title: 'Queues', section: BASE_PATH, body });
  });
}
