/**
 * `npm run bench`: every benchmark (codec, smpp, e2e, api, campaign, dm), each in a process of its own with --json, one
 * after the other; then docs/benchmarks.md with each figure beside its target, met or not, the machine,
 * the date, the commit and each benchmark's configuration. The table of figures is printed too (it is the
 * README's).
 *
 *   npm run bench                          everything, full length (20-30 minutes on 2 cores; longer when
 *                                          full-load runs leave a backlog to drain, up to a minute each)
 *   npm run bench -- --quick               a smoke run: short runs, a small subscriber base; writes
 *                                          var/benchmarks-quick.md unless --out says otherwise
 *   npm run bench -- --only e2e,api        some of them (codec, smpp, e2e, api, campaign)
 * Options: --out FILE (default docs/benchmarks.md), --store pg|pglite|both (e2e, api), --duration S,
 * --warmup S, --base N (passed to e2e and api), --profile (e2e and api print where the gateway's CPU time
 * goes; the summaries go into the document too).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { CampaignBenchReport } from './campaign.ts';
import type { DmBenchRun } from './dm.ts';
import type { ProfileSummary } from './support/cpu-profile.ts';
import { ROOT } from './support/gateway-process.ts';
import { keptVsKannelSection } from './support/kannel-report.ts';
import { gitCommit, machineInfo, type CpuShares, type Percentiles } from './support/stats.ts';

const BENCHMARKS = ['codec', 'smpp', 'e2e', 'api', 'campaign', 'dm'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const TARGETS = {
  e2e: { one: 1000, typical: 400, halfLoadP95Ms: 200 },
  api: { acceptedPerSecond: 3000, p99Ms: 50 },
  codec: { xmlToSegmentsPerSec: 10_000, compiledToSegmentsPerSec: 100_000 },
  smpp: { window50: 4000 },
  dm: { sessionsPerSecond: 500, exchangeP95Ms: 50 },
};

// ---- what the benchmarks print with --json (the parts used here) -------------------------------------

interface E2eRun {
  offeredPerSecond: number;
  measuredTriggers: number;
  warmupTriggers: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  segmentsPerPush: number;
  latency: Record<
    'triggerToFirstSubmitSm' | 'triggerToLastSubmitSmResp' | 'triggerToHttp202' | 'triggerToDelivered',
    Percentiles
  >;
  allDelivered: boolean;
  notDelivered: number;
  drainSeconds: number;
  cpu?: CpuShares;
  storeTransactionsPerProvisioning?: number;
  profile?: ProfileSummary;
}
interface E2eReport {
  configuration: Record<string, unknown>;
  runs: Record<string, { full?: E2eRun; half?: E2eRun; store?: string }>;
}
interface ApiRunReport {
  store: string;
  storeDescription?: string;
  connections: number;
  seconds: number;
  acceptedPerSecond: number;
  latency: Percentiles;
  statuses: Record<string, number>;
  workerFinalPerSecond: number;
  cpu?: CpuShares;
  profile?: ProfileSummary;
}
interface ApiReport {
  configuration: Record<string, unknown>;
  runs: Record<string, ApiRunReport>;
}
interface DmReport {
  configuration: Record<string, unknown>;
  runs: Record<string, DmBenchRun>;
}
interface CodecReport {
  xmlToSegmentsPerSec: number;
  compiledToSegmentsPerSec: number;
  configuration?: Record<string, unknown>;
}
interface SmppReport {
  window1: number;
  window10: number;
  window50: number;
  throttled500: { rate: number; throttlingErrorsAfterFirstSecond: number };
  learned500: { rate: number; throttlingErrorsAfterFirstSecond: number };
  configuration?: Record<string, unknown>;
}

interface Outcome<T> {
  report?: T;
  error?: string;
  seconds: number;
  command: string;
}

function runBenchmark<T>(
  name: Benchmark,
  args: string[],
  env: Record<string, string> = {},
): Promise<Outcome<T>> {
  const script = join(ROOT, 'bench', `${name}.ts`);
  const command = `tsx bench/${name}.ts ${args.join(' ')}`.trim();
  process.stderr.write(`\n== ${command}\n`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('exit', (code) => {
      const seconds = Math.round((performance.now() - started) / 1000);
      const lines = stdout.trim().split('\n');
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve({ report: JSON.parse(lines[lines.length - 1]) as T, seconds, command });
      } catch (error) {
        resolve({ error: (error as Error).message, seconds, command });
      }
    });
  });
}

// ---- the document ------------------------------------------------------------------------------------

const n = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : String(value);
const ms = (value: number): string => (Number.isFinite(value) ? `${value} ms` : 'n/a');
const met = (ok: boolean, aim = false): string =>
  aim ? (ok ? 'aim met' : 'aim not met') : ok ? 'yes' : '**no**';
const STORE_NAMES: Record<string, string> = { pg: 'PostgreSQL', pglite: 'PGlite (on disk)' };
const kindName = (kind: string, run: E2eRun): string =>
  kind === 'one'
    ? `one-segment (${run.segmentsPerPush} segments/push)`
    : `typical (typical-cp.xml settings and variants, ${run.segmentsPerPush} segments/push)`;

interface Row {
  benchmark: string;
  store: string;
  figure: string;
  target: string;
  met: string;
}

function e2eRows(report: E2eReport): Row[] {
  const rows: Row[] = [];
  for (const [key, { full, half }] of Object.entries(report.runs)) {
    const [store, kind] = key.split('.') as ['pg' | 'pglite', 'one' | 'typical'];
    const aim = store === 'pglite';
    const target = TARGETS.e2e[kind] / (aim ? 2 : 1);
    if (full) {
      rows.push({
        benchmark: `e2e ${kindName(kind, full)}, full load (${n(full.offeredPerSecond)}/s offered)`,
        store: STORE_NAMES[store],
        figure:
          `${n(full.deliveredPerSecond)} delivered/s, ` +
          (full.allDelivered
            ? `all ${n(full.measuredTriggers + full.warmupTriggers)} delivered (warm-up included)`
            : `${n(full.notDelivered)} of ${n(full.measuredTriggers + full.warmupTriggers)} not delivered`),
        target: `≥ ${n(target)}/s${aim ? ' (half the PostgreSQL target)' : ''}`,
        met: met(full.deliveredPerSecond >= target && full.allDelivered, aim),
      });
    }
    if (half) {
      const b = half.latency.triggerToLastSubmitSmResp;
      const a = half.latency.triggerToFirstSubmitSm;
      rows.push({
        benchmark: `e2e ${kindName(kind, half)}, half load (${n(half.offeredPerSecond)}/s): trigger -> last submit_sm_resp p95`,
        store: STORE_NAMES[store],
        figure: `${ms(b.p95Ms)} (first submit_sm p95 ${ms(a.p95Ms)}; p99 ${ms(b.p99Ms)})`,
        target: `< ${TARGETS.e2e.halfLoadP95Ms} ms`,
        met: met(b.p95Ms < TARGETS.e2e.halfLoadP95Ms && half.allDelivered, aim),
      });
    }
  }
  return rows;
}

function apiRows(report: ApiReport): Row[] {
  return Object.values(report.runs).map((run) => {
    const aim = run.store === 'pglite';
    const rate = TARGETS.api.acceptedPerSecond / (aim ? 2 : 1);
    return {
      benchmark: `api POST /v1/triggers/first-use, ${run.connections} connections`,
      store: STORE_NAMES[run.store],
      figure: `${n(run.acceptedPerSecond)}/s, p99 ${ms(run.latency.p99Ms)}`,
      target: `≥ ${n(rate)}/s, p99 < ${TARGETS.api.p99Ms} ms`,
      met: met(run.acceptedPerSecond >= rate && run.latency.p99Ms < TARGETS.api.p99Ms, aim),
    };
  });
}

/** bench:dm: complete sessions/s and p95 per HTTP exchange, for each encoding, on PostgreSQL. */
function dmRows(report: DmReport): Row[] {
  return Object.values(report.runs).map((run) => ({
    benchmark: `dm complete sessions (3 Gets + a Replace), ${run.encoding}, ${run.handsets} handsets`,
    store: STORE_NAMES.pg,
    figure: `${n(run.sessionsPerSecond)} sessions/s, p95 ${ms(run.exchange.p95Ms)} per exchange`,
    target: `≥ ${n(TARGETS.dm.sessionsPerSecond)}/s, p95 < ${TARGETS.dm.exchangeP95Ms} ms`,
    met: met(
      run.sessionsPerSecond >= TARGETS.dm.sessionsPerSecond && run.exchange.p95Ms < TARGETS.dm.exchangeP95Ms,
    ),
  }));
}

