import { readFile } from 'node:fs/promises';
import { DEFAULT_VAR_DIR, type LocalAdminEndpoint } from '../../auth/local-admin.ts';
import { callGateway, requireGateway } from '../gateway-client.ts';
import { parseCommandLine, UsageError, type CliIo, type Command } from '../main.ts';

export const CAMPAIGN_USAGE = `usage: otagw campaign <action> [options]
  create FILE.json      create a draft campaign from FILE (- reads stdin) and print its preview
  preview ID            the preview of a campaign (who and what it sends, how long it takes)
  start ID              materialise the targets and start sending
  pause ID | resume ID  stop feeding new pushes / carry on
  cancel ID             stop for good (what was sent stays sent)
  status ID [--watch]   state, counts, rate and estimated completion; --watch follows it until it ends
                        (a progress bar in a terminal, one line per look otherwise)
  list                  every campaign, newest first
options:
  --json                the API's answer as JSON (with --watch: one JSON line per look)
  --key KEY             an admin API key (default: the environment's OTAGW_API_KEY)
  --interval SECONDS    how often --watch looks (default 2)
  --var DIR             where the running gateway publishes its endpoint (default ${DEFAULT_VAR_DIR})
The command talks to the running gateway's API (POST/GET /v1/campaigns...); its errors are printed as the
API's code and message (exit 1); a mistake on the command line exits 2.
`;

/** Campaign states after which nothing changes (the state list). */
const FINAL_STATES = new Set(['completed', 'cancelled']);
const ACTIONS = ['start', 'pause', 'resume', 'cancel'] as const;

