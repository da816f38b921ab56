/**
 * Profiles: the list, a profile's version history with the form for a new version, two versions side by
 * side, and a version's preview for a chosen model. Each goes through what the API's profile routes use
 * (src/http/routes/profiles/routes.ts): the repository, the same zod schemas, and for the preview the
 * route's own previewPush, which composes with the worker's PushComposer.
 */
import { nokiaOtaVocabulary, provVocabulary } from '../../../codecs/wbxml/vocabularies/index.ts';
import { fromHex } from '../../../codecs/bytes/hex.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';
import { previewPush, profileOf, versionOf, type PreviewQuery } from '../../http/routes/profiles/routes.ts';
import { validationError } from '../../http/errors.ts';
import { createVersion, diffVersions, previewVersion } from '../../http/routes/profiles/schema.ts';
import * as profiles from '../../profiles/repository.ts';
import { SECURITY_CHOICES } from '../../../codecs/ota/security.ts';
import { maskParameters } from '../../profiles/versions.ts';
import { PushComposer } from '../../provisioning/compose.ts';
import { listDeviceModels } from '../../store/repositories/devices.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import {
  attempt,
  csrfField,
  parseAs,
  problemList,
  renderAdminPage,
  singleQuery,
  when,
} from './admin-common.ts';
import { sideBySide, type DiffRow } from './admin-version-diff.ts';
import { dumpWbxml, spacedHex } from './admin-wbxml-dump.ts';

const SECTION = '/console/profiles';

