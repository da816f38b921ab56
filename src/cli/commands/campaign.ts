import { readFile } from 'node:fs/promises';
import { DEFAULT_VAR_DIR, type LocalAdminEndpoint } from '../../auth/local-admin.ts';
import { callGateway, requireGateway } from '../gateway-client.ts';
import { parseCommandLine, UsageError, type CliIo, type Command } from '../main.ts';

export const CAMPAIGN_USAGE = `usage: otagw campaign <action> [options]
  create FILE.json      create a draft campaign from FILE (- reads stdin) and print its preview;
                        --msisdns FILE.csv sends that CSV's numbers as selector.msisdns
  preview ID            the preview of a campaign (who and what it sends, how long it takes)
  start ID              materialise the targets and start sending
  pause ID | resume ID  stop feeding new pushes / carry on (pause: --reason TEXT)
  cancel ID             stop for good: what was sent stays sent (--reason TEXT)
  status ID [--watch]   state, counts, rate and estimated completion; --watch follows it until it ends
                        (a progress bar in a terminal, one line per look otherwise)
  list                  the campaigns, newest first (--state STATE, --limit N: default 100)
options:
  --json                the API's answer as JSON (with --watch: one JSON line per look)
  --key KEY             an admin API key (default: the environment's OTAGW_API_KEY)
  --interval SECONDS    how often --watch looks (default 2)
  --var DIR             where the running gateway publishes its endpoint (default ${DEFAULT_VAR_DIR})
The command talks to the running gateway's API (POST/GET /v1/campaigns...); its errors are printed as the
API's code and message (exit 1); a mistake on the command line exits 2.
`;

/** Campaign states after which nothing changes (the issue's state list). */
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
  /** pause, cancel: why (audited with the change) */
  reason?: string;
  /** create: a CSV whose first column holds the numbers, sent as selector.msisdns */
  msisdns?: string;
  /** list: only campaigns in this state, at most this many */
  state?: string;
  limit?: string;
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

/** `{ a: 3, b: 1 }` (or `[{ key, count }]`) as "a 3, b 1", largest first. */
function tally(value: unknown): string {
  const entries: Array<[string, number]> = Array.isArray(value)
    ? value.map((item) => {
        const entry = record(item);
        const name = entry.key ?? entry.reason ?? entry.model ?? entry.group ?? entry.name ?? '?';
        return [String(name), Number(entry.count ?? entry.subscribers ?? 0)];
      })
    : Object.entries(record(value)).map(([name, n]) => [name, Number(n)]);
  entries.sort((a, b) => b[1] - a[1]);
  return entries.map(([name, n]) => `${name} ${count(n)}`).join(', ') || '-';
}

