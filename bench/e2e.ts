/**
 * End-to-end provisioning, driven as a network element drives the gateway: `POST /v1/triggers/first-use`
 * over keep-alive HTTP with a `network` API key, into the gateway started as `npm start` starts it
 * (support/gateway-process.ts: startGateway, role all, shipped configuration: HTTP with the rate limiter,
 * Redis event bus, worker concurrency 50, one SMPP bind with window 50, sweeps on), in a process of its
 * own; the SMSC simulator in another (support/smsc-process.ts), delivering receipts after a delay.
 * Handsets, groups and profiles are mixed (support/mix.ts); the store is PostgreSQL or PGlite on disk,
 * with an existing subscriber base (support/subscriber-base.ts).
 *
 *   npm run bench:e2e                        both stores, both kinds; 10 s warm-up + 60 s per run
 *   npm run bench:e2e -- --json              one JSON object
 *   npm run bench:e2e -- --store pg --kind one --duration 5 --warmup 2 --base 1000     a smoke run
 *
 * Options: --duration S (measured seconds, default 60), --warmup S (offered at the same rate first, not
 * measured; default 10), --store pg|pglite|both, --kind one|typical|both, --base N (existing subscribers,
 * default 100,000), --headroom F (full load = target x F, default 1.1), --rate N (full-load rate instead),
 * --half-only, --full-only, --receipt-delay-ms MS (SMSC submit_sm_resp -> receipt, default 2000),
 * --connections N (HTTP keep-alive sockets, default 64), --binds N, --window N, --concurrency N (instead
 * of the shipped 1 / 50 / 50), --profile (CPU profile of the gateway over the measured part: top self time
 * by module, component and function), --profile-dir DIR (also keep the .cpuprofile files there).
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test; each run creates a database of its own next to it).
 *
 * Per store and kind two open-loop runs, each warm-up + duration seconds at a fixed offered rate:
 * - full load: the target (PGlite: half the target) times --headroom;
 * - half load: half of what the full-load run delivered (at most half its target), for latency without a
 *   backlog.
 * Figures, over the triggers sent after the warm-up (times: Date.now() of the machine, ms):
 * - accepted/s: HTTP 202 answers received per second in the measured window;
 * - delivered/s: provisionings recorded delivered (every segment's receipt in) per second in the window;
 * - (a) trigger -> first submit_sm: from the client sending the request to the SMSC simulator reading (and
 *   answering) the push's first submit_sm, as timestamped by the simulator;
 * - (b) trigger -> last submit_sm_resp: ... to the simulator answering the push's last segment;
 * - (c) trigger -> HTTP 202: the client's request/response time (with the wait for a free connection when
 *   all of them are busy: the client sends when the trigger is due, as a network element would);
 * - (d) trigger -> delivered: ... to the store recording the provisioning delivered (event time), which
 *   includes the receipt delay;
 * - every provisioning must end delivered (allDelivered); drain = load end -> last provisioning final;
 * - CPU: how busy the machine was in the window and how much of a core the gateway, the load generator and
 *   the simulator each used (process.cpuUsage), the rest being PostgreSQL, Redis and whatever else runs.
 * The half-load p95 target (< 200 ms) is checked against (b).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatProfile,
  summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from './support/cpu-profile.ts';
import { ROOT, seedingConfig, type GatewayFacts, type GatewaySettings } from './support/gateway-process.ts';
import { GROUPS, MODELS, profilesInPlay, triggerFor, typicalReference, type Kind } from './support/mix.ts';
import { SmscProcess } from './support/smsc-process.ts';
import { undoOnInterrupt } from './support/cleanup.ts';
import { withGatewayRun } from './support/gateway-run.ts';
import { cpuSnapshot } from './support/cpu-window.ts';
import {
  cpuShares,
  formatCpuShares,
  formatPercentiles,
  machineInfo,
  percentiles,
  sleep,
  type CpuShares,
  type CpuSnapshot,
  type Percentiles,
} from './support/stats.ts';
import { prepareTemplate, storeTransactions, type StoreKind, type StoreTemplate } from './support/store.ts';

/** PostgreSQL targets; PGlite (embedded) aims for half the rates. */
const TARGETS: Readonly<Record<Kind, number>> = { one: 1000, typical: 400 };
const P95_TARGET_MS = 200;
const TRIGGER_PATH = '/v1/triggers/first-use';