function profileList(list: profiles.Profile[]): SafeHtml {
  if (list.length === 0)
    return html`<p class="empty">
      No profiles yet. The seeds in config/profiles/ are loaded at start; POST /v1/profiles adds one.
    </p>`;
  return html`<div class="scroll">
    <table class="results">
      <caption>
        ${list.length} profile${list.length === 1 ? '' : 's'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Profile</th>
          <th scope="col">Latest version</th>
          <th scope="col">Description</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        ${list.map(
          (profile) =>
            html`<tr>
              <td><a href="${SECTION}/${profile.name}">${profile.name}</a></td>
              <td>v${profile.latestVersion}</td>
              <td>${profile.description ?? html`<span class="muted">none</span>`}</td>
              <td>${when(profile.createdAt)} by ${profile.createdBy}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function versionHistory(profile: profiles.Profile, versions: profiles.ProfileVersion[]): SafeHtml {
  const newest = [...versions].reverse();
  const rows = newest.map(
    (version) =>
      html`<tr>
        <td><a href="${SECTION}/${profile.name}/versions/${version.version}">v${version.version}</a></td>
        <td>${when(version.createdAt)}</td>
        <td>${version.createdBy}</td>
        <td>${version.note ?? html`<span class="muted">no note</span>`}</td>
        <td>
          ${
            version.version > 1
              ? html`<a
                  href="${SECTION}/${profile.name}/diff?from=${version.version - 1}&amp;to=${version.version}"
                  >changes from v${version.version - 1}</a
                >`
              : html`<span class="muted">first version</span>`
          }
        </td>
      </tr>`,
  );
  return html`<div class="scroll">
    <table class="results">
      <caption>
        Version history, newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Saved</th>
          <th scope="col">By</th>
          <th scope="col">Note</th>
          <th scope="col">Diff</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

function versionOptions(versions: profiles.ProfileVersion[], selected: number): SafeHtml[] {
  return versions.map(
    (version) =>
      html`<option value="${version.version}" ${version.version === selected ? html` selected` : ''}>
        v${version.version}
      </option>`,
  );
}

function diffChooser(
  profile: profiles.Profile,
  versions: profiles.ProfileVersion[],
  from: number,
  to: number,
  changesOnly: boolean,
) {
  return html`<form method="get" action="${SECTION}/${profile.name}/diff" class="inline-form">
    <div>
      <label for="diff-from">From version</label
      ><select id="diff-from" name="from">
        ${versionOptions(versions, from)}
      </select>
    </div>
    <div>
      <label for="diff-to">To version</label
      ><select id="diff-to" name="to">
        ${versionOptions(versions, to)}
      </select>
    </div>
    <div class="check">
      <input
        type="checkbox"
        id="diff-only"
        name="changes"
        value="only"
        ${changesOnly ? html` checked` : ''}
      /><label for="diff-only">Only changes</label>
    </div>
    <button type="submit">Compare</button>
  </form>`;
}

function newVersionForm(
  ctx: ConsoleContext,
  profile: profiles.Profile,
  parameters: string,
  note: string,
): SafeHtml {
  return html`<form method="post" action="${SECTION}/${profile.name}/versions" class="stack" id="new-version">
    ${csrfField(ctx)}
    <label for="parameters">Parameters (JSON)</label>
    <p class="hint" id="parameters-hint">
      The latest version's settings. Secrets show as *** and keep the previous version's value unless you type
      a new one. Versions never change: saving makes v${profile.latestVersion + 1}.
    </p>
    <textarea
      id="parameters"
      name="parameters"
      rows="18"
      class="mono"
      spellcheck="false"
      aria-describedby="parameters-hint"
      required
    >
${parameters}</textarea>
    <label for="note">Note</label>
    <input
      type="text"
      id="note"
      name="note"
      maxlength="500"
      value="${note}"
      placeholder="what changed and why"
    />
    <div class="actions"><button type="submit">Save new version</button></div>
  </form>`;
}

async function profilePage(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  draft?: { parameters: string; note: string; refused: ReadableError },
) {
  const db = kit.context.db;
  const profile = await profileOf(db, ctx.params.ref);
  const versions = await profiles.listVersions(db, profile.id);
  const latest = versions[versions.length - 1];
  const parameters =
    draft?.parameters ?? (latest ? JSON.stringify(maskParameters(latest.parameters), null, 2) : '{}');
  const last = latest?.version ?? 1;
  const body = html` <p class="muted">${profile.description ?? ''}</p>
    ${
      versions.length > 1
        ? html`<h2>Compare two versions</h2>
            ${diffChooser(profile, versions, last - 1, last, true)}`
        : ''
    }
    <h2>Versions</h2>
    ${versions.length === 0 ? html`<p class="empty">This profile has no version yet.</p>` : versionHistory(profile, versions)}
    <h2>New version</h2>
    ${draft ? problemList(draft.refused) : ''} ${newVersionForm(ctx, profile, parameters, draft?.note ?? '')}`;
  renderAdminPage(ctx, {
    title: `Profile ${profile.name}`,
    section: SECTION,
    body,
    status: draft?.refused.status,
  });
}

/** The form's JSON; unreadable JSON is a 400 VALIDATION_FAILED naming body.parameters. */
function parametersOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = `not JSON: ${(error as Error).message}`;
    throw validationError([{ field: 'body.parameters', message, code: 'invalid_json' }]);
  }
}

async function saveNewVersion(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const session = ctx.state.session!;
  const note = { subjectType: 'profile', subjectId: ctx.params.ref };
  const outcome = await attempt(() =>
    kit.audit.run(session, ctx.state.requestId, 'profiles.newVersion', note, async (audit) => {
      const body = parseAs(
        createVersion.body,
        { parameters: parametersOf(form.parameters ?? ''), ...(form.note ? { note: form.note } : {}) },
        'body',
      );
      const profile = await profileOf(kit.context.db, ctx.params.ref);
      const version = await profiles.saveVersion(kit.context.db, profile.id, {
        parameters: body.parameters,
        createdBy: session.principal.name,
        note: body.note,
      });
      audit.subjectId = profile.id;
      audit.details = { version: version.version };
      return { profile, version };
    }),
  );
  if ('refused' in outcome) {
    return profilePage(kit, ctx, {
      parameters: form.parameters ?? '',
      note: form.note ?? '',
      refused: outcome.refused,
    });
  }
  const { profile, version } = outcome.ok;
  seeOther(ctx, `${SECTION}/${profile.name}/versions/${version.version}?saved=1`);
}

function diffTable(rows: DiffRow[], from: number, to: number): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">v${from} and v${to} have the same settings.</p>`;
  const cell = (value: string | undefined) =>
    value === undefined ? html`<span class="muted">(not set)</span>` : value;
  return html`<div class="scroll">
    <table class="diff">
      <caption>
        ${rows.filter((row) => row.change !== 'same').length} setting(s) differ
      </caption>
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">v${from}</th>
          <th scope="col">v${to}</th>
          <th scope="col">Change</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr class="diff-${row.change}">
              <th scope="row" class="mono">${row.path}</th>
              <td class="mono" data-label="v${from}">${cell(row.left)}</td>
              <td class="mono" data-label="v${to}">${cell(row.right)}</td>
              <td>
                ${row.change === 'same' ? html`<span class="muted">same</span>` : row.change}${row.masked ? ' (secret changed)' : ''}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

async function diffPage(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const db = kit.context.db;
  const { changes, ...range } = singleQuery(ctx);
  const query = parseAs(diffVersions.query!, range, 'query');
  const profile = await profileOf(db, ctx.params.ref);
  const [from, to, versions] = await Promise.all([
    versionOf(db, profile, query.from),
    versionOf(db, profile, query.to),
    profiles.listVersions(db, profile.id),
  ]);
  const changesOnly = changes === 'only';
  const rows = sideBySide(from.parameters, to.parameters, { changesOnly });
  const body = html`<p><a href="${SECTION}/${profile.name}">Back to ${profile.name}</a></p>
    ${diffChooser(profile, versions, from.version, to.version, changesOnly)}
    ${diffTable(rows, from.version, to.version)}`;
  renderAdminPage(ctx, {
    title: `${profile.name}: v${from.version} → v${to.version}`,
    section: SECTION,
    body,
  });
}

export function profilePages(kit: ConsoleKit): void {
  const { router, context } = kit;
  router.page(SECTION, 'admin', async (ctx) => {
    const list = await profiles.listProfiles(context.db);
    renderAdminPage(ctx, { title: 'Profiles', section: SECTION, body: profileList(list) });
  });
  router.page(`${SECTION}/:ref`, 'admin', (ctx) => profilePage(kit, ctx));
  router.action(`${SECTION}/:ref/versions`, 'admin', (ctx) => saveNewVersion(kit, ctx));
  router.page(`${SECTION}/:ref/diff`, 'admin', (ctx) => diffPage(kit, ctx));
  previewPages(kit);
}

// ---------------------------------------------------------------------------------------------------------
// A version and its preview for a chosen model.

type Preview = Awaited<ReturnType<typeof previewPush>>;

async function previewForm(
  kit: ConsoleKit,
  action: string,
  query: Record<string, string>,
): Promise<SafeHtml> {
  const models = await listDeviceModels(kit.context.db, { limit: 1000 });
  const options = models.map(
    (model) =>
      html`<option value="${model.id}" ${query.model === String(model.id) ? html` selected` : ''}>
        ${model.manufacturer} ${model.model}${model.status === 'unverified' ? ' (unverified)' : ''}
      </option>`,
  );
  const choice = (name: string, values: readonly string[]) =>
    values.map(
      (value) =>
        html`<option value="${value}" ${query[name] === value ? html` selected` : ''}>${value}</option>`,
    );
  return html`<form method="get" action="${action}" class="inline-form" id="preview-form">
    <div>
      <label for="model">Device model</label
      ><select id="model" name="model" required>
        <option value="">Choose a model…</option>
        ${options}
      </select>
    </div>
    <div>
      <label for="sec">Security</label
      ><select id="sec" name="sec">
        <option value="">group default (NETWPIN)</option>
        ${choice('sec', SECURITY_CHOICES)}
      </select>
    </div>
    <div>
      <label for="mode">Segment mode</label
      ><select id="mode" name="mode">
        <option value="">the SMSC's</option>
        ${choice('mode', ['udh', 'tlv'])}
      </select>
    </div>
    <button type="submit">Preview</button>
  </form>`;
}

function previewFacts(preview: Preview): SafeHtml {
  const device = preview.device;
  const list = (items: string[]) => (items.length > 0 ? items.join(', ') : 'nothing');
  return html`<div class="facts card">
    <dl>
      <dt>Device</dt>
      <dd>
        ${device.manufacturer ?? 'no catalogue entry'} ${device.model ?? ''}
        <span class="muted">(${device.matchedBy})</span>
      </dd>
      <dt>Format</dt>
      <dd>${preview.format} · ${preview.contentType}</dd>
      <dt>Security</dt>
      <dd>${preview.sec}</dd>
      <dt>Segments</dt>
      <dd>
        <strong>${preview.segmentCount} SMS</strong> (${preview.mode})${
          preview.maxSegments !== null ? `, the device takes at most ${preview.maxSegments}` : ''
        }
      </dd>
      <dt>Left out</dt>
      <dd>${list(preview.omitted)}</dd>
      <dt>Left out to fit</dt>
      <dd>${list(preview.omittedToFit)}</dd>
    </dl>
  </div>`;
}

function wbxmlTable(preview: Preview): SafeHtml {
  const vocabulary = preview.format === 'nokia-ota' ? nokiaOtaVocabulary : provVocabulary;
  const dump = dumpWbxml(fromHex(preview.wbxmlHex), vocabulary);
  return html`<div class="scroll scroll-box" role="region" tabindex="0" aria-label="WBXML tokens">
    <table class="wbxml">
      <caption>
        ${preview.wbxmlHex.length / 2} octets of WBXML, one token a row (docs/protocol.md §1)
      </caption>
      <thead>
        <tr>
          <th scope="col">Offset</th>
          <th scope="col">Octets</th>
          <th scope="col">Meaning</th>
        </tr>
      </thead>
      <tbody>
        ${dump.tokens.map(
          (token) =>
            html`<tr class="token-${token.kind}">
              <td class="mono">${token.offset}</td>
              <td class="mono octets">${spacedHex(token.octets)}</td>
              <td>${token.meaning}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function segmentList(preview: Preview): SafeHtml {
  if (preview.segments.length === 0)
    return html`<p class="empty">No segments: the worker would not send this push.</p>`;
  return html`<ol class="segments">
    ${preview.segments.map(
      (segment) =>
        html`<li>
          <p class="muted">
            Segment ${segment.index} of ${preview.segments.length}${segment.udhi ? ' · UDH' : ''} ·
            ${segment.hex.length / 2} octets
          </p>
          <pre class="mono hex">${segment.hex.toUpperCase().replace(/(..)(?!$)/g, '$1 ')}</pre>
        </li>`,
    )}
  </ol>`;
}

/** The preview's XML indented, one element a line (it comes compact, as it is encoded). */
function prettyXml(xml: string): string {
  return serializeXml(parseXml(xml), { pretty: true });
}

function previewSection(preview: Preview): SafeHtml {
  const failure = preview.failure
    ? html`<p class="notice notice-error" role="alert">
        ${preview.failure.code}: ${preview.failure.message}
      </p>`
    : '';
  return html`<section aria-labelledby="preview-title">
    <h2 id="preview-title">Preview</h2>
    ${failure}${previewFacts(preview)}
    <h3>The exact segments (${preview.segmentCount})</h3>
    ${segmentList(preview)}
    <h3>XML (secrets masked)</h3>
    <pre class="mono xml scroll-box" tabindex="0" aria-label="The document as XML">
${prettyXml(preview.xml)}</pre>
    <h3>WBXML</h3>
    ${wbxmlTable(preview)}
  </section>`;
}

async function versionPage(kit: ConsoleKit, ctx: ConsoleContext, composer: PushComposer): Promise<void> {
  const db = kit.context.db;
  const profile = await profileOf(db, ctx.params.ref);
  const number = parseAs(
    previewVersion.params!,
    { id: ctx.params.ref, version: ctx.params.version },
    'params',
  ).version;
  const version = await versionOf(db, profile, number);
  const { saved, ...query } = singleQuery(ctx);
  const action = `${SECTION}/${profile.name}/versions/${version.version}`;
  let preview: SafeHtml | string = html`<p class="empty">
    Choose a device model to see the push a worker would send it.
  </p>`;
  let refused: ReadableError | undefined;
  if (query.model !== undefined) {
    const outcome = await attempt(async () => {
      const parsed: PreviewQuery = parseAs(previewVersion.query!, query, 'query');
      return previewPush(db, kit.context.config, composer, version, parsed);
    });
    if ('ok' in outcome) preview = previewSection(outcome.ok);
    else refused = outcome.refused;
  }
  const body = html`<p>
      <a href="${SECTION}/${profile.name}">Back to ${profile.name}</a> · saved ${when(version.createdAt)} by
      ${version.createdBy}${version.note ? ` · ${version.note}` : ''}
    </p>
    ${await previewForm(kit, action, query)} ${refused ? problemList(refused) : preview}
    <details>
      <summary>Parameters of v${version.version} (secrets masked)</summary>
      <pre class="mono">${JSON.stringify(maskParameters(version.parameters), null, 2)}</pre>
    </details>`;
  renderAdminPage(ctx, {
    title: `${profile.name} v${version.version}`,
    section: SECTION,
    body,
    status: refused?.status,
    notice: saved ? { kind: 'info', text: `Saved as v${version.version}.` } : undefined,
  });
}

function previewPages(kit: ConsoleKit): void {
  const composer = new PushComposer(kit.context.db);
  kit.router.page(`${SECTION}/:ref/versions/:version`, 'admin', (ctx) => versionPage(kit, ctx, composer));
}
