/**
 * Subscribers for admins: find them (as GET /v1/subscribers finds them), move one to another group (the
 * handler of PATCH /v1/subscribers/:msisdn itself), import a CSV (the service of POST
 * /v1/subscribers/import, problems by line). IMSIs are masked here as in every API answer.
 */
import { csvImportOptions, refuseUnlessImported } from '../../http/csv-import.ts';
import type { ApiContext, OperationInput } from '../../http/operation.ts';
import { changeSubscriberHandler } from '../../http/routes/subscribers/manage.ts';
import {
  changeSubscriber,
  importSubscribers,
  listSubscribers,
} from '../../http/routes/subscribers/schema.ts';
import { maskImsi } from '../../observability/logger.ts';
import { listGroupSummaries } from '../../store/repositories/groups.ts';
import {
  importSubscribers as importSubscriberCsv,
  type SubscriberImportReport,
} from '../../subscribers/import.ts';
import { searchSubscribers, type SubscriberListing } from '../../subscribers/repository.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import {
  attempt,
  callApiHandler,
  csrfField,
  givenFields,
  parseAs,
  problemList,
  renderAdminPage,
  singleQuery,
} from './admin-common.ts';

const SECTION = '/console/subscriber-admin';
const PAGE_SIZE = 50;

function searchForm(query: Record<string, string>, groups: string[]): SafeHtml {
  const groupOptions = ['', ...groups].map(
    (name) =>
      html`<option value="${name}" ${query.group === name ? html` selected` : ''}>${name || 'any'}</option>`,
  );
  return html`<form method="get" action="${SECTION}" class="inline-form" role="search">
    <div>
      <label for="sub-msisdn">MSISDN (or part)</label
      ><input type="search" id="sub-msisdn" name="msisdn" inputmode="numeric" value="${query.msisdn ?? ''}" />
    </div>
    <div>
      <label for="sub-group">Group</label
      ><select id="sub-group" name="group">
        ${groupOptions}
      </select>
    </div>
    <div>
      <label for="sub-model">Handset model</label
      ><input type="search" id="sub-model" name="model" value="${query.model ?? ''}" />
    </div>
    <button type="submit">Find</button>
  </form>`;
}

function groupChange(ctx: ConsoleContext, row: SubscriberListing, groups: string[], back: string): SafeHtml {
  if (!row.msisdn) return html`<span class="muted">no number</span>`;
  const id = `group-${row.msisdn}`;
  return html`<form method="post" action="${SECTION}/${row.msisdn}/group" class="row compact">
    ${csrfField(ctx)}<input type="hidden" name="back" value="${back}" />
    <label for="${id}" class="visually-hidden">Group for ${row.msisdn}</label>
    <select id="${id}" name="group">
      ${groups.map(
        (name) =>
          html`<option value="${name}" ${row.groupName === name ? html` selected` : ''}>${name}</option>`,
      )}
    </select>
    <button type="submit" class="secondary">Move</button>
  </form>`;
}

