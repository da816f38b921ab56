import { maskImsi } from '../../observability/logger.ts';
import { findSubscriber, searchSubscribers, type SubscriberListing } from '../../subscribers/repository.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { render, type ConsoleContext, type ConsoleKit } from '../router.ts';

/** How many matches a partial number lists (the API's page size). */
const SEARCH_LIMIT = 50;
/** A whole IMSI: MCC + MNC + MSIN, 14 or 15 digits (docs/protocol.md §3.3 keys NETWPIN with it). */
const FULL_IMSI = /^\d{14,15}$/;

function searchForm(query: string) {
  return html`<form method="get" action="/console/subscribers" class="search" role="search">
    <label for="q">MSISDN or IMSI</label>
    <div class="row">
      <input id="q" name="q" type="search" inputmode="numeric" value="${query}" autocomplete="off" required />
      <button type="submit">Search</button>
    </div>
  </form>`;
}

function resultsTable(rows: SubscriberListing[]) {
  return html`<table class="results">
    <caption>
      ${rows.length === SEARCH_LIMIT ? `The first ${SEARCH_LIMIT} matches` : `${rows.length} match${rows.length === 1 ? '' : 'es'}`}
    </caption>
    <thead>
      <tr>
        <th scope="col">MSISDN</th>
        <th scope="col">IMSI</th>
        <th scope="col">Group</th>
        <th scope="col">Handset</th>
        <th scope="col">Last delivered</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td><a href="/console/subscribers/${row.msisdn ?? ''}">${row.msisdn ?? '(no number)'}</a></td>
            <td class="mono">${maskImsi(row.imsi)}</td>
            <td>${row.groupName}</td>
            <td>${row.model ? `${row.model.manufacturer} ${row.model.model}` : 'not identified'}</td>
            <td>
              ${row.lastDelivered ? `${row.lastDelivered.profile} v${row.lastDelivered.version}` : 'nothing yet'}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The digits of what care typed: spaces, dashes and a leading + are how numbers are written. */
function digitsOf(query: string): string {
  return query.replace(/[\s+()-]/g, '');
}

async function search(kit: ConsoleKit, ctx: ConsoleContext, query: string) {
  const session = ctx.state.session!;
  const digits = digitsOf(query);
  if (!/^\d{1,15}$/.test(digits)) {
    return {
      notice: {
        kind: 'error' as const,
        text: 'Type digits only: an MSISDN (or part of one) or a whole IMSI.',
      },
    };
  }
  const details: Record<string, unknown> = { filters: { msisdn: digits } };
  return kit.audit.run(
    session,
    ctx.state.requestId,
    'subscribers.list',
    { subjectType: 'subscribers', details },
    async () => {
      // A whole IMSI finds its SIM; care sees it masked from then on (as the API shows it).
      if (FULL_IMSI.test(digits)) {
        const byImsi = await findSubscriber(kit.context.db, { imsi: digits });
        if (byImsi?.msisdn) {
          details.filters = { imsi: maskImsi(digits) };
          details.count = 1;
          return { redirect: `/console/subscribers/${byImsi.msisdn}` };
        }
      }
      const rows = await searchSubscribers(kit.context.db, { msisdn: digits, limit: SEARCH_LIMIT });
      details.count = rows.length;
      const exact = rows.filter((row) => row.msisdn === digits);
      if (exact.length === 1 && rows.length === 1) return { redirect: `/console/subscribers/${digits}` };
      return { rows };
    },
  );
}

export function searchPages(kit: ConsoleKit): void {
  kit.router.page('/console/subscribers', 'care', async (ctx) => {
    const query = typeof ctx.query.q === 'string' ? ctx.query.q.trim() : '';
    const session = ctx.state.session;
    const frame = { title: 'Subscribers', session, current: '/console/subscribers' };
    if (!query) {
      const body = html`${searchForm('')}
        <p class="empty">Type a number (or part of one) or a whole IMSI.</p>`;
      return render(ctx, page({ ...frame, body }));
    }
    const found = await search(kit, ctx, query);
    if ('redirect' in found && found.redirect) return ctx.redirect(found.redirect);
    if ('notice' in found)
      return render(ctx, page({ ...frame, notice: found.notice, body: searchForm(query) }), 422);
    const rows = found.rows ?? [];
    const results =
      rows.length === 0 ? html`<p class="empty">No subscriber matches “${query}”.</p>` : resultsTable(rows);
    render(ctx, page({ ...frame, body: html`${searchForm(query)}${results}` }));
  });
}
