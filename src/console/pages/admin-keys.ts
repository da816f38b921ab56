/**
 * API keys: the list, a new key (its secret shown on the answer page once, never again: the store keeps
 * only its hash) and revocation. The same functions and audit details as POST /v1/keys and DELETE
 * /v1/keys/:id (src/http/routes/api-keys/routes.ts); a revoked key is forgotten by this process's
 * ApiKeyCache at once, so its console sessions end too.
 */
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../../auth/api-keys.ts';
import { ROLES } from '../../auth/roles.ts';
import { notFound } from '../../http/errors.ts';
import { createKey, revokeKey } from '../../http/routes/api-keys/schema.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import {
  attempt,
  csrfField,
  givenFields,
  parseAs,
  problemList,
  renderAdminPage,
  when,
} from './admin-common.ts';

const SECTION = '/console/keys';
/** What <input type="datetime-local"> sends: read as UTC, as the label says. */
const LOCAL_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

function keyRows(ctx: ConsoleContext, keys: ApiKeyRecord[]): SafeHtml {
  const mine = ctx.state.session!.principal.id;
  return html`${keys.map(
    (key) =>
      html`<tr>
        <td>${key.name}${key.id === mine ? html` <span class="muted">(this session's key)</span>` : ''}</td>
        <td data-label="Role">${key.role}</td>
        <td class="mono" data-label="Key">${key.keyPrefix}…</td>
        <td data-label="Created">${when(key.createdAt)}${key.createdBy ? ` by ${key.createdBy}` : ''}</td>
        <td data-label="Last used">${when(key.lastUsedAt)}</td>
        <td data-label="Expires">
          ${key.expiresAt ? when(key.expiresAt) : html`<span class="muted">no expiry</span>`}
        </td>
        <td>
          ${
            key.revokedAt
              ? html`revoked ${when(key.revokedAt)}`
              : html`<form method="post" action="${SECTION}/${key.id}/revoke" class="compact">
                  ${csrfField(ctx)}
                  <button
                    type="submit"
                    class="danger"
                    aria-label="Revoke ${key.name}"
                    data-confirm="Revoke the key ${key.name}? Whoever uses it is locked out at once."
                  >
                    Revoke
                  </button>
                </form>`
          }
        </td>
      </tr>`,
  )}`;
}

function createForm(ctx: ConsoleContext, draft: Record<string, string>): SafeHtml {
  const roles = ROLES.map(
    (role) => html`<option value="${role}" ${draft.role === role ? html` selected` : ''}>${role}</option>`,
  );
  return html`<form method="post" action="${SECTION}" class="inline-form" id="key-create">
    ${csrfField(ctx)}
    <div>
      <label for="key-name">Name</label
      ><input
        type="text"
        id="key-name"
        name="name"
        value="${draft.name ?? ''}"
        required
        maxlength="80"
        placeholder="who or what uses it"
      />
    </div>
    <div>
      <label for="key-role">Role</label
      ><select id="key-role" name="role">
        ${roles}
      </select>
    </div>
    <div>
      <label for="key-expires">Expires (UTC, optional)</label
      ><input type="datetime-local" id="key-expires" name="expiresAt" value="${draft.expiresAt ?? ''}" />
    </div>
    <button type="submit">Create key</button>
  </form>`;
}

interface KeysState {
  draft?: Record<string, string>;
  refused?: ReadableError;
  created?: { record: ApiKeyRecord; key: string };
}

function secretOnce(created: { record: ApiKeyRecord; key: string }): SafeHtml {
  return html`<section class="card secret-once" aria-labelledby="secret-title">
    <h2 id="secret-title">The new key ${created.record.name} (${created.record.role})</h2>
    <p><strong>Copy it now: it is shown this once.</strong> The gateway keeps only its hash.</p>
    <div class="row">
      <label for="new-secret" class="visually-hidden">New API key</label>
      <input type="text" id="new-secret" class="mono" value="${created.key}" readonly data-select-all />
      <button type="button" class="secondary" data-copy="new-secret">Copy</button>
    </div>
  </section>`;
}