export function targetRate(store: StoreKind, kind: Kind): number {
  return store === 'pg' ? TARGETS[kind] : TARGETS[kind] / 2;
}

interface Options {
  duration: number;
  warmup: number;
  base: number;
  connections: number;
  receiptDelayMs: number;
  profile: boolean;
  /** keep the raw .cpuprofile files here (Chrome DevTools, speedscope) */
  profileDir?: string;
  gateway: Pick<GatewaySettings, 'binds' | 'window' | 'workerConcurrency'>;
}

interface Sample {
  sentAt: number;
  acceptedAt: number;
  status: number;
  provisioningId?: string;
  outcome?: string;
}

export interface RunFigures {
  offeredPerSecond: number;
  /** triggers sent after the warm-up (the measured ones) and before */
  measuredTriggers: number;
  warmupTriggers: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  segmentsPerPush: number;
  outcomes: Record<string, number>;
  /** final state (cause) of the measured provisionings; 'none' = not final when the run ended */
  finalStates: Record<string, number>;
  httpStatuses: Record<string, number>;
  latency: {
    triggerToFirstSubmitSm: Percentiles;
    triggerToLastSubmitSmResp: Percentiles;
    triggerToHttp202: Percentiles;
    triggerToDelivered: Percentiles;
  };
  allDelivered: boolean;
  notDelivered: number;
  drainSeconds: number;
  prepareSeconds: number;
  /** who used the cores during the measured window */
  cpu: CpuShares;
  /** PostgreSQL: transactions in the store's database per provisioning delivered, in the window */
  storeTransactionsPerProvisioning?: number;
  profile?: ProfileSummary;
}

function postTrigger(agent: Agent, url: URL, key: string, index: number, sample: Sample): Promise<void> {
  const body = JSON.stringify({ ...triggerFor(index), source: 'hlr' });
  return new Promise((resolve) => {
    sample.sentAt = Date.now();
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: TRIGGER_PATH,
        headers: {
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          sample.acceptedAt = Date.now();
          sample.status = res.statusCode ?? 0;
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              outcome?: string;
              provisioningId?: string;
            };
            sample.outcome = answer.outcome;
            sample.provisioningId = answer.provisioningId;
          } catch {
            // not JSON: counted by status
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      sample.acceptedAt = Date.now();
      sample.status = 0;
      resolve();
    });
    req.end(body);
  });
}

