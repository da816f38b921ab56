/**
 * Subscriber groups and their policies: list, create, edit, retire when nobody is in the group. Each
 * action runs the handler of POST /v1/groups, PUT or DELETE /v1/groups/:name (groupHandlers), so the
 * checks (GROUP_EXISTS, GROUP_NOT_EMPTY, GROUP_IS_DEFAULT), the policy schema and the audit are the API's.
 */
import { validationError } from '../../http/errors.ts';
import { groupHandlers, policyOf } from '../../http/routes/groups/routes.ts';
import { createGroup, deleteGroup, putGroup } from '../../http/routes/groups/schema.ts';
import { listGroupSummaries, type GroupSummary } from '../../store/repositories/groups.ts';
import type { GroupPolicy } from '../../subscribers/policy.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import { attempt, callApiHandler, csrfField, parseAs, problemList, renderAdminPage } from './admin-common.ts';

const SECTION = '/console/groups';
/** New subscribers join it (groups/routes.ts DEFAULT_GROUP): never retired. */
const DEFAULT_GROUP = 'default';

/** A policy in plain words, for the list. */
function policyWords(policy: GroupPolicy): string {
  const words = [
    policy.confirmation === 'ask-first'
      ? `asks first (answer within ${policy.confirmationTimeoutMinutes} min)`
      : 'sends without asking',
    `security ${policy.securityMethod}`,
    `priority ${policy.priority}`,
  ];
  if (policy.quietHours) words.push(`quiet ${policy.quietHours.start}–${policy.quietHours.end}`);
  if (policy.dailyCap) words.push(`at most ${policy.dailyCap} a day (${policy.dailyCapAction ?? 'defer'})`);
  if (policy.language) words.push(`texts in ${policy.language}`);
  return words.join(' · ');
}

function groupTable(groups: GroupSummary[]): SafeHtml {
  return html`<div class="scroll">
    <table class="results">
      <caption>
        ${groups.length} group(s)
      </caption>
      <thead>
        <tr>
          <th scope="col">Group</th>
          <th scope="col">Subscribers</th>
          <th scope="col">Policy</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        ${groups.map(
          (group) =>
            html`<tr>
              <td><a href="${SECTION}/${group.name}">${group.name}</a></td>
              <td>${group.subscribers}</td>
              <td>${policyWords(policyOf(group))}</td>
              <td>${group.description ?? html`<span class="muted">none</span>`}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

interface Draft {
  name?: string;
  description?: string;
  policy?: string;
  refused?: ReadableError;
}

function policyField(id: string, value: string): SafeHtml {
  return html`<label for="${id}">Policy (JSON)</label>
    <p class="hint" id="${id}-hint">
      confirmation (automatic | ask-first), confirmationTimeoutMinutes, confirmFor, securityMethod, quietHours
      { start, end, timeZone }, priority, dailyCap, dailyCapAction, timeZone, language, allowSlExecuteHigh.
      Left out: the default.
    </p>
    <textarea
      id="${id}"
      name="policy"
      rows="10"
      class="mono"
      spellcheck="false"
      aria-describedby="${id}-hint"
    >
${value}</textarea>`;
}

function createForm(ctx: ConsoleContext, draft: Draft): SafeHtml {
  return html`<form method="post" action="${SECTION}" class="stack" id="group-create">
    ${csrfField(ctx)}
    <label for="group-name">Name</label>
    <input
      type="text"
      id="group-name"
      name="name"
      value="${draft.name ?? ''}"
      required
      pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
      aria-describedby="group-name-hint"
    />
    <p class="hint" id="group-name-hint">Lower-case letters, digits, _ and -.</p>
    <label for="group-description">Description</label>
    <input
      type="text"
      id="group-description"
      name="description"
      maxlength="500"
      value="${draft.description ?? ''}"
    />
    ${policyField('group-policy', draft.policy ?? '{}')}
    <div class="actions"><button type="submit">Create group</button></div>
  </form>`;
}

async function groupsPage(kit: ConsoleKit, ctx: ConsoleContext, draft: Draft = {}): Promise<void> {
  const groups = await listGroupSummaries(kit.context.db);
  const list = groups.length === 0 ? html`<p class="empty">No groups yet.</p>` : groupTable(groups);
  const retired =
    typeof ctx.query.retired === 'string'
      ? { kind: 'info' as const, text: `Group ${ctx.query.retired} retired.` }
      : undefined;
  const body = html`${list}
    <h2>New group</h2>
    ${draft.refused ? problemList(draft.refused) : ''}${createForm(ctx, draft)}`;
  renderAdminPage(ctx, {
    title: 'Groups',
    section: SECTION,
    body,
    notice: retired,
    status: draft.refused?.status,
  });
}

/** The policy field's JSON: unreadable JSON is a 400 naming body.policy. */
function policyOfForm(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw validationError([
      { field: 'body.policy', message: `not JSON: ${(error as Error).message}`, code: 'invalid_json' },
    ]);
  }
}

function describedBody(form: Record<string, string>) {
  return {
    ...(form.description ? { description: form.description } : {}),
    ...(policyOfForm(form.policy) === undefined ? {} : { policy: policyOfForm(form.policy) }),
  };
}

