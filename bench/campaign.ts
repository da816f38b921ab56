/**
 * Campaigns at scale (issue #12): a base of 1,000,000 subscribers with history in PostgreSQL, all on
 * version 1 of a profile that now has a version 2 (support/campaign-base.ts, generated with set-based SQL),
 * and the gateway started as `npm start` starts it (support/gateway-process.ts: role all, the shipped
 * configuration; the SMSC simulator in a process of its own, receipts after 1 s). Through the HTTP API with
 * an admin key, it then
 *   1. creates the campaign "everyone in group default affected by version 2" with pacing { tps } and
 *      times the answer (the draft and its preview): target under 60 s;
 *   2. starts it and times the answer (the targets materialised, the first jobs queued): under 60 s, and
 *      how long until the first provisioning of the campaign is in the store;
 *   3. measures, after a warm-up, over `--seconds` (60): the submit_sm the simulator read per second (the
 *      campaign's own: one SMS per push, so SMS/s and pushes/s agree), against the pacing (within 5%), and
 *      the queueing rate (provisionings of the campaign created per second, from the store);
 * and reads the gateway process's memory (/proc/<pid>/status: VmRSS sampled every 200 ms while it creates
 * and starts the campaign, VmHWM at the end): under 500 MB. Then it cancels the campaign and stops.
 *
 *   npm run bench:campaign                   1,000,000 subscribers, 60 s at 500 SMS/s
 *   npm run bench:campaign -- --quick        a smoke run: 100,000 subscribers, 20 s
 *   npm run bench:campaign -- --json         one JSON object on the last line
 * Options: --base N, --seconds S, --warmup S (default 5), --tps N (default 500), --receipt-delay-ms MS
 * (default 1000). Environment: REDIS_URL, BENCH_DATABASE_URL (as the other benchmarks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CAMPAIGN_PROFILE, defaultGroupCount, seedCampaignBase } from './support/campaign-base.ts';
import { undoOnInterrupt } from './support/cleanup.ts';
import { ROOT, seedingConfig, type GatewayFacts } from './support/gateway-process.ts';
import { withGatewayRun, type GatewayRun } from './support/gateway-run.ts';
import { SmscProcess } from './support/smsc-process.ts';
import { gitCommit, machineInfo, sleep, type MachineInfo } from './support/stats.ts';
import { prepareTemplate } from './support/store.ts';

export const TARGETS = { createSeconds: 60, startSeconds: 60, rssMb: 500, rateTolerance: 0.05 };

export interface CampaignBenchOptions {
  quick: boolean;
  json: boolean;
  base: number;
  seconds: number;
  warmup: number;
  tps: number;
  receiptDelayMs: number;
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number)))
    throw new Error(`--${name}: '${value}' is not a positive ${integer ? 'whole ' : ''}number`);
  return number;
}

export function parseCampaignBenchArgs(argv: string[]): CampaignBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      base: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      tps: { type: 'string' },
      'receipt-delay-ms': { type: 'string' },
    },
  });
  const quick = values.quick;
  return {
    quick,
    json: values.json,
    base: positive('base', values.base, quick ? 100_000 : 1_000_000),
    seconds: positive('seconds', values.seconds, quick ? 20 : 60, false),
    warmup: positive('warmup', values.warmup, quick ? 3 : 5, false),
    tps: positive('tps', values.tps, 500, false),
    receiptDelayMs: positive('receipt-delay-ms', values['receipt-delay-ms'], 1000),
  };
}

/** What the benchmark posts: every subscriber of group default still on version 1, sent version 2. */
export function campaignDocument(tps: number): Record<string, unknown> {
  return {
    name: `bench: ${CAMPAIGN_PROFILE} version 2 at ${tps}/s`,
    selector: { profile: CAMPAIGN_PROFILE, versions: { below: 2 }, groups: ['default'] },
    content: { kind: 'profile', profile: CAMPAIGN_PROFILE, version: 2 },
    pacing: { tps },
  };
}

// ---- measuring -------------------------------------------------------------------------------------------

/** VmRSS and VmHWM (the peak RSS) of a process, in MB (/proc/<pid>/status gives kB). */
export function processMemoryMb(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}

function sampleMemory(pid: number): { stop: () => number } {
  let maxRssMb = processMemoryMb(pid).rssMb;
  const timer = setInterval(() => (maxRssMb = Math.max(maxRssMb, processMemoryMb(pid).rssMb)), 200);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(maxRssMb, processMemoryMb(pid).rssMb);
    },
  };
}

async function callApi(run: GatewayRun, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, run.gateway.httpUrl), {
    method,
    headers: {
      Authorization: `Bearer ${run.prepared.apiKey}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer?.error)}`);
  return answer;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: Math.round((performance.now() - started) / 10) / 100 };
}

