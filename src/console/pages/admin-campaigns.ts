/**
 * Campaigns: the list, a new draft with its preview (the campaign document of POST /v1/campaigns, read by
 * its schema), and a campaign's page: its preview, a progress bar and its counts (refreshed while it
 * runs by admin-campaign.js from the progress fragment), and start / pause / resume / cancel. Everything
 * goes through the CampaignService the API routes use, audited with their operation ids.
 */
import { CampaignService } from '../../campaigns/service.ts';
import type { Campaign, CampaignDocument, CampaignStatus } from '../../campaigns/types.ts';
import { validationError } from '../../http/errors.ts';
import {
  cancelCampaign,
  createCampaign,
  getCampaignOp,
  listCampaignsOp,
  pauseCampaign,
  resumeCampaign,
  startCampaign,
} from '../../http/routes/campaigns/schema.ts';
import type { Actor } from '../../provisioning/types.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { render, seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import {
  attempt,
  csrfField,
  parseAs,
  problemList,
  renderAdminPage,
  singleQuery,
  when,
} from './admin-common.ts';

const SECTION = '/console/campaigns';

/** A starting point for the document field: every subscriber below the latest version of the seed profile. */
const EXAMPLE_DOCUMENT = {
  name: 'Northwind standard v2 roll-out',
  selector: { profile: 'northwind-standard', versions: { below: 2 } },
  content: { kind: 'profile', profile: 'northwind-standard' },
  pacing: { tps: 10 },
};

const ACTIONS = {
  start: { op: startCampaign, from: ['draft'], label: 'Start', reason: false },
  pause: { op: pauseCampaign, from: ['running'], label: 'Pause', reason: true },
  resume: { op: resumeCampaign, from: ['paused', 'breaker-paused'], label: 'Resume', reason: false },
  cancel: {
    op: cancelCampaign,
    from: ['draft', 'running', 'paused', 'breaker-paused'],
    label: 'Cancel campaign',
    reason: true,
  },
} as const;
type ActionName = keyof typeof ACTIONS;

function actorOf(ctx: ConsoleContext): Actor {
  const { name, role } = ctx.state.session!.principal;
  return { name, role, requestId: ctx.state.requestId };
}

