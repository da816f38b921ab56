/**
 * The SMSC operators' page (role operator; admins too): every bind with its state, each SMSC's last
 * hour, and a live tail of receipts and refused submits. The page is whole without its script; with
 * static/smsc.js the binds, the hour and the tail are read again (as the fragments below) when the
 * console's event stream announces a bind change, a receipt or a state change.
 */
import { ApiError } from '../../http/errors.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { render, type ConsoleContext, type ConsoleKit } from '../router.ts';
import {
  loadBinds,
  loadOverview,
  loadSummaries,
  loadTail,
  readTailQuery,
  type TailQuery,
} from './smsc-data.ts';
import { bindsFragment, summaryFragment, tailFilterForm, tailFragment } from './smsc-view.ts';

const PATH = '/console/smsc';

const isFiltered = (query: TailQuery): boolean =>
  query.smsc !== undefined || query.state !== undefined || query.msisdn !== undefined;

/** A bad filter on the page itself: the page still shows, with the mistake named, as a 400. */
function filterOf(ctx: ConsoleContext): { query: TailQuery; problem?: string } {
  try {
    return { query: readTailQuery(ctx.query) };
  } catch (error) {
    if (error instanceof ApiError) return { query: {}, problem: error.message };
    throw error;
  }
}

async function smscPage(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const now = new Date();
  const { query, problem } = filterOf(ctx);
  const [overview, tail] = await Promise.all([
    loadOverview(kit.context, now),
    problem ? Promise.resolve([]) : loadTail(kit.context, query, now),
  ]);
  const body = html`<link rel="stylesheet" href="/console/static/smsc.css" />
    <section aria-labelledby="binds-title">
      <h2 id="binds-title">Binds</h2>
      <div id="smsc-binds">${bindsFragment(overview)}</div>
    </section>
    <section aria-labelledby="hour-title">
      <h2 id="hour-title">Last hour</h2>
      <div id="smsc-summary">${summaryFragment(overview)}</div>
    </section>
    <section aria-labelledby="tail-title">
      <h2 id="tail-title">Receipts and failures</h2>
      <p id="smsc-live" class="live" data-state="closed">Live updates start when the page has loaded.</p>
      ${tailFilterForm(
        overview.smscs.map((smsc) => smsc.smsc),
        query,
      )}
      <div id="smsc-tail" class="scroll" aria-live="polite">${tailFragment(tail, isFiltered(query))}</div>
    </section>`;
  const notice = problem
    ? { kind: 'error' as const, text: `The filter was not applied: ${problem}` }
    : undefined;
  render(
    ctx,
    page({ title: 'SMSC', session: ctx.state.session, current: PATH, scripts: ['smsc.js'], notice, body }),
    problem ? 400 : 200,
  );
}

export function smscPages(kit: ConsoleKit): void {
  const { router, context } = kit;
  router.page(PATH, 'operator', (ctx) => smscPage(kit, ctx));
  // Fragments the page's script reads again; a bad filter is the API's 400 naming the field.
  router.page(`${PATH}/binds`, 'operator', async (ctx) => {
    render(ctx, bindsFragment(await loadBinds(context)));
  });
  router.page(`${PATH}/summary`, 'operator', async (ctx) => {
    const binds = await loadBinds(context);
    render(ctx, summaryFragment({ smscs: await loadSummaries(context, binds.binds, new Date()) }));
  });
  router.page(`${PATH}/tail`, 'operator', async (ctx) => {
    const query = readTailQuery(ctx.query);
    render(ctx, tailFragment(await loadTail(context, query, new Date()), isFiltered(query)));
  });
}
