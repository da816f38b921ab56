/**
 * The audit log with filters: GET /v1/audit's query schema, filter and repository (listAudit), newest
 * first, a page at a time with the same cursor. Times are typed in UTC.
 */
import { pageOf } from '../../http/id-cursor.ts';
import { filterOf } from '../../http/routes/audit/routes.ts';
import { AUDIT_CURSOR, listAuditEntries } from '../../http/routes/audit/schema.ts';
import { listAudit, type AuditEntry } from '../../store/repositories/audit.ts';
import { html, type SafeHtml } from '../html.ts';
import type { ConsoleContext, ConsoleKit } from '../router.ts';
import { parseAs, renderAdminPage, singleQuery, when } from './admin-common.ts';

const SECTION = '/console/audit';
const PAGE_SIZE = 50;
const FILTERS = ['actor', 'action', 'subject', 'subjectType', 'outcome', 'since', 'until'] as const;
/** What <input type="datetime-local"> sends: read as UTC, as the label says. */
const LOCAL_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

function asUtc(value: string | undefined): string | undefined {
  return value !== undefined && LOCAL_MINUTE.test(value) ? `${value}:00Z` : value;
}

function filterForm(query: Record<string, string>): SafeHtml {
  const text = (name: string, label: string, hint = '') =>
    html`<div>
      <label for="audit-${name}">${label}</label
      ><input
        type="text"
        id="audit-${name}"
        name="${name}"
        value="${query[name] ?? ''}"
        placeholder="${hint}"
      />
    </div>`;
  const time = (name: string, label: string) =>
    html`<div>
      <label for="audit-${name}">${label}</label
      ><input
        type="datetime-local"
        id="audit-${name}"
        name="${name}"
        value="${(query[name] ?? '').slice(0, 16)}"
      />
    </div>`;
  const outcome = ['', 'ok', 'denied', 'failed'].map(
    (value) =>
      html`<option value="${value}" ${query.outcome === value ? html` selected` : ''}>
        ${value || 'any'}
      </option>`,
  );
  return html`<form
    method="get"
    action="${SECTION}"
    class="inline-form filters"
    role="search"
    aria-label="Filter the audit log"
  >
    ${text('actor', 'Actor', 'key name')} ${text('action', 'Action', 'e.g. provisionings.resend')}
    ${text('subjectType', 'Subject type', 'e.g. subscriber')} ${text('subject', 'Subject', 'its id')}
    <div>
      <label for="audit-outcome">Outcome</label
      ><select id="audit-outcome" name="outcome">
        ${outcome}
      </select>
    </div>
    ${time('since', 'Since (UTC)')} ${time('until', 'Until (UTC)')}
    <div class="actions"><a href="${SECTION}">Clear</a><button type="submit">Filter</button></div>
  </form>`;
}

/** Details as short text: what the entry says beyond who, what and on what. */
function detailsText(details: Record<string, unknown>): string {
  const text = JSON.stringify(details);
  return text === '{}' ? '' : text;
}

function entryTable(entries: AuditEntry[]): SafeHtml {
  return html`<div class="scroll">
    <table class="results audit">
      <caption>
        ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Subject</th>
          <th scope="col">Outcome</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr>
              <td>${when(entry.at)}</td>
              <td>${entry.actor}${entry.role ? html` <span class="muted">(${entry.role})</span>` : ''}</td>
              <td class="mono">${entry.action}</td>
              <td>${entry.subjectType ?? ''} <span class="mono">${entry.subjectId ?? ''}</span></td>
              <td><span class="outcome outcome-${entry.outcome}">${entry.outcome}</span></td>
              <td class="mono details">${detailsText(entry.details)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

async function auditPage(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const given = singleQuery(ctx);
  const filters: Record<string, string> = {};
  for (const name of FILTERS) if (given[name] !== undefined) filters[name] = asUtc(given[name])!;
  const query = parseAs(
    listAuditEntries.query!,
    { ...filters, ...(given.cursor ? { cursor: given.cursor } : {}), limit: String(PAGE_SIZE) },
    'query',
  );
  const { cursor, limit, ...rest } = query;
  const rows = await listAudit(kit.context.db, { ...filterOf(rest), beforeId: cursor, limit: limit + 1 });
  const page = pageOf(rows, limit, AUDIT_CURSOR);
  const next = page.nextCursor
    ? `${SECTION}?${new URLSearchParams({ ...filters, cursor: page.nextCursor })}`
    : undefined;
  const filtered = Object.keys(filters).length > 0;
  const list =
    page.items.length === 0
      ? html`<p class="empty">${filtered ? 'No entry matches these filters.' : 'The audit log is empty.'}</p>`
      : entryTable(page.items);
  const body = html`${filterForm(filters)}${list}${next ? html`<p class="pager"><a href="${next}">Older entries</a></p>` : ''}`;
  renderAdminPage(ctx, { title: 'Audit log', section: SECTION, body });
}

export function auditPages(kit: ConsoleKit): void {
  kit.router.page(SECTION, 'admin', (ctx) => auditPage(kit, ctx));
}