async function createAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const handlers = groupHandlers(kit.context.db);
  const outcome = await attempt(() =>
    kit.audit.run(
      ctx.state.session!,
      ctx.state.requestId,
      'groups.create',
      { subjectType: 'group', subjectId: form.name },
      async (note) => {
        const body = parseAs(createGroup.body!, { name: form.name ?? '', ...describedBody(form) }, 'body');
        await callApiHandler(ctx, handlers.create, { body, params: {}, query: {} }, note);
        return body.name;
      },
    ),
  );
  if ('refused' in outcome) return groupsPage(kit, ctx, { ...form, refused: outcome.refused });
  seeOther(ctx, `${SECTION}/${outcome.ok}?saved=1`);
}

async function groupOf(kit: ConsoleKit, name: string): Promise<GroupSummary | undefined> {
  const [group] = await listGroupSummaries(kit.context.db, name);
  return group;
}

function retireForm(ctx: ConsoleContext, group: GroupSummary): SafeHtml {
  const why =
    group.name === DEFAULT_GROUP
      ? 'New subscribers join this group: it cannot be retired.'
      : group.subscribers > 0
        ? `${group.subscribers} subscriber(s) are in this group: move them first (Subscriber groups).`
        : 'Nobody is in this group. Its selection rules are deleted with it.';
  const possible = group.name !== DEFAULT_GROUP && group.subscribers === 0;
  return html`<form
    method="post"
    action="${SECTION}/${group.name}/retire"
    class="stack danger"
    id="group-retire"
  >
    ${csrfField(ctx)}
    <p class="hint" id="retire-hint">${why}</p>
    <div class="actions">
      <button
        type="submit"
        class="danger"
        aria-describedby="retire-hint"
        ${possible ? '' : html` disabled`}
        data-confirm="Retire group ${group.name}?"
      >
        Retire group
      </button>
    </div>
  </form>`;
}

async function groupPage(kit: ConsoleKit, ctx: ConsoleContext, draft: Draft = {}): Promise<void> {
  const name = parseAs(putGroup.params!, { name: ctx.params.name }, 'params').name;
  const group = await groupOf(kit, name);
  if (!group) {
    const body = html`<p class="empty">There is no group “${name}”. <a href="${SECTION}">All groups</a></p>`;
    return renderAdminPage(ctx, { title: 'No such group', section: SECTION, body, status: 404 });
  }
  const policy = draft.policy ?? JSON.stringify(policyOf(group), null, 2);
  const saved = ctx.query.saved === '1' ? { kind: 'info' as const, text: 'Saved.' } : undefined;
  const body = html`<p>
      <a href="${SECTION}">All groups</a> · ${group.subscribers} subscriber(s) ·
      ${policyWords(policyOf(group))}
    </p>
    ${draft.refused ? problemList(draft.refused) : ''}
    <form method="post" action="${SECTION}/${group.name}" class="stack" id="group-edit">
      ${csrfField(ctx)}
      <label for="edit-description">Description</label>
      <input
        type="text"
        id="edit-description"
        name="description"
        maxlength="500"
        value="${draft.description ?? group.description ?? ''}"
      />
      ${policyField('edit-policy', policy)}
      <div class="actions"><button type="submit">Save policy</button></div>
    </form>
    <h2>Retire</h2>
    ${retireForm(ctx, group)}`;
  renderAdminPage(ctx, {
    title: `Group ${group.name}`,
    section: SECTION,
    body,
    notice: saved,
    status: draft.refused?.status,
  });
}

async function saveAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const handlers = groupHandlers(kit.context.db);
  const outcome = await attempt(() =>
    kit.audit.run(
      ctx.state.session!,
      ctx.state.requestId,
      'groups.put',
      { subjectType: 'group', subjectId: ctx.params.name },
      async (note) => {
        const params = parseAs(putGroup.params!, { name: ctx.params.name }, 'params');
        const body = parseAs(putGroup.body!, { policy: {}, ...describedBody(form) }, 'body');
        await callApiHandler(ctx, handlers.put, { params, body, query: {} }, note);
        return params.name;
      },
    ),
  );
  if ('refused' in outcome)
    return groupPage(kit, ctx, {
      description: form.description,
      policy: form.policy,
      refused: outcome.refused,
    });
  seeOther(ctx, `${SECTION}/${outcome.ok}?saved=1`);
}

async function retireAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const handlers = groupHandlers(kit.context.db);
  const outcome = await attempt(() =>
    kit.audit.run(
      ctx.state.session!,
      ctx.state.requestId,
      'groups.delete',
      { subjectType: 'group', subjectId: ctx.params.name },
      async (note) => {
        const params = parseAs(deleteGroup.params!, { name: ctx.params.name }, 'params');
        await callApiHandler(ctx, handlers.retire, { params, body: undefined, query: {} }, note);
        return params.name;
      },
    ),
  );
  if ('refused' in outcome) return groupPage(kit, ctx, { refused: outcome.refused });
  seeOther(ctx, `${SECTION}?retired=${encodeURIComponent(outcome.ok)}`);
}

export function groupPages(kit: ConsoleKit): void {
  kit.router.page(SECTION, 'admin', (ctx) => groupsPage(kit, ctx));
  kit.router.action(SECTION, 'admin', (ctx) => createAction(kit, ctx));
  kit.router.page(`${SECTION}/:name`, 'admin', (ctx) => groupPage(kit, ctx));
  kit.router.action(`${SECTION}/:name`, 'admin', (ctx) => saveAction(kit, ctx));
  kit.router.action(`${SECTION}/:name/retire`, 'admin', (ctx) => retireAction(kit, ctx));
}