async function keysPage(kit: ConsoleKit, ctx: ConsoleContext, state: KeysState = {}): Promise<void> {
  const showRevoked = ctx.query.revoked === 'show';
  const keys = await listApiKeys(kit.context.db, { includeRevoked: showRevoked });
  const table =
    keys.length === 0
      ? html`<p class="empty">No keys.</p>`
      : html`<div class="scroll">
          <table class="results">
            <caption>
              ${keys.length} key(s)${showRevoked ? ', revoked ones too' : ''} ·
              <a href="${SECTION}${showRevoked ? '' : '?revoked=show'}"
                >${showRevoked ? 'Hide revoked keys' : 'Show revoked keys'}</a
              >
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${keyRows(ctx, keys)}
            </tbody>
          </table>
        </div>`;
  const revokedName = typeof ctx.query.revokedName === 'string' ? ctx.query.revokedName : undefined;
  const notice = revokedName ? { kind: 'info' as const, text: `Key ${revokedName} revoked.` } : undefined;
  const body = html`${state.created ? secretOnce(state.created) : ''}
    <h2>New key</h2>
    ${state.refused ? problemList(state.refused) : ''}${createForm(ctx, state.draft ?? {})}
    <h2>Keys</h2>
    ${table}`;
  // The answer that carries a secret must not be kept by the browser or a proxy.
  if (state.created) ctx.set('Cache-Control', 'no-store');
  renderAdminPage(ctx, {
    title: 'API keys',
    section: SECTION,
    body,
    notice,
    status: state.created ? 201 : state.refused?.status,
  });
}

async function createAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = givenFields(ctx.state.form!);
  const session = ctx.state.session!;
  if (form.expiresAt !== undefined && LOCAL_MINUTE.test(form.expiresAt)) form.expiresAt += ':00Z';
  const outcome = await attempt(() =>
    kit.audit.run(
      session,
      ctx.state.requestId,
      'apiKeys.create',
      { subjectType: 'api-key' },
      async (note) => {
        const body = parseAs(createKey.body, form, 'body');
        const created = await createApiKey(kit.context.db, {
          name: body.name,
          role: body.role,
          createdBy: session.principal.name,
          expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
        });
        note.subjectId = created.record.id;
        note.details = { name: body.name, role: body.role };
        return created;
      },
    ),
  );
  if ('refused' in outcome) return keysPage(kit, ctx, { draft: ctx.state.form, refused: outcome.refused });
  return keysPage(kit, ctx, { created: outcome.ok });
}

async function revokeAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const session = ctx.state.session!;
  const outcome = await attempt(() =>
    kit.audit.run(
      session,
      ctx.state.requestId,
      'apiKeys.revoke',
      { subjectType: 'api-key', subjectId: ctx.params.id },
      async () => {
        const params = parseAs(revokeKey.params, { id: ctx.params.id }, 'params');
        const revoked = await revokeApiKey(kit.context.db, params.id);
        if (!revoked) throw notFound('API_KEY_NOT_FOUND', `no live API key ${params.id}`);
        kit.keys.forget(revoked.id);
        return revoked;
      },
    ),
  );
  if ('refused' in outcome) return keysPage(kit, ctx, { refused: outcome.refused });
  seeOther(ctx, `${SECTION}?revokedName=${encodeURIComponent(outcome.ok.name)}`);
}

export function keyPages(kit: ConsoleKit): void {
  kit.router.page(SECTION, 'admin', (ctx) => keysPage(kit, ctx));
  kit.router.action(SECTION, 'admin', (ctx) => createAction(kit, ctx));
  kit.router.action(`${SECTION}/:id/revoke`, 'admin', (ctx) => revokeAction(kit, ctx));
}