/** Provisionings of the campaign in the store so far (the queue's jobs are added with them). */
async function provisioningCount(client: pg.Client, campaignId: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM provisionings WHERE campaign_id = $1',
    [campaignId],
  );
  return Number(rows[0].n);
}

async function untilFirstProvisioning(
  run: GatewayRun,
  client: pg.Client,
  campaignId: string,
): Promise<number> {
  const started = performance.now();
  while ((await provisioningCount(client, campaignId)) === 0) {
    if (performance.now() - started > 120_000) {
      const status = await callApi(run, 'GET', `/v1/campaigns/${campaignId}`).catch(String);
      throw new Error(`no provisioning 120 s after the start; the campaign: ${JSON.stringify(status)}`);
    }
    await sleep(100);
  }
  return Math.round(performance.now() - started) / 1000;
}

export interface CampaignBenchRun {
  selected: number;
  preview: Record<string, unknown>;
  createSeconds: number;
  startSeconds: number;
  /** from the start's answer to the first provisioning of the campaign in the store */
  firstQueuedSeconds: number;
  provisioningsWhenStarted: number;
  queuedPerSecond: number;
  windowSeconds: number;
  pushesInWindow: number;
  smsInWindow: number;
  smsPerSecond: number;
  pushesPerSecond: number;
  rateDeviation: number;
  memory: { maxRssDuringCreateAndStartMb: number; rssAtEndMb: number; hwmMb: number };
  status: Record<string, unknown>;
}

/** The submit_sm the simulator read in the window, per push (first segment inside the window). */
async function submitsInWindow(sim: SmscProcess, from: number, to: number) {
  let pushes = 0;
  let sms = 0;
  for (const times of (await sim.collect()).values()) {
    if (times.first < from || times.first > to) continue;
    pushes++;
    sms += times.segments;
  }
  return { pushes, sms };
}

async function measureWindow(
  run: GatewayRun,
  sim: SmscProcess,
  client: pg.Client,
  id: string,
  options: CampaignBenchOptions,
) {
  await sleep(options.warmup * 1000);
  await sim.collect(); // what went out before the window
  const from = Date.now();
  const queuedBefore = await provisioningCount(client, id);
  await sleep(options.seconds * 1000);
  const to = Date.now();
  const queuedAfter = await provisioningCount(client, id);
  const { pushes, sms } = await submitsInWindow(sim, from, to);
  const windowSeconds = (to - from) / 1000;
  const status = (await callApi(run, 'GET', `/v1/campaigns/${id}`)) as Record<string, unknown>;
  return {
    windowSeconds,
    pushes,
    sms,
    queuedPerSecond: (queuedAfter - queuedBefore) / windowSeconds,
    status,
  };
}

async function measureCampaign(
  run: GatewayRun,
  sim: SmscProcess,
  options: CampaignBenchOptions,
): Promise<CampaignBenchRun> {
  const client = new pg.Client({ connectionString: run.store.url });
  await client.connect();
  try {
    const memory = sampleMemory(run.gateway.pid);
    const created = await timed(() => callApi(run, 'POST', '/v1/campaigns', campaignDocument(options.tps)));
    const { id, preview } = created.value as { id: string; preview: Record<string, unknown> };
    const started = await timed(() => callApi(run, 'POST', `/v1/campaigns/${id}/start`));
    const maxRssDuringCreateAndStartMb = memory.stop();
    const provisioningsWhenStarted = await provisioningCount(client, id);
    const firstQueuedSeconds = await untilFirstProvisioning(run, client, id);
    const window = await measureWindow(run, sim, client, id, options);
    const { rssMb, hwmMb } = processMemoryMb(run.gateway.pid);
    await callApi(run, 'POST', `/v1/campaigns/${id}/cancel`).catch(() => undefined);
    const smsPerSecond = window.sms / window.windowSeconds;
    const counts = (window.status.counts ?? {}) as { selected?: number };
    return {
      selected: counts.selected ?? Number(preview.subscribers),
      preview,
      createSeconds: created.seconds,
      startSeconds: started.seconds,
      firstQueuedSeconds,
      provisioningsWhenStarted,
      queuedPerSecond: Math.round(window.queuedPerSecond * 10) / 10,
      windowSeconds: Math.round(window.windowSeconds * 100) / 100,
      pushesInWindow: window.pushes,
      smsInWindow: window.sms,
      smsPerSecond: Math.round(smsPerSecond * 10) / 10,
      pushesPerSecond: Math.round((window.pushes / window.windowSeconds) * 10) / 10,
      rateDeviation: Math.round(((smsPerSecond - options.tps) / options.tps) * 1000) / 1000,
      memory: { maxRssDuringCreateAndStartMb, rssAtEndMb: rssMb, hwmMb },
      status: window.status,
    };
  } finally {
    await client.end();
  }
}

