import { ApiError } from '../../http/errors.ts';
import { html } from '../html.ts';
import { navFor, page } from '../layout.ts';
import { readForm } from '../form.ts';
import { isConsolePath, render, seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';

/** Sign in with an API key, sign out, and the console's front door. */

const NOTICES: Record<string, string> = {
  expired: 'Your session has ended. Sign in again.',
  'signed-out': 'You have signed out.',
  'sign-in': 'Sign in to continue.',
};

async function signInPage(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  next: string | undefined,
  notice: { kind: 'info' | 'error'; text: string } | undefined,
  status = 200,
): Promise<void> {
  const token = await kit.sessions.signInToken(ctx);
  const body = html`<form method="post" action="/console/sign-in" class="card sign-in">
    <input type="hidden" name="_csrf" value="${token}" />
    ${next ? html`<input type="hidden" name="next" value="${next}" />` : ''}
    <label for="api-key">API key</label>
    <input
      id="api-key"
      name="key"
      type="password"
      autocomplete="off"
      spellcheck="false"
      required
      placeholder="otagw_…"
      autofocus
    />
    <p class="hint">
      The key is checked once and never shown again; the session lasts until you sign out or it is idle for
      ${Math.round(kit.context.config.console.sessionIdleMs / 60_000)} minutes.
    </p>
    <button type="submit">Sign in</button>
  </form>`;
  render(ctx, page({ title: 'Sign in', notice, body }), status);
}

/** The first page a role has (care: Subscribers; operator: SMSC; admin: the first of all). */
function homeOf(role: Parameters<typeof navFor>[0]): string {
  return navFor(role)[0]?.href ?? '/console/sign-in';
}

export function signInPages(kit: ConsoleKit): void {
  const { router, audit } = kit;
  router.open('GET', '/console', async (ctx) => {
    const session = ctx.state.session;
    ctx.redirect(session ? homeOf(session.principal.role) : '/console/sign-in');
  });

  router.open('GET', '/console/sign-in', async (ctx) => {
    if (ctx.state.session) return ctx.redirect(homeOf(ctx.state.session.principal.role));
    const next =
      typeof ctx.query.next === 'string' && isConsolePath(ctx.query.next) ? ctx.query.next : undefined;
    const text = typeof ctx.query.notice === 'string' ? NOTICES[ctx.query.notice] : undefined;
    await signInPage(kit, ctx, next, text ? { kind: 'info', text } : undefined);
  });

  router.open('POST', '/console/sign-in', async (ctx) => {
    const form = await readForm(ctx);
    if (!(await kit.sessions.checkSignInToken(ctx, form._csrf))) {
      throw new ApiError(403, 'CSRF_INVALID', 'the sign-in form’s CSRF token is missing or wrong', {
        field: '_csrf',
      });
    }
    const next = form.next && isConsolePath(form.next) ? form.next : undefined;
    const record = await kit.keys.lookup((form.key ?? '').trim());
    if (!record) {
      const text = 'This API key is not accepted: it is unknown, revoked or expired. Check it and try again.';
      return signInPage(kit, ctx, next, { kind: 'error', text }, 401);
    }
    if (record.role === 'network') {
      const text =
        'This key has the network role, which has no console pages. Use a care, operator or admin key.';
      return signInPage(kit, ctx, next, { kind: 'error', text }, 403);
    }
    // A new id at every sign-in (no fixation); a session the browser still had ends here.
    if (ctx.state.session) await kit.sessions.end(ctx, ctx.state.session);
    await kit.sessions.start(ctx, record);
    const principal = { id: record.id, name: record.name, role: record.role };
    const session = { principal, csrfToken: '', idHash: '' };
    await audit.run(
      session,
      ctx.state.requestId,
      'console.sign-in',
      { subjectType: 'api-key', subjectId: record.id },
      async () => undefined,
    );
    seeOther(ctx, next ?? homeOf(record.role));
  });

  router.action('/console/sign-out', 'signed-in', async (ctx) => {
    const session = ctx.state.session!;
    await audit.run(
      session,
      ctx.state.requestId,
      'console.sign-out',
      { subjectType: 'api-key', subjectId: session.principal.id },
      () => kit.sessions.end(ctx, session),
    );
    seeOther(ctx, '/console/sign-in?notice=signed-out');
  });
}