async function run(
  template: StoreTemplate,
  kind: Kind,
  offeredPerSecond: number,
  sim: SmscProcess,
  options: Options,
  facts: { gateway?: GatewayFacts; store?: string },
): Promise<RunFigures> {
  const storeKind = template.kind;
  const total = Math.round(offeredPerSecond * (options.warmup + options.duration));
  const warmupCount = Math.round(offeredPerSecond * options.warmup);
  const how = { label: 'e2e', settings: options.gateway, prepare: { triggers: total, kind } };
  return withGatewayRun(template, sim, how, facts, async ({ gateway, store, prepared, runDir }) => {
    await sim.collect(); // forget what an earlier run left
    const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
    const url = new URL(gateway.httpUrl);
    const samples: Sample[] = Array.from({ length: total }, () => ({
      sentAt: 0,
      acceptedAt: 0,
      status: -1,
    }));
    let outstanding = 0;
    let allAnswered: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    const startWall = Date.now();
    const startPerf = performance.now();
    const windowStart = startWall + options.warmup * 1000;
    const windowEnd = windowStart + options.duration * 1000;
    let issued = 0;
    let profiling: Promise<void> | undefined;
    let cpuAtStart: Promise<CpuSnapshot> | undefined;
    let transactionsAtStart: Promise<number | undefined> | undefined;
    while (issued < total) {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - startPerf) / 1000) * offeredPerSecond) + 1,
      );
      for (; issued < due; issued++) {
        outstanding++;
        void postTrigger(agent, url, prepared.apiKey, issued, samples[issued]).then(() => {
          if (--outstanding === 0 && issued >= total) allAnswered();
        });
      }
      if (!cpuAtStart && issued >= warmupCount) {
        cpuAtStart = cpuSnapshot(gateway, sim);
        transactionsAtStart = storeTransactions(store);
        if (options.profile) profiling = gateway.startProfile();
      }
      await sleep(2);
    }
    const loadEnd = Date.now();
    const cpu = cpuShares(await cpuAtStart!, await cpuSnapshot(gateway, sim));
    const transactionsAtEnd = await storeTransactions(store);
    const profileFile = join(runDir, 'gateway.cpuprofile');
    if (profiling) {
      await profiling;
      await gateway.stopProfile(profileFile);
    }
    if (outstanding > 0) await answered;
    agent.destroy();

    const queued = samples.filter((sample) => sample.outcome === 'queued').length;
    const deadline = Date.now() + Math.max(30, options.duration) * 1000 + options.receiptDelayMs;
    for (;;) {
      const progress = await gateway.progress();
      if (progress.final >= queued || Date.now() > deadline) break;
      await sleep(250);
    }
    const times = await gateway.collect();
    const smsc = await sim.collect();

    const accepted: number[] = [];
    const firstSubmit: number[] = [];
    const lastResp: number[] = [];
    const delivered: number[] = [];
    const segments: number[] = [];
    const outcomes: Record<string, number> = {};
    const finalStates: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    let acceptedInWindow = 0;
    let notDelivered = 0;
    for (let index = 0; index < total; index++) {
      const sample = samples[index];
      if (sample.status === 202 && sample.acceptedAt >= windowStart && sample.acceptedAt < windowEnd)
        acceptedInWindow++;
      const entry = sample.provisioningId ? times.get(sample.provisioningId) : undefined;
      if (sample.outcome === 'queued' && entry?.state !== 'delivered') notDelivered++;
      if (index < warmupCount) continue;
      statuses[String(sample.status)] = (statuses[String(sample.status)] ?? 0) + 1;
      if (sample.outcome) outcomes[sample.outcome] = (outcomes[sample.outcome] ?? 0) + 1;
      if (sample.status !== 202) continue;
      accepted.push(sample.acceptedAt - sample.sentAt);
      const atSmsc = smsc.get(triggerFor(index).msisdn);
      if (atSmsc) {
        firstSubmit.push(atSmsc.first - sample.sentAt);
        lastResp.push(atSmsc.last - sample.sentAt);
      }
      if (entry?.state === 'delivered' && entry.finalAt !== undefined)
        delivered.push(entry.finalAt - sample.sentAt);
      if (atSmsc) segments.push(atSmsc.segments);
      if (sample.outcome === 'queued') {
        const state = entry?.state
          ? `${entry.state}${entry.state === 'delivered' ? '' : ` (${entry.cause})`}`
          : 'none';
        finalStates[state] = (finalStates[state] ?? 0) + 1;
      }
    }
    let deliveredInWindow = 0;
    let lastFinal = loadEnd;
    for (const entry of times.values()) {
      if (entry.finalAt === undefined) continue;
      lastFinal = Math.max(lastFinal, entry.finalAt);
      if (entry.state === 'delivered' && entry.finalAt >= windowStart && entry.finalAt < windowEnd)
        deliveredInWindow++;
    }
    const transactionsBefore = await transactionsAtStart;
    const storeTransactionsPerProvisioning =
      transactionsAtEnd === undefined || transactionsBefore === undefined || deliveredInWindow === 0
        ? undefined
        : Math.round(((transactionsAtEnd - transactionsBefore) / deliveredInWindow) * 10) / 10;
    let profile: ProfileSummary | undefined;
    if (profiling) {
      profile = summariseProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, ROOT);
      if (options.profileDir) {
        mkdirSync(options.profileDir, { recursive: true });
        copyFileSync(
          profileFile,
          join(options.profileDir, `e2e-${storeKind}-${kind}-${offeredPerSecond}.cpuprofile`),
        );
      }
    }
    return {
      offeredPerSecond,
      measuredTriggers: total - warmupCount,
      warmupTriggers: warmupCount,
      acceptedPerSecond: Math.round(acceptedInWindow / options.duration),
      deliveredPerSecond: Math.round(deliveredInWindow / options.duration),
      segmentsPerPush:
        segments.length === 0
          ? NaN
          : Math.round((segments.reduce((a, b) => a + b, 0) / segments.length) * 100) / 100,
      outcomes,
      finalStates,
      httpStatuses: statuses,
      latency: {
        triggerToFirstSubmitSm: percentiles(firstSubmit),
        triggerToLastSubmitSmResp: percentiles(lastResp),
        triggerToHttp202: percentiles(accepted),
        triggerToDelivered: percentiles(delivered),
      },
      allDelivered: notDelivered === 0 && queued === total,
      notDelivered: notDelivered + (total - queued),
      drainSeconds: Math.round((lastFinal - loadEnd) / 100) / 10,
      prepareSeconds: prepared.seconds,
      cpu,
      ...(storeTransactionsPerProvisioning === undefined ? {} : { storeTransactionsPerProvisioning }),
      ...(profile ? { profile } : {}),
    };
  });
}