export interface CampaignCommandDeps {
  env: Record<string, string | undefined>;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

interface Options {
  json: boolean;
  watch: boolean;
  intervalMs: number;
}

/** What one invocation needs: where the gateway is, the key, and how to print. */
interface Session {
  io: CliIo;
  options: Options;
  deps: CampaignCommandDeps;
  call: (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>;
}

// ---- formatting ------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const record = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const count = (value: unknown): string =>
  typeof value === 'number' ? value.toLocaleString('en-US') : value === undefined ? '-' : String(value);

/** 125 -> "2m 5s"; what an operator reads at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m ${rest}s` : `${rest}s`;
}

/** `{ a: 3, b: 1 }` (or `[{ reason|model|group|name, count }]`) as "a 3, b 1", largest first. */
function tally(value: unknown): string {
  const entries: Array<[string, number]> = Array.isArray(value)
    ? value.map((item) => {
        const entry = record(item);
        const name = entry.reason ?? entry.code ?? entry.model ?? entry.group ?? entry.name ?? '?';
        return [String(name), Number(entry.count ?? entry.subscribers ?? 0)];
      })
    : Object.entries(record(value)).map(([name, n]) => [name, Number(n)]);
  entries.sort((a, b) => b[1] - a[1]);
  return entries.map(([name, n]) => `${name} ${count(n)}`).join(', ') || '-';
}

function previewLines(preview: Json): string[] {
  const unsupported = preview.unsupported;
  const unsupportedText =
    typeof unsupported === 'number'
      ? count(unsupported)
      : `${count(record(unsupported).count)} (${tally(record(unsupported).reasons)})`;
  const sample = Array.isArray(preview.sample) ? preview.sample.join(', ') : '-';
  return [
    `  subscribers ${count(preview.subscribers)}  pushes ${count(preview.pushes)}  segments ${count(preview.segments)}`,
    `  unsupported ${unsupportedText}`,
    `  by model: ${tally(preview.byModel)}`,
    `  by group: ${tally(preview.byGroup)}`,
    `  sample: ${sample || '-'}`,
    `  estimated ${typeof preview.estimatedSeconds === 'number' ? formatDuration(preview.estimatedSeconds) : '-'} at the pacing and windows given`,
  ];
}

function heading(campaign: Json): string {
  const name = campaign.name === undefined ? '' : ` '${String(campaign.name)}'`;
  return `campaign ${String(campaign.id)}${name}: ${String(campaign.state)}`;
}

/** Pushes that are over, one way or the other: what the progress bar fills with. */
function finished(counts: Json): number {
  return ['delivered', 'failed', 'skipped'].reduce((sum, key) => sum + (Number(counts[key]) || 0), 0);
}

function rateText(campaign: Json): string {
  const rate = campaign.rate ?? campaign.ratePerSecond;
  const perSecond = typeof rate === 'number' ? rate : Number(record(rate).perSecond ?? record(rate).now);
  return Number.isFinite(perSecond) ? `${perSecond.toFixed(1)}/s` : '-';
}

function completionText(campaign: Json, now: Date): string {
  const at = campaign.estimatedCompletion ?? campaign.estimatedCompletionAt;
  if (typeof at !== 'string') return '-';
  const left = (Date.parse(at) - now.getTime()) / 1000;
  return left > 0 ? `${at} (in ${formatDuration(left)})` : at;
}

const COUNT_NAMES = [
  'selected',
  'queued',
  'submitted',
  'delivered',
  'applied',
  'failed',
  'skipped',
  'remaining',
];

function statusLines(campaign: Json, now: Date): string[] {
  const counts = record(campaign.counts);
  const lines = [
    heading(campaign),
    '  ' + COUNT_NAMES.map((name) => `${name} ${count(counts[name])}`).join('  '),
  ];
  const failed = counts.failedByReason ?? record(counts.byReason).failed;
  const skipped = counts.skippedByReason ?? record(counts.byReason).skipped;
  if (failed !== undefined) lines.push(`  failed: ${tally(failed)}`);
  if (skipped !== undefined) lines.push(`  skipped: ${tally(skipped)}`);
  if (typeof campaign.pauseReason === 'string' || typeof campaign.reason === 'string')
    lines.push(`  why: ${String(campaign.pauseReason ?? campaign.reason)}`);
  lines.push(`  rate ${rateText(campaign)}; estimated completion ${completionText(campaign, now)}`);
  return lines;
}

const BAR_WIDTH = 30;

/** One line: a bar in a terminal (redrawn in place), plain text with a time otherwise. */
export function progressLine(campaign: Json, now: Date, terminal: boolean): string {
  const counts = record(campaign.counts);
  const selected = Number(counts.selected) || 0;
  const done = Math.min(finished(counts), selected);
  const share = selected > 0 ? done / selected : 0;
  const percent = `${(share * 100).toFixed(1)}%`;
  const summary =
    `${count(done)}/${count(selected)} (delivered ${count(counts.delivered)}, failed ${count(counts.failed)}, ` +
    `skipped ${count(counts.skipped)}) ${rateText(campaign)}`;
  if (!terminal) return `${now.toISOString()} ${String(campaign.state)} ${percent} ${summary}\n`;
  const filled = Math.round(share * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  const at = campaign.estimatedCompletion;
  const eta = typeof at === 'string' ? ` ETA ${formatDuration((Date.parse(at) - now.getTime()) / 1000)}` : '';
  // \r and "erase line" (ECMA-48 EL, CSI 2 K): the bar is redrawn where it is.
  return `\r\x1b[2K[${bar}] ${percent} ${summary}${eta} ${String(campaign.state)}`;
}

function listLine(campaign: Json): string {
  const counts = record(campaign.counts);
  const created = typeof campaign.createdAt === 'string' ? campaign.createdAt : '-';
  return (
    [
      String(campaign.id),
      String(campaign.state).padEnd(14),
      `${count(finished(counts))}/${count(counts.selected)}`.padEnd(15),
      created,
      String(campaign.name ?? ''),
    ].join('  ') + '\n'
  );
}

// ---- actions -----------------------------------------------------------------------------------------------

const campaignPath = (id: string, suffix = ''): string => `/v1/campaigns/${encodeURIComponent(id)}${suffix}`;

function print(session: Session, answer: unknown, lines: () => string[]): void {
  if (session.options.json) session.io.stdout(JSON.stringify(answer) + '\n');
  else session.io.stdout(lines().join('\n') + '\n');
}

async function readDocument(file: string, io: CliIo): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
}

async function create(session: Session, file: string): Promise<number> {
  const document = await readDocument(file, session.io);
  const created = record(await session.call('POST', '/v1/campaigns', document));
  print(session, created, () => [heading(created), ...previewLines(record(created.preview))]);
  if (!session.options.json) session.io.stderr(`start it with: otagw campaign start ${String(created.id)}\n`);
  return 0;
}

async function preview(session: Session, id: string): Promise<number> {
  const campaign = record(await session.call('GET', campaignPath(id)));
  print(session, campaign.preview ?? null, () => [
    heading(campaign),
    ...previewLines(record(campaign.preview)),
  ]);
  return 0;
}

async function act(session: Session, action: (typeof ACTIONS)[number], id: string): Promise<number> {
  const answer = record(await session.call('POST', campaignPath(id, `/${action}`)));
  print(session, answer, () => [heading({ id, ...answer })]);
  return 0;
}

async function status(session: Session, id: string): Promise<number> {
  if (session.options.watch) return watch(session, id);
  const campaign = record(await session.call('GET', campaignPath(id)));
  print(session, campaign, () => statusLines(campaign, session.deps.now()));
  return 0;
}

/** Looks every interval until the campaign is over; the last look is printed in full. */
async function watch(session: Session, id: string): Promise<number> {
  const { io, options, deps } = session;
  const terminal = io.isTerminal === true && !options.json;
  for (;;) {
    const campaign = record(await session.call('GET', campaignPath(id)));
    if (options.json) io.stdout(JSON.stringify(campaign) + '\n');
    else io.stdout(progressLine(campaign, deps.now(), terminal));
    if (FINAL_STATES.has(String(campaign.state))) {
      if (!options.json)
        io.stdout((terminal ? '\n' : '') + statusLines(campaign, deps.now()).join('\n') + '\n');
      return 0;
    }
    await deps.sleep(options.intervalMs);
  }
}

async function list(session: Session): Promise<number> {
  const campaigns: unknown[] = [];
  let cursor: string | undefined;
  do {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page = record(await session.call('GET', `/v1/campaigns${query}`));
    campaigns.push(...(Array.isArray(page.campaigns) ? page.campaigns : []));
    cursor = typeof page.nextCursor === 'string' ? page.nextCursor : undefined;
  } while (cursor);
  if (session.options.json) {
    for (const campaign of campaigns) session.io.stdout(JSON.stringify(campaign) + '\n');
  } else {
    for (const campaign of campaigns) session.io.stdout(listLine(record(campaign)));
    if (campaigns.length === 0) session.io.stderr('no campaigns\n');
  }
  return 0;
}

// ---- the command -------------------------------------------------------------------------------------------

function intervalOption(value: string | undefined): number {
  if (value === undefined) return 2000;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds < 0.1 || seconds > 3600)
    throw new UsageError(`--interval: '${value}' is not a number of seconds between 0.1 and 3600`);
  return Math.round(seconds * 1000);
}

function openSession(
  endpoint: LocalAdminEndpoint,
  key: string,
  io: CliIo,
  options: Options,
  deps: CampaignCommandDeps,
): Session {
  const headers = { Authorization: `Bearer ${key}` };
  return {
    io,
    options,
    deps,
    call: (method, path, body) => callGateway(endpoint, { method, path, headers, body }),
  };
}

function needsId(action: string, id: string | undefined): string {
  if (!id) throw new UsageError(`${action} needs a campaign id`);
  return id;
}

export function createCampaignCommand(deps: CampaignCommandDeps): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const [action, ...rest] = argv;
    if (!action || action === '--help' || action === '-h' || action === 'help') {
      io.stdout(CAMPAIGN_USAGE);
      return action ? 0 : 2;
    }
    const { values, positionals } = parseCommandLine(rest, {
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      key: { type: 'string' },
      interval: { type: 'string' },
      var: { type: 'string' },
    });
    const known = ['create', 'preview', 'status', 'list', ...ACTIONS];
    if (!known.includes(action)) throw new UsageError(`unknown action '${action}' (${known.join(', ')})`);
    const [target, extra] = positionals;
    if (extra !== undefined || (action === 'list' && target !== undefined))
      throw new UsageError(`unexpected argument '${extra ?? target}'`);
    if (values.watch && action !== 'status') throw new UsageError('--watch goes with status');
    const options = {
      json: values.json ?? false,
      watch: values.watch ?? false,
      intervalMs: intervalOption(values.interval),
    };
    const key = values.key ?? deps.env.OTAGW_API_KEY;
    if (!key) throw new UsageError('an admin API key is needed: --key KEY or OTAGW_API_KEY');
    if (action === 'create' && !target) throw new UsageError('create needs a FILE.json (or - for stdin)');
    const id = action === 'list' ? '' : needsId(action, target);
    const endpoint = await requireGateway(values.var ?? DEFAULT_VAR_DIR);
    const session = openSession(endpoint, key, io, options, deps);
    if (action === 'create') return create(session, id);
    if (action === 'preview') return preview(session, id);
    if (action === 'status') return status(session, id);
    if (action === 'list') return list(session);
    return act(session, action as (typeof ACTIONS)[number], id);
  };
}

export const campaignCommand: Command = createCampaignCommand({
  env: process.env,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => new Date(),
});