// ---- the report ------------------------------------------------------------------------------------------

export interface CampaignBenchReport {
  configuration: Record<string, unknown>;
  baseSeconds: number;
  run: CampaignBenchRun;
  met: { create: boolean; start: boolean; memory: boolean; rate: boolean };
}

function verdicts(run: CampaignBenchRun): CampaignBenchReport['met'] {
  return {
    create: run.createSeconds < TARGETS.createSeconds,
    // started: the targets materialised (the answer) and the first job queued after it
    start: run.startSeconds + run.firstQueuedSeconds < TARGETS.startSeconds,
    memory: run.memory.hwmMb < TARGETS.rssMb,
    rate: Math.abs(run.rateDeviation) <= TARGETS.rateTolerance,
  };
}

function describeReport(report: CampaignBenchReport, options: CampaignBenchOptions): string {
  const { run, met } = report;
  const ok = (yes: boolean): string => (yes ? 'met' : 'NOT met');
  const c = report.configuration;
  return [
    `bench:campaign${options.quick ? ' --quick (smoke run: not a measurement against the targets)' : ''}`,
    `  machine   ${String(c.machine)}`,
    `  store     ${String(c.store)}`,
    `  base      ${options.base.toLocaleString('en-US')} subscribers with history (generated in ${report.baseSeconds} s); selected ${run.selected.toLocaleString('en-US')} (expected ${defaultGroupCount(options.base).toLocaleString('en-US')})`,
    `  gateway   ${JSON.stringify(c.gateway)}`,
    `  create    ${run.createSeconds} s (draft and preview; target < ${TARGETS.createSeconds} s: ${ok(met.create)})`,
    `  start     ${run.startSeconds} s to the answer (targets materialised), the first job queued ${run.firstQueuedSeconds} s later ` +
      `(target < ${TARGETS.startSeconds} s in all: ${ok(met.start)}); ${run.provisioningsWhenStarted} provisionings at the answer`,
    `  memory    VmHWM ${run.memory.hwmMb} MB (target < ${TARGETS.rssMb} MB: ${ok(met.memory)}); VmRSS at most ${run.memory.maxRssDuringCreateAndStartMb} MB during create and start, ${run.memory.rssAtEndMb} MB at the end`,
    `  queueing  ${run.queuedPerSecond} provisionings/s over the window`,
    `  submit    ${run.smsPerSecond} SMS/s (${run.pushesPerSecond} pushes/s) at the simulator over ${run.windowSeconds} s, paced at ${options.tps}/s: ` +
      `${(run.rateDeviation * 100).toFixed(1)}% (target within ${TARGETS.rateTolerance * 100}%: ${ok(met.rate)})`,
  ].join('\n');
}

function machineLine(machine: MachineInfo): string {
  return `${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}, node ${machine.node}; load ${machine.loadAverage.join(' / ')}`;
}

async function main(): Promise<void> {
  const options = parseCampaignBenchArgs(process.argv.slice(2));
  const machine = machineInfo();
  const workDir = mkdtempSync(join(tmpdir(), 'otagw-bench-campaign-'));
  undoOnInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  const sim = await SmscProcess.start({ receiptDelayMs: options.receiptDelayMs });
  const facts: { gateway?: GatewayFacts; store?: string } = {};
  try {
    process.stderr.write(`generating ${options.base.toLocaleString('en-US')} subscribers with history...\n`);
    const template = await prepareTemplate(
      'pg',
      await seedingConfig(sim),
      options.base,
      workDir,
      seedCampaignBase,
    );
    const how = { label: 'campaign', prepare: { triggers: 0, role: 'admin' as const } };
    const run = await withGatewayRun(template, sim, how, facts, (gatewayRun) =>
      measureCampaign(gatewayRun, sim, options),
    ).finally(() => template.drop());
    const { commit, dirty } = gitCommit(ROOT);
    const report: CampaignBenchReport = {
      configuration: {
        machine: machineLine(machine),
        commit: `${commit}${dirty ? ' (dirty)' : ''}`,
        store: facts.store,
        gateway: facts.gateway,
        base: options.base,
        tps: options.tps,
        seconds: options.seconds,
        warmup: options.warmup,
        receiptDelayMs: options.receiptDelayMs,
        campaign: campaignDocument(options.tps),
      },
      baseSeconds: template.seconds,
      run,
      met: verdicts(run),
    };
    // --json: the JSON alone on stdout (run-all reads its last line), the description on stderr
    (options.json ? process.stderr : process.stdout).write(`${describeReport(report, options)}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:campaign: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