function resultTable(
  ctx: ConsoleContext,
  rows: SubscriberListing[],
  groups: string[],
  back: string,
): SafeHtml {
  return html`<div class="scroll">
    <table class="results">
      <caption>
        ${rows.length === PAGE_SIZE ? `The first ${PAGE_SIZE} matches` : `${rows.length} match(es)`}
      </caption>
      <thead>
        <tr>
          <th scope="col">MSISDN</th>
          <th scope="col">IMSI</th>
          <th scope="col">Handset</th>
          <th scope="col">Last delivered</th>
          <th scope="col">Group</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              <td>
                ${row.msisdn ? html`<a href="/console/subscribers/${row.msisdn}">${row.msisdn}</a>` : '(no number)'}
              </td>
              <td class="mono">${maskImsi(row.imsi)}</td>
              <td>${row.model ? `${row.model.manufacturer} ${row.model.model}` : 'not identified'}</td>
              <td>
                ${row.lastDelivered ? `${row.lastDelivered.profile} v${row.lastDelivered.version}` : 'nothing yet'}
              </td>
              <td>${groupChange(ctx, row, groups, back)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function importForm(ctx: ConsoleContext, csv: string): SafeHtml {
  return html`<form method="post" action="${SECTION}/import" class="stack" id="subscriber-import">
    ${csrfField(ctx)}
    <label for="subscriber-csv">Subscriber CSV</label>
    <p class="hint" id="subscriber-csv-hint">
      imsi,msisdn,group[,imei] with a header line. New IMSIs are added; known ones move to the file's number
      and group. Any bad line imports nothing unless you skip them.
    </p>
    <input
      type="file"
      id="subscriber-file"
      accept=".csv,text/csv"
      data-fills="subscriber-csv"
      aria-label="Read a CSV file into the field"
    />
    <textarea
      id="subscriber-csv"
      name="csv"
      rows="6"
      class="mono"
      spellcheck="false"
      aria-describedby="subscriber-csv-hint"
      required
    >
${csv}</textarea>
    <div class="check">
      <input type="checkbox" id="sub-dry" name="dryRun" value="true" /><label for="sub-dry"
        >Dry run: check and count, store nothing</label
      >
    </div>
    <div class="check">
      <input type="checkbox" id="sub-skip" name="skipInvalid" value="true" /><label for="sub-skip"
        >Import the good lines and skip the bad ones</label
      >
    </div>
    <div class="actions"><button type="submit">Import subscribers</button></div>
  </form>`;
}

function reportText(report: SubscriberImportReport): string {
  const { subscribers } = report;
  const verb = report.outcome === 'dry-run' ? 'Dry run, nothing stored' : 'Imported';
  return (
    `${verb}: ${report.lines} line(s); ${subscribers.added} added, ${subscribers.updated} updated, ${subscribers.unchanged} unchanged` +
    (report.issues.length > 0 ? `; ${report.issues.length} bad line(s) skipped.` : '.')
  );
}

interface PageState {
  csv?: string;
  refused?: ReadableError;
  report?: SubscriberImportReport;
}

/** The search is an audited read (subscribers.list), as the API's is. */
async function findRows(kit: ConsoleKit, ctx: ConsoleContext, filters: Record<string, string>) {
  const query = parseAs(listSubscribers.query!, { ...filters, limit: String(PAGE_SIZE) }, 'query');
  const { limit, msisdn, group, model } = query;
  const details: Record<string, unknown> = { filters: { msisdn, group, model } };
  return kit.audit.run(
    ctx.state.session!,
    ctx.state.requestId,
    'subscribers.list',
    { subjectType: 'subscribers', details },
    async () => {
      const rows = await searchSubscribers(kit.context.db, { msisdn, group, model, limit });
      details.count = rows.length;
      return rows;
    },
  );
}

async function subscribersPage(kit: ConsoleKit, ctx: ConsoleContext, state: PageState = {}): Promise<void> {
  const { moved, ...filters } = singleQuery(ctx);
  const groups = (await listGroupSummaries(kit.context.db)).map((group) => group.name);
  const searching = Object.keys(filters).length > 0;
  let results: SafeHtml = html`<p class="empty">
    Find subscribers by number, group or handset to move them between groups.
  </p>`;
  if (searching) {
    const rows = await findRows(kit, ctx, filters);
    results =
      rows.length === 0
        ? html`<p class="empty">No subscriber matches.</p>`
        : resultTable(ctx, rows, groups, ctx.originalUrl.replace(/[?&]moved=[^&]*/, ''));
  }
  const notice = state.report
    ? { kind: 'info' as const, text: reportText(state.report) }
    : moved
      ? { kind: 'info' as const, text: `Moved ${moved}.` }
      : undefined;
  const body = html`${searchForm(filters, groups)}${results}
    <h2 id="import">Import a CSV</h2>
    ${state.refused ? problemList(state.refused) : ''} ${importForm(ctx, state.csv ?? '')}`;
  renderAdminPage(ctx, {
    title: 'Subscriber groups',
    section: SECTION,
    body,
    notice,
    status: state.refused?.status,
  });
}

/** PATCH /v1/subscribers/:msisdn's own handler: the same checks (UNKNOWN_GROUP, 404) and audit details. */
async function moveToGroup(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const note = { subjectType: 'msisdn', subjectId: ctx.params.msisdn };
  const outcome = await attempt(() =>
    kit.audit.run(ctx.state.session!, ctx.state.requestId, 'subscribers.change', note, async (audit) => {
      const params = parseAs(changeSubscriber.params!, { msisdn: ctx.params.msisdn }, 'params');
      const body = parseAs(changeSubscriber.body!, { group: form.group }, 'body');
      const handler = (apiCtx: ApiContext, input: OperationInput<typeof changeSubscriber>) =>
        changeSubscriberHandler(kit.context, apiCtx, input);
      await callApiHandler(ctx, handler, { params, body, query: {} }, audit);
      return body.group!;
    }),
  );
  if ('refused' in outcome) return subscribersPage(kit, ctx, { refused: outcome.refused });
  const back = form.back?.startsWith(`${SECTION}?`) ? form.back : SECTION;
  const separator = back.includes('?') ? '&' : '?';
  seeOther(ctx, `${back}${separator}moved=${encodeURIComponent(`${ctx.params.msisdn} to ${outcome.ok}`)}`);
}

async function importAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const session = ctx.state.session!;
  const source = 'console-upload.csv';
  const outcome = await attempt(() =>
    kit.audit.run(
      session,
      ctx.state.requestId,
      'subscribers.import',
      { subjectType: 'subscribers', subjectId: source },
      async (note) => {
        const body = parseAs(importSubscribers.body!, form.csv ?? '', 'body');
        const { csv: _csv, ...options } = givenFields(form);
        const query = parseAs(importSubscribers.query!, { ...options, source }, 'query');
        const report = await importSubscriberCsv(
          kit.context.db,
          body,
          csvImportOptions(query, session.principal, source),
        );
        note.details = { outcome: report.outcome, lines: report.lines, subscribers: report.subscribers };
        refuseUnlessImported(report, 'SUBSCRIBERS_REFUSED');
        return report;
      },
    ),
  );
  if ('refused' in outcome)
    return subscribersPage(kit, ctx, { csv: form.csv ?? '', refused: outcome.refused });
  return subscribersPage(kit, ctx, { report: outcome.ok });
}

export function subscriberAdminPages(kit: ConsoleKit): void {
  kit.router.page(SECTION, 'admin', (ctx) => subscribersPage(kit, ctx));
  kit.router.action(`${SECTION}/import`, 'admin', (ctx) => importAction(kit, ctx));
  kit.router.action(`${SECTION}/:msisdn/group`, 'admin', (ctx) => moveToGroup(kit, ctx));
}
