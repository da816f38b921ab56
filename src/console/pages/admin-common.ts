/**
 * What the admins' pages share: their own sub-navigation, the frame around each page, reading a form or
 * a query through the API's zod schemas (so a mistake is the API's 400 VALIDATION_FAILED naming the
 * field), and the list of problems a refused form shows next to it.
 */
import type { z } from 'zod';
import { fieldIssues, validationError, type FieldIssue } from '../../http/errors.ts';
import type { ApiContext, ApiState, AuditNote } from '../../http/operation.ts';
import { readableError, type ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { page } from '../layout.ts';
import { render, type ConsoleContext } from '../router.ts';

/** The admins' pages, in the order their sub-navigation shows them. */
export const ADMIN_PAGES: readonly { label: string; href: string }[] = [
  { label: 'Profiles', href: '/console/profiles' },
  { label: 'Devices', href: '/console/devices' },
  { label: 'Groups', href: '/console/groups' },
  { label: 'Subscriber groups', href: '/console/subscriber-admin' },
  { label: 'API keys', href: '/console/keys' },
  { label: 'Audit', href: '/console/audit' },
  { label: 'Campaigns', href: '/console/campaigns' },
  { label: 'Queues', href: '/console/queues' },
];

function adminNav(current: string): SafeHtml {
  const links = ADMIN_PAGES.map(
    (item) =>
      html`<li>
        <a href="${item.href}" ${current.startsWith(item.href) ? html` aria-current="page"` : ''}
          >${item.label}</a
        >
      </li>`,
  );
  return html`<nav class="admin-nav" aria-label="Administration">
    <ul>
      ${links}
    </ul>
  </nav>`;
}

export interface AdminPageOptions {
  title: string;
  /** The sub-navigation entry this page belongs to (its href). */
  section: string;
  body: SafeHtml;
  notice?: { kind: 'info' | 'error'; text: string };
  scripts?: readonly string[];
  status?: number;
}

/**
 * A page of the admins' area: the console's frame, the admin sub-navigation and admin.css (a stylesheet
 * link in the body is allowed by the CSP's style-src 'self', as console.css is).
 */
export function renderAdminPage(ctx: ConsoleContext, options: AdminPageOptions): void {
  const body = html`<link
      rel="stylesheet"
      href="/console/static/admin.css"
    />${adminNav(options.section)}${options.body}`;
  const document = page({
    title: options.title,
    session: ctx.state.session,
    current: options.section,
    notice: options.notice,
    scripts: ['admin.js', ...(options.scripts ?? [])],
    body,
  });
  render(ctx, document, options.status ?? 200);
}

/** The hidden field every POST form carries (router.ts checks it before the handler runs). */
export function csrfField(ctx: ConsoleContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.state.session!.csrfToken}" />`;
}

/** The query as the API's validate() reads it: a repeated parameter is refused naming it. */
export function singleQuery(ctx: ConsoleContext): Record<string, string> {
  const query: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(ctx.query)) {
    if (Array.isArray(value))
      issues.push({ field: `query.${name}`, message: 'give this parameter once', code: 'repeated' });
    else if (value !== undefined && value !== '') query[name] = value;
  }
  if (issues.length > 0) throw validationError(issues);
  return query;
}

/** Parses with an API schema; a mistake throws the API's 400 VALIDATION_FAILED with each field named. */
export function parseAs<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(fieldIssues(where, parsed.error));
  return parsed.data;
}

/** Form fields without the CSRF token and without fields left empty (an empty input means "not given"). */
export function givenFields(form: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(form).filter(([name, value]) => name !== '_csrf' && value !== ''));
}

interface IssueLike {
  field?: string;
  line?: number;
  message: string;
  code?: string;
}

function issuesOf(error: ReadableError): IssueLike[] {
  const issues = error.details.issues;
  return Array.isArray(issues) ? (issues as IssueLike[]) : [];
}

/**
 * A refused form's problems, as the API reported them: the sentence, then one item per issue (its field,
 * or its CSV line), so the admin sees every mistake at once.
 */
export function problemList(error: ReadableError): SafeHtml {
  const issues = issuesOf(error);
  const items = issues.map(
    (issue) =>
      html`<li>
        ${issue.line !== undefined ? html`<strong>Line ${issue.line}</strong>: ` : ''}${
          issue.field ? html`<code>${issue.field}</code>: ` : ''
        }${issue.message}${issue.code ? html` <span class="muted">(${issue.code})</span>` : ''}
      </li>`,
  );
  return html`<div class="problems" role="alert">
    <p><strong>${error.text}</strong> <span class="muted">${error.code}</span></p>
    ${
      items.length > 0
        ? html`<ul>
            ${items}
          </ul>`
        : ''
    }
  </div>`;
}

/**
 * Runs a form's action; a client's mistake (4xx) comes back as a readable error for the page to show
 * beside the form it came from, anything else (a store or Redis failure) goes on to the error page.
 */
export async function attempt<T>(action: () => Promise<T>): Promise<{ ok: T } | { refused: ReadableError }> {
  try {
    return { ok: await action() };
  } catch (error) {
    const readable = readableError(error);
    if (readable.status >= 400 && readable.status < 500 && readable.status !== 401)
      return { refused: readable };
    throw error;
  }
}

/** A date as people read it in a table (UTC, to the minute): the title attribute keeps the exact time. */
export function when(value: Date | string | null | undefined): SafeHtml {
  if (value === null || value === undefined) return html`<span class="muted">never</span>`;
  const date = value instanceof Date ? value : new Date(value);
  const text = date.toISOString().slice(0, 16).replace('T', ' ');
  return html`<time datetime="${date.toISOString()}" title="${date.toISOString()}">${text} UTC</time>`;
}

/**
 * Runs an API route's own handler for a console action, so the checks, the answer and the audit details
 * are the route's. A handler only reads its input and the principal, and leaves its answer in body and
 * its audit note in state (house rule 9: no try/catch, no I/O of its own on the context).
 */
export async function callApiHandler<I>(
  ctx: ConsoleContext,
  handler: (apiCtx: ApiContext, input: I) => Promise<void>,
  input: I,
  audit: AuditNote,
): Promise<unknown> {
  const { id, name, role } = ctx.state.session!.principal;
  const state: ApiState = { requestId: ctx.state.requestId, principal: { id, name, role } };
  const apiCtx = { state, body: undefined, status: 200 } as unknown as ApiContext;
  try {
    await handler(apiCtx, input);
    return apiCtx.body;
  } finally {
    Object.assign(audit, state.audit);
  }
}
