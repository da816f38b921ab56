import { roleAllows, type Role } from '../auth/roles.ts';
import { html, type SafeHtml } from './html.ts';
import type { ConsoleSession } from './sessions.ts';

/**
 * The frame of every console page: navigation by role, the sign-out button, the page's own scripts.
 * Scripts and styles are files of static/ only: the Content-Security-Policy (router.ts) allows no inline
 * script or style, so nothing a page prints can run.
 */

export interface NavItem {
  label: string;
  href: string;
  /** Shown to keys of this role (and to admins, who may do everything). */
  role: Role;
}

/** Pages add their entry here (see README.md); the order is the order shown. */
export const NAV: readonly NavItem[] = [
  { label: 'Subscribers', href: '/console/subscribers', role: 'care' },
  { label: 'SMSC', href: '/console/smsc', role: 'operator' },
  { label: 'Profiles', href: '/console/profiles', role: 'admin' },
  { label: 'Campaigns', href: '/console/campaigns', role: 'admin' },
  { label: 'Audit', href: '/console/audit', role: 'admin' },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((item) => roleAllows(role, item.role));
}

export interface PageOptions {
  title: string;
  /** Absent on the sign-in and error pages of a visitor without a session. */
  session?: ConsoleSession;
  /** Path of the page, to mark its navigation link as current. */
  current?: string;
  /** Extra module scripts of static/, by file name ('live.js'). */
  scripts?: readonly string[];
  /** A notice above the content (role="status"), or an error (role="alert"). */
  notice?: { kind: 'info' | 'error'; text: string };
  body: SafeHtml;
}

function navigation(session: ConsoleSession, current: string | undefined): SafeHtml {
  const links = navFor(session.principal.role).map(
    (item) =>
      html`<li>
        <a href="${item.href}" ${current?.startsWith(item.href) ? html` aria-current="page"` : ''}
          >${item.label}</a
        >
      </li>`,
  );
  return html`<nav aria-label="Main">
    <ul class="nav-links">
      ${links}
    </ul>
    <div class="who">
      <span class="who-name" title="signed in with this API key"
        >${session.principal.name} · ${session.principal.role}</span
      >
      <form method="post" action="/console/sign-out">
        <input type="hidden" name="_csrf" value="${session.csrfToken}" />
        <button type="submit" class="quiet">Sign out</button>
      </form>
    </div>
  </nav>`;
}

export function page(options: PageOptions): SafeHtml {
  const scripts = ['console.js', ...(options.scripts ?? [])].map(
    (file) => html`<script type="module" src="/console/static/${file}"></script>`,
  );
  const notice = options.notice
    ? html`<p
        class="notice notice-${options.notice.kind}"
        role="${options.notice.kind === 'error' ? 'alert' : 'status'}"
      >
        ${options.notice.text}
      </p>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · otagw console</title>
<link rel="stylesheet" href="/console/static/console.css">
${scripts}
</head>
<body${options.session ? html` data-csrf="${options.session.csrfToken}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/console">otagw</a>
  ${options.session ? navigation(options.session, options.current) : ''}
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${notice}
${options.body}
</main>
</body>
</html>`;
}
