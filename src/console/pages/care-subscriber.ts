import { subscriberTimeline } from '../../http/routes/subscribers/timeline.ts';
import { notFound, validationError } from '../../http/errors.ts';
import { reasonSchema, uuidSchema } from '../../http/schemas.ts';
import { maskImsi } from '../../observability/logger.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { policyInWords } from '../plain-words.ts';
import { render, seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import { reportsSection } from './care-reports.ts';
import { currentProfile, inFlight, timelineList, type TimelineEntry } from './care-timeline.ts';

/** The care view of one subscriber (the API's GET /v1/subscribers/:msisdn) and Resend. */

/** The newest provisionings shown (the API's default page of the timeline). */
const TIMELINE_LIMIT = 20;
const MSISDN = /^\d{3,15}$/;
type View = NonNullable<Awaited<ReturnType<typeof subscriberTimeline>>>;

/** Reads the timeline as the API does, audited as the API's subscribers.timeline read. */
async function loadView(kit: ConsoleKit, ctx: ConsoleContext, msisdn: string, live: boolean): Promise<View> {
  if (!MSISDN.test(msisdn)) throw notFound('SUBSCRIBER_NOT_FOUND', `no subscriber with MSISDN ${msisdn}`);
  const note = {
    subjectType: 'msisdn',
    subjectId: msisdn,
    details: { msisdn, ...(live ? { live: true } : {}) },
  };
  return kit.audit.run(ctx.state.session!, ctx.state.requestId, 'subscribers.timeline', note, async () => {
    const view = await subscriberTimeline(kit.context.db, msisdn, TIMELINE_LIMIT);
    if (!view) throw notFound('SUBSCRIBER_NOT_FOUND', `no subscriber with MSISDN ${msisdn}`);
    Object.assign(note, { subjectType: 'subscriber', subjectId: view.subscriber.id });
    return view;
  });
}

function deviceFacts(view: View) {
  const device = view.device;
  if (!device)
    return html`<dt>Handset</dt>
      <dd>not seen yet (no IMEI reported)</dd>`;
  const model = device.model;
  const how = model
    ? `by its IMEI’s type code (TAC), found in the device catalogue${model.status === 'unverified' ? ', added from a device report and not verified yet' : ''}`
    : 'its type code (TAC) is not in the device catalogue';
  const report = device.lastReport as { model?: string; manufacturer?: string; receivedAt?: unknown } | null;
  return html`<dt>Handset</dt>
    <dd>
      ${model ? `${model.manufacturer} ${model.model}` : 'unknown model'}
      <span class="muted">(${model?.format ?? 'no format'})</span>
    </dd>
    <dt>Identified</dt>
    <dd>${how}${report ? '; the handset has sent a device report' : ''}</dd>
    <dt>IMEI</dt>
    <dd class="mono">${device.imei}</dd>`;
}

function subscriberBody(view: View, csrfToken: string) {
  const timeline = view.timeline as TimelineEntry[];
  const busy = inFlight(timeline);
  return html`<section class="facts" aria-label="Subscriber">
      <div class="card">
        <h2>SIM</h2>
        <dl>
          <dt>MSISDN</dt>
          <dd class="mono">${view.subscriber.msisdn}</dd>
          <dt>IMSI</dt>
          <dd class="mono">${maskImsi(view.subscriber.imsi)}</dd>
          <dt>Settings</dt>
          <dd id="current-settings">${currentProfile(timeline)}</dd>
        </dl>
      </div>
      <div class="card">
        <h2>Device</h2>
        <dl>${deviceFacts(view)}</dl>
      </div>
      <div class="card">
        <h2>Group: ${view.subscriber.group}</h2>
        ${policyInWords(view.group).map((line) => html`<p>${line}</p>`)}
      </div>
    </section>
    <h2 id="timeline-title">Timeline <span class="live" id="live-status" aria-live="polite"></span></h2>
    <p class="muted" id="in-flight" aria-live="polite">
      ${busy ? `Provisioning ${busy.id.slice(0, 8)} is ${busy.state}: Resend is possible once it ends.` : ''}
    </p>
    <div id="timeline-region" data-msisdn="${view.subscriber.msisdn}" aria-labelledby="timeline-title">
      ${timelineList(timeline)}
    </div>
    ${reportsSection(view.reports)}
    <dialog id="resend-dialog" aria-labelledby="resend-title">
      <form method="post" id="resend-dialog-form">
        <h2 id="resend-title">Resend the settings</h2>
        <p class="muted">A new provisioning is sent with the current version of the same profile.</p>
        <input type="hidden" name="_csrf" value="${csrfToken}" />
        <label for="resend-reason">Reason</label>
        <input
          id="resend-reason"
          name="reason"
          type="text"
          required
          minlength="3"
          maxlength="500"
          autocomplete="off"
        />
        <p class="notice notice-error" id="resend-error" role="alert" hidden></p>
        <div class="actions">
          <button type="button" class="secondary" id="resend-cancel">Cancel</button>
          <button type="submit">Send</button>
        </div>
      </form>
    </dialog>`;
}

const NOTICES: Record<string, string> = {
  resent: 'Sent again: the new provisioning is at the top of the timeline.',
};

export function subscriberPages(kit: ConsoleKit): void {
  const { router } = kit;
  router.page('/console/subscribers/:msisdn', 'care', async (ctx) => {
    const view = await loadView(kit, ctx, ctx.params.msisdn, false);
    const session = ctx.state.session!;
    const noticeText = typeof ctx.query.notice === 'string' ? NOTICES[ctx.query.notice] : undefined;
    render(
      ctx,
      page({
        title: `Subscriber ${view.subscriber.msisdn ?? ''}`,
        session,
        current: '/console/subscribers',
        scripts: ['subscriber.js'],
        notice: noticeText ? { kind: 'info', text: noticeText } : undefined,
        body: subscriberBody(view, session.csrfToken),
      }),
    );
  });

  // The timeline alone: what the page's script puts in place when a live event concerns it.
  router.page('/console/subscribers/:msisdn/timeline', 'care', async (ctx) => {
    const view = await loadView(kit, ctx, ctx.params.msisdn, true);
    ctx.type = 'html';
    ctx.body = timelineList(view.timeline as TimelineEntry[]).text;
  });

  resendPages(kit);
}

/** A provisioning id from the path: anything but a UUID names no provisioning (never a store error). */
function provisioningId(ctx: ConsoleContext): string {
  const id = ctx.params.id;
  if (!uuidSchema.safeParse(id).success) throw notFound('PROVISIONING_NOT_FOUND', `no provisioning ${id}`);
  return id;
}

function resendForm(ctx: ConsoleContext, id: string, msisdn: string | null, reason = '') {
  return html`<form method="post" action="/console/provisionings/${id}/resend" class="card sign-in">
    <input type="hidden" name="_csrf" value="${ctx.state.session!.csrfToken}" />
    <p>A new provisioning for ${msisdn ?? 'this SIM'} with the current version of the same profile.</p>
    <label for="reason">Reason</label>
    <input id="reason" name="reason" type="text" required minlength="3" maxlength="500" value="${reason}" />
    <div class="actions">
      <a href="/console/subscribers/${msisdn ?? ''}">Cancel</a><button type="submit">Send</button>
    </div>
  </form>`;
}

/** Resend: the dialog's POST (JSON for the script, 303 back to the subscriber otherwise) and a no-script form. */
function resendPages(kit: ConsoleKit): void {
  const { router, context, audit } = kit;
  router.page('/console/provisionings/:id/resend', 'care', async (ctx) => {
    const id = provisioningId(ctx);
    const view = await context.provisioning.get(id);
    if (!view) throw notFound('PROVISIONING_NOT_FOUND', `no provisioning ${id}`);
    const body = resendForm(ctx, view.id, view.msisdn);
    render(ctx, page({ title: 'Resend', session: ctx.state.session, current: '/console/subscribers', body }));
  });

  router.action('/console/provisionings/:id/resend', 'care', async (ctx) => {
    const session = ctx.state.session!;
    const id = provisioningId(ctx);
    const parsed = reasonSchema.safeParse(ctx.state.form!.reason ?? '');
    const note = {
      subjectType: 'provisioning',
      subjectId: id,
      details: { reason: parsed.data ?? null, version: 'current' },
    };
    const provisioning = await audit.run(
      session,
      ctx.state.requestId,
      'provisionings.resend',
      note,
      async () => {
        if (!parsed.success) {
          throw validationError([
            { field: 'reason', message: parsed.error.issues[0].message, code: 'invalid' },
          ]);
        }
        const actor = {
          name: session.principal.name,
          role: session.principal.role,
          requestId: ctx.state.requestId,
        };
        const created = await context.provisioning.resend(id, parsed.data, actor, {});
        Object.assign(note.details, { provisioningId: created.id });
        return created;
      },
    );
    if (ctx.get('Accept').includes('application/json')) {
      ctx.status = 202;
      ctx.body = {
        provisioning: { id: provisioning.id, state: provisioning.state, msisdn: provisioning.msisdn },
      };
      return;
    }
    seeOther(ctx, `/console/subscribers/${provisioning.msisdn ?? ''}?notice=resent`);
  });
}