function codecRows(report: CodecReport): Row[] {
  return [
    {
      benchmark: 'codec XML text -> signed segments (reference-cp.xml, one core)',
      store: '-',
      figure: `${n(report.xmlToSegmentsPerSec)}/s`,
      target: `≥ ${n(TARGETS.codec.xmlToSegmentsPerSec)}/s`,
      met: met(report.xmlToSegmentsPerSec >= TARGETS.codec.xmlToSegmentsPerSec),
    },
    {
      benchmark: 'codec pre-compiled profile -> signed segments',
      store: '-',
      figure: `${n(report.compiledToSegmentsPerSec)}/s`,
      target: `≥ ${n(TARGETS.codec.compiledToSegmentsPerSec)}/s`,
      met: met(report.compiledToSegmentsPerSec >= TARGETS.codec.compiledToSegmentsPerSec),
    },
  ];
}

function smppRows(report: SmppReport): Row[] {
  return [
    {
      benchmark: 'smpp one bind, window 50',
      store: '-',
      figure: `${n(report.window50)} submit_sm/s`,
      target: `≥ ${n(TARGETS.smpp.window50)}/s`,
      met: met(report.window50 >= TARGETS.smpp.window50),
    },
  ];
}

/** bench:campaign's figures; its targets are its own (bench/campaign.ts TARGETS), verdicts included. */
function campaignRows(report: CampaignBenchReport): Row[] {
  const { run, met: verdict } = report;
  const base = `${n(Number(report.configuration.base))} subscribers, ${n(run.selected)} selected`;
  return [
    {
      benchmark: `campaign create + preview, then start (${base})`,
      store: STORE_NAMES.pg,
      figure:
        `create ${run.createSeconds} s, start ${run.startSeconds} s + ${run.firstQueuedSeconds} s to the first job; ` +
        `queueing ${n(run.queuedPerSecond)}/s`,
      target: '< 60 s each',
      met: met(verdict.create && verdict.start),
    },
    {
      benchmark: 'campaign gateway memory (VmHWM)',
      store: STORE_NAMES.pg,
      figure: `${run.memory.hwmMb} MB`,
      target: '< 500 MB',
      met: met(verdict.memory),
    },
    {
      benchmark: `campaign submit rate at the SMSC, paced at ${String(report.configuration.tps)}/s`,
      store: STORE_NAMES.pg,
      figure: `${run.smsPerSecond} SMS/s over ${run.windowSeconds} s`,
      target: 'within 5%',
      met: met(verdict.rate),
    },
  ];
}