function previewLines(preview: Json): string[] {
  const unsupported = record(preview.unsupported);
  const sample = Array.isArray(preview.sample) ? preview.sample.join(', ') : '-';
  return [
    `  subscribers ${count(preview.subscribers)}  pushes ${count(preview.pushes)}  segments ${count(preview.segments)}`,
    `  unsupported ${count(unsupported.count)}` +
      (Number(unsupported.count) > 0 ? ` (${tally(unsupported.reasons)})` : ''),
    `  by model: ${tally(preview.byModel)}`,
    `  by group: ${tally(preview.byGroup)}`,
    `  sample: ${sample || '-'}`,
    `  estimated ${typeof preview.estimatedSeconds === 'number' ? formatDuration(preview.estimatedSeconds) : '-'} at the pacing and windows given` +
      (typeof preview.smsPerSecond === 'number' ? ` (${count(preview.smsPerSecond)} SMS/s)` : ''),
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

/** The rate measured now (the API's `rate`), pushes and SMS per second. */
function rateText(campaign: Json): string {
  const rate = record(campaign.rate);
  const pushes = Number(rate.pushesPerSecond);
  const sms = Number(rate.smsPerSecond);
  if (!Number.isFinite(pushes)) return '-';
  return `${pushes.toFixed(1)} pushes/s` + (Number.isFinite(sms) ? ` (${sms.toFixed(1)} SMS/s)` : '');
}

function completionText(campaign: Json, now: Date): string {
  const at = campaign.estimatedCompletion;
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
  // by reason, only when there is one to name
  if (Number(counts.failed) > 0) lines.push(`  failed: ${tally(counts.failedByReason)}`);
  if (Number(counts.skipped) > 0) lines.push(`  skipped: ${tally(counts.skippedByReason)}`);
  if (campaign.stateReason) lines.push(`  why: ${JSON.stringify(campaign.stateReason)}`);
  const paced =
    typeof campaign.ratePerSecond === 'number' ? `, paced at ${count(campaign.ratePerSecond)} SMS/s` : '';
  lines.push(`  rate ${rateText(campaign)}${paced}; estimated completion ${completionText(campaign, now)}`);
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

/** A campaign of the list (which carries no counts): its size is its targets, or its preview before start. */
function listLine(campaign: Json): string {
  const size = campaign.targetCount ?? record(campaign.preview).subscribers;
  const created = typeof campaign.createdAt === 'string' ? campaign.createdAt : '-';
  return (
    [
      String(campaign.id),
      String(campaign.state).padEnd(14),
      `${count(size)} subscribers`.padEnd(22),
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

/** A file's text (- is stdin); a file that cannot be read is named with the reason. */
async function readText(file: string, io: CliIo): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
    });
  }
}

async function readDocument(file: string, io: CliIo): Promise<unknown> {
  const text = await readText(file, io);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
}

async function create(session: Session, file: string): Promise<number> {
  const document = record(await readDocument(file, session.io));
  if (session.options.msisdns !== undefined) {
    const csv = await readText(session.options.msisdns, session.io);
    document.selector = { ...record(document.selector), msisdns: csv };
  }
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
  const { reason } = session.options;
  const body = reason === undefined ? undefined : { reason };
  const answer = record(await session.call('POST', campaignPath(id, `/${action}`), body));
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
  const query = new URLSearchParams();
  if (session.options.state) query.set('state', session.options.state);
  if (session.options.limit) query.set('limit', session.options.limit);
  const path = `/v1/campaigns${query.size > 0 ? `?${query.toString()}` : ''}`;
  const page = record(await session.call('GET', path));
  const campaigns = Array.isArray(page.campaigns) ? page.campaigns : [];
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

const OPTIONS = {
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  key: { type: 'string' },
  interval: { type: 'string' },
  reason: { type: 'string' },
  msisdns: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
  var: { type: 'string' },
} as const;

/** The options that belong to one action only; given with another, they are a usage error. */
const OPTION_ACTIONS: Record<string, readonly string[]> = {
  watch: ['status'],
  interval: ['status'],
  reason: ['pause', 'cancel'],
  msisdns: ['create'],
  state: ['list'],
  limit: ['list'],
};

type Values = Partial<Record<keyof typeof OPTIONS, string | boolean>>;

function readOptions(action: string, values: Values): Options {
  for (const [name, actions] of Object.entries(OPTION_ACTIONS)) {
    if (values[name as keyof Values] !== undefined && !actions.includes(action))
      throw new UsageError(`--${name} goes with ${actions.join(' or ')}`);
  }
  const text = (name: keyof Values): string | undefined => values[name] as string | undefined;
  return {
    json: values.json === true,
    watch: values.watch === true,
    intervalMs: intervalOption(text('interval')),
    reason: text('reason'),
    msisdns: text('msisdns'),
    state: text('state'),
    limit: text('limit'),
  };
}

/** The campaign id, or for create the file; list takes none. */
function readTarget(action: string, positionals: string[]): string {
  const [target, extra] = positionals;
  if (extra !== undefined || (action === 'list' && target !== undefined))
    throw new UsageError(`unexpected argument '${extra ?? target}'`);
  if (action === 'list') return '';
  if (!target)
    throw new UsageError(
      action === 'create' ? 'create needs a FILE.json (or - for stdin)' : `${action} needs a campaign id`,
    );
  return target;
}

export function createCampaignCommand(deps: CampaignCommandDeps): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const [action, ...rest] = argv;
    if (!action || action === '--help' || action === '-h' || action === 'help') {
      io.stdout(CAMPAIGN_USAGE);
      return action ? 0 : 2;
    }
    const known = ['create', 'preview', 'status', 'list', ...ACTIONS];
    if (!known.includes(action)) throw new UsageError(`unknown action '${action}' (${known.join(', ')})`);
    const { values, positionals } = parseCommandLine(rest, OPTIONS);
    const options = readOptions(action, values);
    const target = readTarget(action, positionals);
    const key = values.key ?? deps.env.OTAGW_API_KEY;
    if (!key) throw new UsageError('an admin API key is needed: --key KEY or OTAGW_API_KEY');
    const endpoint = await requireGateway(values.var ?? DEFAULT_VAR_DIR);
    const session = openSession(endpoint, key, io, options, deps);
    if (action === 'create') return create(session, target);
    if (action === 'preview') return preview(session, target);
    if (action === 'status') return status(session, target);
    if (action === 'list') return list(session);
    return act(session, action as (typeof ACTIONS)[number], target);
  };
}

export const campaignCommand: Command = createCampaignCommand({
  env: process.env,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => new Date(),
});
