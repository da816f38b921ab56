/**
 * The device catalogue: search as GET /v1/devices searches, edit a model, import a CSV. An edit is a
 * catalogue CSV of one line through importDeviceCatalogue, the service POST /v1/devices/import calls: the
 * same checks (catalogue-csv.ts), the same upsert, the same audit entries, and its problems by line.
 */
import { CATALOGUE_COLUMNS } from '../../devices/catalogue-csv.ts';
import { DEVICE_FORMATS, DEVICE_SECURITY_METHODS, type DeviceModel } from '../../devices/catalogue.ts';
import { importDeviceCatalogue, type CatalogueImportReport } from '../../devices/import-catalogue.ts';
import { csvImportOptions, refuseUnlessImported } from '../../http/csv-import.ts';
import { notFound } from '../../http/errors.ts';
import { searchDeviceModels } from '../../http/routes/devices/routes.ts';
import { importDevices, listDevices } from '../../http/routes/devices/schema.ts';
import { getDeviceModel, listDeviceModels } from '../../store/repositories/devices.ts';
import type { ReadableError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { seeOther, type ConsoleContext, type ConsoleKit } from '../router.ts';
import { attempt, csrfField, parseAs, problemList, renderAdminPage, singleQuery } from './admin-common.ts';

const SECTION = '/console/devices';
const PAGE_SIZE = 100;

type Model = DeviceModel & { tacs?: string[] };

const inherited = html`<span class="muted">inherited</span>`;

function modelRows(models: Model[]): SafeHtml {
  return html`${models.map(
    (model) =>
      html`<tr>
        <td>
          <a href="${SECTION}/${model.id}"
            >${model.manufacturer} ${model.model === '*' ? '(manufacturer default)' : model.model}</a
          >
        </td>
        <td>${model.format ?? inherited}</td>
        <td>${model.securityMethods?.join(', ') ?? inherited}</td>
        <td>${model.maxSegments ?? inherited}</td>
        <td>${model.capabilities?.join(', ') ?? inherited}</td>
        <td class="mono">${model.tacs?.join(' ') ?? ''}</td>
        <td>${model.status}</td>
      </tr>`,
  )}`;
}

function searchForm(query: Record<string, string>): SafeHtml {
  const status = (value: string, label: string) =>
    html`<option value="${value}" ${query.status === value ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="${SECTION}" class="inline-form" role="search">
    <div>
      <label for="device-q">Manufacturer, model or TAC</label
      ><input type="search" id="device-q" name="q" value="${query.q ?? ''}" maxlength="100" />
    </div>
    <div>
      <label for="device-status">Status</label
      ><select id="device-status" name="status">
        ${status('', 'any')}${status('verified', 'verified')}${status('unverified', 'unverified (reported)')}
      </select>
    </div>
    <button type="submit">Search</button>
  </form>`;
}

function importForm(ctx: ConsoleContext, csv: string, options: Record<string, string>): SafeHtml {
  const check = (name: string, label: string) =>
    html`<div class="check">
      <input
        type="checkbox"
        id="import-${name}"
        name="${name}"
        value="true"
        ${options[name] === 'true' ? html` checked` : ''}
      /><label for="import-${name}">${label}</label>
    </div>`;
  return html`<form method="post" action="${SECTION}/import" class="stack" id="device-import">
    ${csrfField(ctx)}
    <label for="catalogue-csv">Catalogue CSV</label>
    <p class="hint" id="catalogue-csv-hint">
      Columns: ${CATALOGUE_COLUMNS.join(', ')} (a header line first). Models are added or replaced by
      manufacturer and model; nothing else is removed.
    </p>
    <input
      type="file"
      id="catalogue-file"
      accept=".csv,text/csv"
      data-fills="catalogue-csv"
      aria-label="Read a CSV file into the field"
    />
    <textarea
      id="catalogue-csv"
      name="csv"
      rows="8"
      class="mono"
      spellcheck="false"
      aria-describedby="catalogue-csv-hint"
      required
    >
${csv}</textarea>
    ${check('dryRun', 'Dry run: check and count, store nothing')}
    ${check('skipInvalid', 'Import the good lines and skip the bad ones')}
    <div class="actions"><button type="submit">Import CSV</button></div>
  </form>`;
}

function reportText(report: CatalogueImportReport): string {
  const { models, tacs } = report;
  const verb = report.outcome === 'dry-run' ? 'Dry run, nothing stored' : 'Imported';
  return (
    `${verb}: ${report.lines} line(s); models ${models.added} added, ${models.updated} updated, ${models.unchanged} unchanged; ` +
    `TACs ${tacs.added} added, ${tacs.moved} moved, ${tacs.unchanged} unchanged` +
    (report.issues.length > 0 ? `; ${report.issues.length} bad line(s) skipped.` : '.')
  );
}

interface CataloguePageState {
  csv?: string;
  options?: Record<string, string>;
  refused?: ReadableError;
  report?: CatalogueImportReport;
}

async function cataloguePage(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  state: CataloguePageState = {},
): Promise<void> {
  const query = singleQuery(ctx);
  const parsed = parseAs(listDevices.query!, { ...query, limit: String(PAGE_SIZE) }, 'query');
  const models: Model[] = await searchDeviceModels(kit.context.db, parsed);
  const searching = query.q !== undefined || query.status !== undefined;
  const table =
    models.length === 0
      ? html`<p class="empty">
          ${searching ? 'No model matches this search.' : 'The catalogue is empty: import a CSV below (config/devices.csv is a sample).'}
        </p>`
      : html`<div class="scroll">
          <table class="results">
            <caption>
              ${models.length === PAGE_SIZE ? `The first ${PAGE_SIZE} models` : `${models.length} model(s)`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Format</th>
                <th scope="col">Security</th>
                <th scope="col">Max SMS</th>
                <th scope="col">Capabilities</th>
                <th scope="col">TACs</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              ${modelRows(models)}
            </tbody>
          </table>
        </div>`;
  const notice = state.report ? { kind: 'info' as const, text: reportText(state.report) } : undefined;
  const body = html`${searchForm(query)}${table}
    <h2 id="import">Import a CSV</h2>
    ${state.refused ? problemList(state.refused) : ''}
    ${state.report && state.report.issues.length > 0 ? problemList(skippedLines(state.report)) : ''}
    ${importForm(ctx, state.csv ?? '', state.options ?? {})}`;
  renderAdminPage(ctx, {
    title: 'Device catalogue',
    section: SECTION,
    body,
    notice,
    status: state.refused?.status,
  });
}

/** The lines a skip-invalid import left out, shown as the refusal's list is. */
function skippedLines(report: CatalogueImportReport): ReadableError {
  return {
    status: 200,
    code: 'LINES_SKIPPED',
    message: 'lines skipped',
    text: `${report.issues.length} line(s) were skipped:`,
    details: { issues: report.issues },
  };
}

/** POST /v1/devices/import's handler, audited as devices.import; a refused CSV is its 422 with every line's problem. */
async function runImport(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  csv: string,
  options: Record<string, string>,
  source: string,
) {
  const session = ctx.state.session!;
  return kit.audit.run(
    session,
    ctx.state.requestId,
    'devices.import',
    { subjectType: 'device-catalogue', subjectId: source },
    async (note) => {
      const body = parseAs(importDevices.body!, csv, 'body');
      const query = parseAs(importDevices.query!, { ...options, source }, 'query');
      const report = await importDeviceCatalogue(
        kit.context.db,
        body,
        csvImportOptions(query, session.principal, source),
      );
      note.details = {
        outcome: report.outcome,
        lines: report.lines,
        models: report.models,
        tacs: report.tacs,
      };
      refuseUnlessImported(report, 'CATALOGUE_REFUSED');
      return report;
    },
  );
}

async function importAction(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const form = ctx.state.form!;
  const csv = form.csv ?? '';
  const options: Record<string, string> = {};
  if (form.dryRun === 'true') options.dryRun = 'true';
  if (form.skipInvalid === 'true') options.skipInvalid = 'true';
  const outcome = await attempt(() => runImport(kit, ctx, csv, options, 'console-upload.csv'));
  if ('refused' in outcome) return cataloguePage(kit, ctx, { csv, options, refused: outcome.refused });
  return cataloguePage(kit, ctx, { report: outcome.ok, options });
}

// ---------------------------------------------------------------------------------------------------------
// One model: its edit form.

/** A CSV field: quoted when it holds a separator, a quote or a line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The edit form as a catalogue CSV of one model (header + one line): empty fields inherit (catalogue-csv.ts). */
function editCsv(model: Model, form: Record<string, string>): string {
  const methods = DEVICE_SECURITY_METHODS.filter((method) => form[`sec-${method}`] === 'on');
  const tacs = [...(model.tacs ?? []), ...(form.addTacs ?? '').split(/[\s;,]+/).filter(Boolean)];
  const fields: Record<(typeof CATALOGUE_COLUMNS)[number], string> = {
    tac: tacs.join(';'),
    manufacturer: model.manufacturer,
    model: model.model,
    format: form.format ?? '',
    security_methods: methods.join(';'),
    max_segments: form.maxSegments ?? '',
    capabilities: (form.capabilities ?? '')
      .split(/[\s;,]+/)
      .filter(Boolean)
      .join(';'),
    notes: form.notes ?? '',
  };
  return `${CATALOGUE_COLUMNS.join(',')}\n${CATALOGUE_COLUMNS.map((column) => csvField(fields[column])).join(',')}\n`;
}

async function modelOf(kit: ConsoleKit, ctx: ConsoleContext): Promise<Model> {
  const id = Number(ctx.params.id);
  const model = Number.isSafeInteger(id) && id > 0 ? await getDeviceModel(kit.context.db, id) : undefined;
  if (!model) throw notFound('DEVICE_MODEL_NOT_FOUND', `no device model ${ctx.params.id}`);
  const [withTacs] = (
    await listDeviceModels(kit.context.db, { manufacturer: model.manufacturer, limit: 100_000 })
  ).filter((candidate) => candidate.id === model.id);
  return withTacs ?? model;
}

function editForm(ctx: ConsoleContext, model: Model, values: Record<string, string>): SafeHtml {
  const methods = new Set(
    values.submitted
      ? DEVICE_SECURITY_METHODS.filter((m) => values[`sec-${m}`] === 'on')
      : (model.securityMethods ?? []),
  );
  const format = values.submitted ? values.format : (model.format ?? '');
  const formatOptions = ['', ...DEVICE_FORMATS].map(
    (value) =>
      html`<option value="${value}" ${format === value ? html` selected` : ''}>
        ${value || 'inherit'}
      </option>`,
  );
  const text = (name: string, current: string | null | undefined) =>
    values.submitted ? (values[name] ?? '') : (current ?? '');
  return html`<form method="post" action="${SECTION}/${model.id}" class="stack" id="device-edit">
    ${csrfField(ctx)}
    <input type="hidden" name="submitted" value="1" />
    <label for="format">Format</label
    ><select id="format" name="format">
      ${formatOptions}
    </select>
    <fieldset>
      <legend>Security methods (none ticked: inherit)</legend>
      ${DEVICE_SECURITY_METHODS.map(
        (method) =>
          html`<div class="check">
            <input
              type="checkbox"
              id="sec-${method}"
              name="sec-${method}"
              ${methods.has(method) ? html` checked` : ''}
            /><label for="sec-${method}">${method}</label>
          </div>`,
      )}
    </fieldset>
    <label for="maxSegments">Max SMS per push</label
    ><input
      type="text"
      inputmode="numeric"
      id="maxSegments"
      name="maxSegments"
      value="${text('maxSegments', model.maxSegments?.toString())}"
      placeholder="inherit"
    />
    <label for="capabilities">Capabilities</label
    ><input
      type="text"
      id="capabilities"
      name="capabilities"
      value="${text('capabilities', model.capabilities?.join(' '))}"
      placeholder="inherit (e.g. data browser mms email dm si sl)"
    />
    <label for="notes">Notes</label
    ><input type="text" id="notes" name="notes" value="${text('notes', model.notes)}" />
    <label for="addTacs">Add TACs</label
    ><input
      type="text"
      id="addTacs"
      name="addTacs"
      inputmode="numeric"
      value="${values.addTacs ?? ''}"
      placeholder="8-digit TACs, separated by spaces"
    />
    <p class="hint">
      TACs now: <span class="mono">${model.tacs?.join(' ') || 'none'}</span>. A TAC that belongs to another
      model moves here.
    </p>
    <div class="actions"><a href="${SECTION}">Cancel</a><button type="submit">Save model</button></div>
  </form>`;
}

async function modelPage(
  kit: ConsoleKit,
  ctx: ConsoleContext,
  state: { values?: Record<string, string>; refused?: ReadableError } = {},
) {
  const model = await modelOf(kit, ctx);
  const name = `${model.manufacturer} ${model.model === '*' ? '(manufacturer default)' : model.model}`;
  const saved = ctx.query.saved === '1' ? { kind: 'info' as const, text: 'Saved.' } : undefined;
  const body = html`<p><a href="${SECTION}">Back to the catalogue</a> · ${model.status}</p>
    ${state.refused ? problemList(state.refused) : ''} ${editForm(ctx, model, state.values ?? {})}`;
  renderAdminPage(ctx, { title: name, section: SECTION, body, notice: saved, status: state.refused?.status });
}

async function saveModel(kit: ConsoleKit, ctx: ConsoleContext): Promise<void> {
  const model = await modelOf(kit, ctx);
  const form = ctx.state.form!;
  const outcome = await attempt(() =>
    runImport(kit, ctx, editCsv(model, form), {}, `console-edit:${model.id}`),
  );
  if ('refused' in outcome) return modelPage(kit, ctx, { values: form, refused: outcome.refused });
  seeOther(ctx, `${SECTION}/${model.id}?saved=1`);
}

export function devicePages(kit: ConsoleKit): void {
  kit.router.page(SECTION, 'admin', (ctx) => cataloguePage(kit, ctx));
  kit.router.action(`${SECTION}/import`, 'admin', (ctx) => importAction(kit, ctx));
  kit.router.page(`${SECTION}/:id`, 'admin', (ctx) => modelPage(kit, ctx));
  kit.router.action(`${SECTION}/:id`, 'admin', (ctx) => saveModel(kit, ctx));
}