function describeRun(label: string, result: RunFigures): string {
  // how many of the measured triggers each figure covers: fewer means some never got that far
  const latencyLine = (p: Percentiles): string =>
    `${formatPercentiles(p)}  (${p.count} of ${result.measuredTriggers})`;
  const l = result.latency;
  const lines = [
    `  ${label}: offered ${result.offeredPerSecond}/s; ${result.measuredTriggers} triggers measured after ${result.warmupTriggers} in the warm-up`,
    `    accepted ${result.acceptedPerSecond}/s  delivered ${result.deliveredPerSecond}/s  ` +
      `${result.allDelivered ? 'all delivered' : `NOT ALL DELIVERED (${result.notDelivered} not)`}  ` +
      `segments/push ${result.segmentsPerPush}  drain ${result.drainSeconds} s`,
    `    (a) trigger sent -> first submit_sm at the SMSC        ${latencyLine(l.triggerToFirstSubmitSm)}`,
    `    (b) trigger sent -> last segment's submit_sm_resp      ${latencyLine(l.triggerToLastSubmitSmResp)}`,
    `    (c) trigger sent -> HTTP 202 received                  ${latencyLine(l.triggerToHttp202)}`,
    `    (d) trigger sent -> delivered (every receipt)          ${latencyLine(l.triggerToDelivered)}`,
  ];
  lines.push(`    CPU in the measured window: ${formatCpuShares(result.cpu)}`);
  if (result.storeTransactionsPerProvisioning !== undefined)
    lines.push(
      `    store: ${result.storeTransactionsPerProvisioning} PostgreSQL transactions per provisioning delivered (HTTP trigger, worker, receipts)`,
    );
  const other = Object.entries(result.httpStatuses).filter(([status]) => status !== '202');
  if (other.length > 0)
    lines.push(`    HTTP statuses other than 202: ${JSON.stringify(Object.fromEntries(other))}`);
  const outcomes = Object.entries(result.outcomes).filter(([outcome]) => outcome !== 'queued');
  if (outcomes.length > 0)
    lines.push(`    trigger outcomes other than queued: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  if (!result.allDelivered) lines.push(`    final states: ${JSON.stringify(result.finalStates)}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '10' },
      store: { type: 'string', default: 'both' },
      kind: { type: 'string', default: 'both' },
      'half-only': { type: 'boolean', default: false },
      'full-only': { type: 'boolean', default: false },
      base: { type: 'string', default: '100000' },
      headroom: { type: 'string', default: '1.1' },
      rate: { type: 'string' },
      'receipt-delay-ms': { type: 'string', default: '2000' },
      connections: { type: 'string', default: '64' },
      binds: { type: 'string' },
      window: { type: 'string' },
      concurrency: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
    },
  });
  const optional = (text: string | undefined): number | undefined =>
    text === undefined ? undefined : Number(text);
  const options: Options = {
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    base: Number(values.base),
    connections: Number(values.connections),
    receiptDelayMs: Number(values['receipt-delay-ms']),
    profile: values.profile || values['profile-dir'] !== undefined,
    profileDir: values['profile-dir'],
    gateway: {
      binds: optional(values.binds),
      window: optional(values.window),
      workerConcurrency: optional(values.concurrency),
    },
  };
  const headroom = Number(values.headroom);
  const stores: StoreKind[] = values.store === 'both' ? ['pg', 'pglite'] : [values.store as StoreKind];
  const kinds: Kind[] = values.kind === 'both' ? ['one', 'typical'] : [values.kind as Kind];
  for (const value of [options.duration, options.warmup, options.base, options.connections, headroom]) {
    if (!Number.isFinite(value) || value < 0) throw new Error('numeric options must be numbers >= 0');
  }
  const machine = machineInfo();
  const say = (text: string): void => {
    if (!values.json) process.stdout.write(text);
  };
  const sim = await SmscProcess.start({ receiptDelayMs: options.receiptDelayMs });
  const facts: { gateway?: GatewayFacts; store?: string } = {};
  const runs: Record<string, { full?: RunFigures; half?: RunFigures; store?: string }> = {};
  const formats = MODELS.reduce<Record<string, number>>(
    (counts, model) => ({ ...counts, [model.format]: (counts[model.format] ?? 0) + 1 }),
    {},
  );
  const configuration = (): Record<string, unknown> => ({
    gateway: `startGateway (src/main.ts) role all, as npm start: HTTP + worker + SMPP binds in one process`,
    workerConcurrency: facts.gateway?.workerConcurrency,
    binds: facts.gateway?.binds,
    window: facts.gateway?.window,
    storePoolSize: facts.gateway?.storePoolSize,
    rateLimit: facts.gateway?.rateLimit,
    eventBus: facts.gateway?.eventBus,
    sweeps: facts.gateway?.sweeps,
    logLevel: facts.gateway?.logLevel,
    smsc: `simulator in a child process, receipts ${options.receiptDelayMs} ms after submit_sm_resp`,
    load: `open loop, POST ${TRIGGER_PATH} with a network API key, HTTP/1.1 keep-alive, up to ${options.connections} connections, from a separate process`,
    durationSeconds: options.duration,
    warmupSeconds: options.warmup,
    receiptDelayMs: options.receiptDelayMs,
    httpConnections: options.connections,
    baseSubscribers: options.base,
    models: `${MODELS.length} (${Object.entries(formats)
      .map(([format, count]) => `${count} ${format}`)
      .join(
        ', ',
      )}): ${MODELS.map((model) => `${model.manufacturer} ${model.model} ${model.weight}%`).join(', ')}`,
    groups: `${GROUPS.join(', ')} (config/groups.yaml; 20% of triggers from corporate subscribers, 30% from known default ones, 50% from new SIMs)`,
    profiles: Object.fromEntries(kinds.map((kind) => [kind, profilesInPlay(kind)])),
    ...(kinds.includes('typical')
      ? {
          typicalReference: (({ fixture, bench }) =>
            `test/fixtures/typical-cp.xml ${fixture}; bench-typical on an OMA CP handset ${bench}`)(
            typicalReference(),
          ),
        }
      : {}),
    headroom,
    node: machine.node,
    cores: machine.cores,
    cpuModel: machine.cpuModel,
    memoryGiB: machine.memoryGiB,
    loadAverageAtStart: machine.loadAverage,
  });
  const workDir = mkdtempSync(join(tmpdir(), 'otagw-bench-e2e-'));
  undoOnInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  try {
    for (const storeKind of stores) {
      const template = await prepareTemplate(storeKind, await seedingConfig(sim), options.base, workDir);
      say(
        `${storeKind}: shipped seeds and ${options.base} existing subscribers prepared in ${template.seconds} s (copied for each run)\n`,
      );
      try {
        for (const kind of kinds) {
          const target = targetRate(storeKind, kind);
          say(`${storeKind} ${kind} (${storeKind === 'pg' ? 'target' : 'aim'} ${target}/s)\n`);
          const fullRate = values.rate ? Number(values.rate) : Math.round(target * headroom);
          const full = values['half-only']
            ? undefined
            : await run(template, kind, fullRate, sim, options, facts);
          if (full) say(describeRun('full', full));
          if (full?.profile) say(formatProfile(full.profile, '    gateway CPU profile (full load)'));
          const halfRate = full
            ? Math.max(1, Math.round(Math.min(full.deliveredPerSecond, target) / 2))
            : Math.round(target / 2);
          const half = values['full-only']
            ? undefined
            : await run(template, kind, halfRate, sim, options, facts);
          if (half) say(describeRun('half', half));
          if (half?.profile) say(formatProfile(half.profile, '    gateway CPU profile (half load)'));
          runs[`${storeKind}.${kind}`] = { full, half, store: facts.store };
        }
      } finally {
        await template.drop();
      }
    }
  } finally {
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const config = configuration();
  say(
    `\nconfiguration\n${Object.entries(config)
      .map(
        ([key, value]) => `  ${key.padEnd(20)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
      )
      .join('\n')}\n`,
  );
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'e2e',
        configuration: config,
        targets: {
          pg: { one: TARGETS.one, typical: TARGETS.typical, halfLoadP95Ms: P95_TARGET_MS },
          pglite: {
            one: targetRate('pglite', 'one'),
            typical: targetRate('pglite', 'typical'),
            halfLoadP95Ms: P95_TARGET_MS,
          },
          p95Of: 'triggerToLastSubmitSmResp',
        },
        runs,
      })}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:e2e: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