function campaignTable(campaigns: Campaign[]): SafeHtml {
  return html`<div class="scroll">
    <table class="results">
      <caption>
        ${campaigns.length} campaign(s), newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">Campaign</th>
          <th scope="col">State</th>
          <th scope="col">Subscribers</th>
          <th scope="col">SMS</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        ${campaigns.map(
          (campaign) =>
            html`<tr>
              <td><a href="${SECTION}/${campaign.id}">${campaign.name}</a></td>
              <td><span class="state state-${campaign.state}">${campaign.state}</span></td>
              <td>${campaign.targetCount ?? campaign.preview.subscribers}</td>
              <td>${campaign.preview.segments}</td>
              <td>${when(campaign.createdAt)} by ${campaign.createdBy}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function createForm(ctx: ConsoleContext, documentText: string): SafeHtml {
  return html`<form method="post" action="${SECTION}" class="stack" id="campaign-create">
    ${csrfField(ctx)}
    <label for="campaign-document">Campaign (JSON)</label>
    <p class="hint" id="campaign-document-hint">
      name, selector (profile, versions, models, manufacturers, groups, msisdnPrefix, msisdns,
      lastDeliveredBefore, never), content (a profile version, or an SI/SL push), pacing, window, breaker.
      Creating makes a draft with its preview: nothing is sent before Start.
    </p>
    <textarea
      id="campaign-document"
      name="document"
      rows="12"
      class="mono"
      spellcheck="false"
      aria-describedby="campaign-document-hint"
      required
    >
${documentText}</textarea>
    <div class="actions"><button type="submit">Create draft</button></div>
  </form>`;
}

async function listPage(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  service: CampaignService,
  draft?: { text: string; refused: ReadableError },
) {
  const query = parseAs(listCampaignsOp.query!, singleQuery(ctx), 'query');
  const campaigns = await service.list({ state: query.state, limit: query.limit });
  const list =
    campaigns.length === 0
      ? html`<p class="empty">
          No campaigns yet: create a draft below and look at its preview before you start it.
        </p>`
      : campaignTable(campaigns);
  const body = html`${list}
    <h2>New campaign</h2>
    ${draft ? problemList(draft.refused) : ''}${createForm(ctx, draft?.text ?? JSON.stringify(EXAMPLE_DOCUMENT, null, 2))}`;
  renderAdminPage(ctx, { title: 'Campaigns', section: SECTION, body, status: draft?.refused.status });
}

async function createAction(kit: ConsoleKit, ctx: ConsoleContext, service: CampaignService): Promise<void> {
  const text = ctx.state.form!.document ?? '';
  const note = { subjectType: 'campaign', details: {} as Record<string, unknown> };
  const outcome = await attempt(() =>
    kit.audit.run(ctx.state.session!, ctx.state.requestId, 'campaigns.create', note, async (audit) => {
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch (error) {
        throw validationError([
          { field: 'body', message: `not JSON: ${(error as Error).message}`, code: 'invalid_json' },
        ]);
      }
      const body = parseAs(createCampaign.body, document, 'body');
      audit.details = { name: body.name, content: body.content.kind };
      const campaign = await service.create(body as CampaignDocument, actorOf(ctx));
      audit.subjectId = campaign.id;
      audit.details.subscribers = campaign.preview.subscribers;
      return campaign;
    }),
  );
  if ('refused' in outcome) return listPage(kit, ctx, service, { text, refused: outcome.refused });
  seeOther(ctx, `${SECTION}/${outcome.ok.id}`);
}

// ---------------------------------------------------------------------------------------------------------
// One campaign: preview, progress, actions.

function counted(entries: { key: string; count: number }[]): string {
  return entries.length === 0 ? 'none' : entries.map((entry) => `${entry.key}: ${entry.count}`).join(', ');
}

function previewFacts(campaign: CampaignStatus): SafeHtml {
  const preview = campaign.preview;
  return html`<div class="facts card">
    <dl>
      <dt>Selected</dt>
      <dd>${preview.subscribers} subscriber(s); ${preview.pushes} push(es), ${preview.segments} SMS</dd>
      <dt>Not supported</dt>
      <dd>
        ${preview.unsupported.count}${
          preview.unsupported.count > 0
            ? ` (${Object.entries(preview.unsupported.reasons)
                .map(([why, n]) => `${why}: ${n}`)
                .join(', ')})`
            : ''
        }
      </dd>
      <dt>By model</dt>
      <dd>${counted(preview.byModel)}</dd>
      <dt>By group</dt>
      <dd>${counted(preview.byGroup)}</dd>
      <dt>Pacing</dt>
      <dd>${preview.smsPerSecond} SMS/s, about ${Math.ceil(preview.estimatedSeconds / 60)} min</dd>
      <dt>Sample</dt>
      <dd class="mono">${preview.sample.join(' ') || 'none'}</dd>
    </dl>
  </div>`;
}

/** The part the script refreshes: state, bar and counts. */
function progressFragment(campaign: CampaignStatus): SafeHtml {
  const { counts } = campaign;
  const total = counts.selected || campaign.preview.subscribers;
  const done = counts.delivered + counts.failed + counts.skipped;
  const percent = total === 0 ? 0 : Math.round((done / total) * 100);
  return html`<p>
      State:
      <span class="state state-${campaign.state}" data-state="${campaign.state}">${campaign.state}</span>${
        campaign.stateReason ? html` <span class="muted">${JSON.stringify(campaign.stateReason)}</span>` : ''
      }
    </p>
    <label for="campaign-progress">Progress: ${done} of ${total} done (${percent}%)</label>
    <progress id="campaign-progress" class="progress" max="${total || 1}" value="${done}">
      ${percent}%
    </progress>
    <div class="scroll">
      <table class="results">
        <caption>
          Targets
        </caption>
        <thead>
          <tr>
            <th scope="col">Remaining</th>
            <th scope="col">Queued</th>
            <th scope="col">Submitted</th>
            <th scope="col">Delivered</th>
            <th scope="col">Applied</th>
            <th scope="col">Failed</th>
            <th scope="col">Skipped</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td data-label="Remaining">${counts.remaining}</td>
            <td data-label="Queued">${counts.queued}</td>
            <td data-label="Submitted">${counts.submitted}</td>
            <td data-label="Delivered">${counts.delivered}</td>
            <td data-label="Applied">${counts.applied}</td>
            <td data-label="Failed">${counts.failed}</td>
            <td data-label="Skipped">${counts.skipped}</td>
          </tr>
        </tbody>
      </table>
    </div>
    <p class="muted">
      Now ${campaign.rate.smsPerSecond.toFixed(1)} SMS/s ·
      ${campaign.estimatedCompletion ? html`done by about ${when(campaign.estimatedCompletion)}` : 'no estimate'}
    </p>`;
}

function actionForms(ctx: ConsoleContext, campaign: CampaignStatus): SafeHtml {
  const possible = (Object.keys(ACTIONS) as ActionName[]).filter((name) =>
    (ACTIONS[name].from as readonly string[]).includes(campaign.state),
  );
  if (possible.length === 0)
    return html`<p class="muted">The campaign is ${campaign.state}: nothing more to do.</p>`;
  return html`<div class="campaign-actions">
    ${possible.map((name) => {
      const action = ACTIONS[name];
      return html`<form method="post" action="${SECTION}/${campaign.id}/${name}" class="inline-form">
        ${csrfField(ctx)}
        ${action.reason ? html`<div><label for="reason-${name}">Reason (${name})</label><input type="text" id="reason-${name}" name="reason" maxlength="500" /></div>` : ''}
        <button
          type="submit"
          ${name === 'cancel' ? html` class="danger" data-confirm="Cancel ${campaign.name}? Its pending targets are skipped."` : ''}
        >
          ${action.label}
        </button>
      </form>`;
    })}
  </div>`;
}

async function campaignOf(service: CampaignService, ctx: ConsoleContext): Promise<CampaignStatus> {
  const { id } = parseAs(getCampaignOp.params!, { id: ctx.params.id }, 'params');
  return service.get(id);
}

async function campaignPage(
  ctx: ConsoleContext,
  service: CampaignService,
  refused?: ReadableError,
): Promise<void> {
  const campaign = await campaignOf(service, ctx);
  const body = html`<p>
      <a href="${SECTION}">All campaigns</a> · created ${when(campaign.createdAt)} by ${campaign.createdBy}
    </p>
    ${refused ? problemList(refused) : ''}
    <section aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      <div
        id="campaign-live"
        data-fragment="${SECTION}/${campaign.id}/progress"
        data-state="${campaign.state}"
        aria-live="polite"
      >
        ${progressFragment(campaign)}
      </div>
    </section>
    ${actionForms(ctx, campaign)}
    <h2>Preview</h2>
    ${previewFacts(campaign)}
    <details>
      <summary>The campaign document</summary>
      <pre class="mono">
${JSON.stringify(
          {
            selector: campaign.selector,
            content: campaign.content,
            pacing: campaign.pacing,
            window: campaign.window,
            breaker: campaign.breaker,
          },
          null,
          2,
        )}</pre>
    </details>`;
  renderAdminPage(ctx, {
    title: campaign.name,
    section: SECTION,
    body,
    scripts: ['admin-campaign.js'],
    status: refused?.status,
  });
}

async function changeAction(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  service: CampaignService,
  name: ActionName,
) {
  const action = ACTIONS[name];
  const form = ctx.state.form!;
  const note = { subjectType: 'campaign', subjectId: ctx.params.id, details: {} as Record<string, unknown> };
  const outcome = await attempt(() =>
    kit.audit.run(ctx.state.session!, ctx.state.requestId, action.op.operationId, note, async (audit) => {
      const { id } = parseAs(action.op.params, { id: ctx.params.id }, 'params');
      const body = parseAs(
        action.op.body,
        action.reason && form.reason ? { reason: form.reason } : undefined,
        'body',
      );
      audit.details = { reason: body?.reason ?? null };
      const actor = actorOf(ctx);
      const changed =
        name === 'start'
          ? await service.start(id, actor)
          : name === 'pause'
            ? await service.pause(id, actor, body?.reason)
            : name === 'resume'
              ? await service.resume(id, actor)
              : await service.cancel(id, actor, body?.reason);
      audit.details.state = changed.state;
      return changed;
    }),
  );
  if ('refused' in outcome) return campaignPage(ctx, service, outcome.refused);
  seeOther(ctx, `${SECTION}/${outcome.ok.id}`);
}

export function campaignPages(kit: ConsoleKit): void {
  const service = new CampaignService(kit.context);
  kit.router.page(SECTION, 'admin', (ctx) => listPage(kit, ctx, service));
  kit.router.action(SECTION, 'admin', (ctx) => createAction(kit, ctx, service));
  kit.router.page(`${SECTION}/:id`, 'admin', (ctx) => campaignPage(ctx, service));
  kit.router.page(`${SECTION}/:id/progress`, 'admin', async (ctx) =>
    render(ctx, progressFragment(await campaignOf(service, ctx))),
  );
  for (const name of Object.keys(ACTIONS) as ActionName[]) {
    kit.router.action(`${SECTION}/:id/${name}`, 'admin', (ctx) => changeAction(kit, ctx, service, name));
  }
}