function table(rows: Row[]): string {
  return [
    '| benchmark | store | figure | target | met |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.benchmark} | ${row.store} | ${row.figure} | ${row.target} | ${row.met} |`),
  ].join('\n');
}

function configurationList(configuration: Record<string, unknown> | undefined): string {
  if (!configuration) return '';
  return Object.entries(configuration)
    .map(([key, value]) => `- ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

/** machine busy % of all cores / gateway / load generator / simulator / the rest, each in % of one core */
function cpuCell(cpu: CpuShares | undefined): string {
  if (!cpu) return 'n/a';
  const of = (name: string): string => `${cpu.processPercentOfCore[name] ?? '?'}`;
  return `${cpu.machineBusyPercent}% / ${of('gateway')} / ${of('load generator')} / ${of('SMSC simulator')} / ${cpu.otherPercentOfCore}`;
}

function pct(p: Percentiles): string {
  return p.count === 0 ? 'n/a' : `${p.p50Ms} / ${p.p95Ms} / ${p.p99Ms}`;
}

function profileSection(title: string, profile: ProfileSummary | undefined): string {
  if (!profile) return '';
  const list = (entries: ProfileSummary['components']): string =>
    entries
      .slice(0, 10)
      .map((entry) => `${entry.name} ${entry.busyPercent}%`)
      .join(', ');
  return (
    `\n${title}: ${(profile.sampledMs / 1000).toFixed(1)} s sampled, idle ${profile.idlePercent}%, GC ${profile.gcPercent}%.\n` +
    `By component (built-ins and native code charged to their caller; % of busy time): ${list(profile.components)}.\n` +
    `Top functions: ${list(profile.functions)}.\n`
  );
}

function e2eDetails(report: E2eReport): string {
  const lines = [
    '| store, kind, load | offered/s | accepted/s | delivered/s | segments/push | (a) first submit_sm p50/p95/p99 ms | (b) last submit_sm_resp | (c) HTTP 202 | (d) delivered | all delivered | drain s | PG transactions / provisioning | CPU: machine / gateway / load / SMSC / rest |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  let profiles = '';
  for (const [key, runs] of Object.entries(report.runs)) {
    for (const load of ['full', 'half'] as const) {
      const run = runs[load];
      if (!run) continue;
      const l = run.latency;
      lines.push(
        `| ${key} ${load} | ${n(run.offeredPerSecond)} | ${n(run.acceptedPerSecond)} | ${n(run.deliveredPerSecond)} | ${run.segmentsPerPush} | ` +
          `${pct(l.triggerToFirstSubmitSm)} | ${pct(l.triggerToLastSubmitSmResp)} | ${pct(l.triggerToHttp202)} | ${pct(l.triggerToDelivered)} | ` +
          `${run.allDelivered ? 'yes' : `no (${run.notDelivered} not)`} | ${run.drainSeconds} | ${run.storeTransactionsPerProvisioning ?? '-'} | ${cpuCell(run.cpu)} |`,
      );
      profiles += profileSection(`Gateway CPU profile, ${key} ${load} load`, run.profile);
    }
  }
  const stores = Object.entries(report.runs)
    .map(([key, runs]) => `- ${key}: ${runs.store ?? ''}`)
    .join('\n');
  return (
    `${lines.join('\n')}\n\n` +
    'Latencies are measured from the moment the client sends the trigger: (a) to the SMSC simulator reading ' +
    "(and answering) the push's first submit_sm, (b) to it answering the last segment (both timestamped by the " +
    'simulator), (c) to the HTTP 202 reaching the client, (d) to the store recording the provisioning delivered ' +
    '(every receipt in; includes the receipt delay). accepted/s and delivered/s count what happened in the ' +
    'measured window, after the warm-up. CPU: how busy the machine was (% of all cores) and how much of one ' +
    'core the gateway, the load generator and the SMSC simulator used in the window; the rest is PostgreSQL, ' +
    'Redis and anything else running.\n' +
    profiles +
    `\nStores:\n${stores}\n\nConfiguration:\n${configurationList(report.configuration)}\n`
  );
}

function apiDetails(report: ApiReport): string {
  const lines = [
    '| store | accepted/s | p50 / p95 / p99 ms | statuses | worker finished/s meanwhile | CPU: machine / gateway / load / SMSC / rest |',
    '|---|---|---|---|---|---|',
    ...Object.values(report.runs).map(
      (run) =>
        `| ${run.storeDescription ?? run.store} | ${n(run.acceptedPerSecond)} | ${pct(run.latency)} | ${JSON.stringify(run.statuses)} | ${n(run.workerFinalPerSecond)} | ${cpuCell(run.cpu)} |`,
    ),
  ];
  const profiles = Object.values(report.runs)
    .map((run) => profileSection(`Gateway CPU profile, ${run.store}`, run.profile))
    .join('');
  return `${lines.join('\n')}\n${profiles}\nConfiguration:\n${configurationList(report.configuration)}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      store: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      base: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  const selected = (values.only?.split(',').map((name) => name.trim()) ?? [...BENCHMARKS]) as Benchmark[];
  for (const name of selected) {
    if (!BENCHMARKS.includes(name))
      throw new Error(`--only: unknown benchmark '${name}' (${BENCHMARKS.join(', ')})`);
  }
  const out = join(ROOT, values.out ?? (values.quick ? 'var/benchmarks-quick.md' : 'docs/benchmarks.md'));
  const machine = machineInfo();
  const { commit, dirty } = gitCommit(ROOT);
  const startedAt = new Date();
  const started = performance.now();
  const storeArgs = values.store ? ['--store', values.store] : [];
  const common = (quick: { duration: string; warmup: string; base: string }): string[] => [
    ...storeArgs,
    '--duration',
    values.duration ?? quick.duration,
    '--warmup',
    values.warmup ?? quick.warmup,
    '--base',
    values.base ?? quick.base,
    ...(values.profile ? ['--profile'] : []),
  ];
  const full = { duration: '60', warmup: '10', base: '100000' };
  const e2eArgs = common(values.quick ? { duration: '5', warmup: '3', base: '1000' } : full);
  const apiArgs = common(
    values.quick ? { duration: '3', warmup: '2', base: '1000' } : { ...full, duration: '10', warmup: '5' },
  );

  const outcomes: Partial<Record<Benchmark, Outcome<unknown>>> = {};
  for (const name of selected) {
    if (name === 'codec')
      outcomes.codec = await runBenchmark('codec', [
        '--json',
        ...(values.quick ? ['--duration-ms', '500'] : []),
      ]);
    if (name === 'smpp')
      outcomes.smpp = await runBenchmark('smpp', ['--json', ...(values.quick ? ['--quick'] : [])]);
    if (name === 'e2e') outcomes.e2e = await runBenchmark('e2e', ['--json', ...e2eArgs]);
    if (name === 'api') outcomes.api = await runBenchmark('api', ['--json', ...apiArgs]);
    if (name === 'campaign')
      outcomes.campaign = await runBenchmark('campaign', ['--json', ...(values.quick ? ['--quick'] : [])]);
    if (name === 'dm')
      outcomes.dm = await runBenchmark('dm', ['--json', ...(values.quick ? ['--quick'] : [])]);
  }
  const minutes = Math.round((performance.now() - started) / 6000) / 10;

  const rows: Row[] = [];
  const details: string[] = [];
  const failures: string[] = [];
  for (const name of selected) {
    const outcome = outcomes[name]!;
    const heading = `## ${name}\n\n\`${outcome.command}\` (${outcome.seconds} s)\n\n`;
    if (!outcome.report) {
      failures.push(`${name}: ${outcome.error}`);
      details.push(`${heading}Failed: ${outcome.error}\n`);
      continue;
    }
    if (name === 'e2e') {
      const report = outcome.report as E2eReport;
      rows.push(...e2eRows(report));
      details.push(heading + e2eDetails(report));
    } else if (name === 'api') {
      const report = outcome.report as ApiReport;
      rows.push(...apiRows(report));
      details.push(heading + apiDetails(report));
    } else if (name === 'campaign') {
      const report = outcome.report as CampaignBenchReport;
      rows.push(...campaignRows(report));
      details.push(`${heading}Configuration:\n${configurationList(report.configuration)}\n`);
    } else if (name === 'dm') {
      const report = outcome.report as DmReport;
      rows.push(...dmRows(report));
      details.push(`${heading}Configuration:\n${configurationList(report.configuration)}\n`);
    } else if (name === 'codec') {
      const report = outcome.report as CodecReport;
      rows.push(...codecRows(report));
      details.push(`${heading}Configuration:\n${configurationList(report.configuration)}\n`);
    } else {
      const report = outcome.report as SmppReport;
      rows.push(...smppRows(report));
      details.push(
        heading +
          `window 1: ${n(report.window1)}/s, window 10: ${n(report.window10)}/s, window 50: ${n(report.window50)}/s; ` +
          `SMSC limit 500/s with tps=500: ${n(report.throttled500.rate)}/s (${report.throttled500.throttlingErrorsAfterFirstSecond} throttling errors after the first second), ` +
          `without tps (learnt): ${n(report.learned500.rate)}/s (${report.learned500.throttlingErrorsAfterFirstSecond}).\n\n` +
          `Configuration:\n${configurationList(report.configuration)}\n`,
      );
    }
  }

  const figures = table(rows);
  const header = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (bench/run-all.ts); do not edit by hand.`,
    '',
    ...(values.quick
      ? [
          '**Smoke run (`--quick`): runs of a few seconds on a small subscriber base. These figures only show ' +
            'that the benchmarks work; they are not measurements to compare with the targets.**',
          '',
        ]
      : []),
    `- date: ${startedAt.toISOString()} (took ${minutes} min)`,
    `- commit: ${commit}${dirty ? ' (working tree had uncommitted changes)' : ''}`,
    `- machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}; load average at the start ${machine.loadAverage.join(' / ')}`,
    `- node: ${machine.node}`,
    '- everything on this one machine: load generator, gateway, SMSC simulator, Redis and PostgreSQL share its cores',
    '- PGlite rows are measured against half the PostgreSQL targets (the embedded store aims for that)',
    '',
    '## Figures and targets',
    '',
    figures,
    '',
  ];
  // bench:vs-kannel writes a section of its own (--write-docs): keep it
  const kept = existsSync(out) ? keptVsKannelSection(readFileSync(out, 'utf8')) : undefined;
  const document = `${[...header, ...details, ...(kept ? [kept] : [])].join('\n')}\n`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, document);
  process.stdout.write(
    `\n${figures}\n\n` +
      `commit ${commit}${dirty ? ' (dirty)' : ''}, ${startedAt.toISOString()}, ${machine.cores} cores ${machine.cpuModel}, node ${machine.node}; ` +
      `took ${minutes} min; written to ${relative(process.cwd(), out)}\n`,
  );
  if (failures.length > 0) {
    process.stderr.write(`failed: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
