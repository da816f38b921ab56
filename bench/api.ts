/**
 * HTTP API throughput: `POST /v1/triggers/first-use` as fast as N keep-alive connections can send them
 * (closed loop: each connection sends its next trigger when the previous one is answered), into the gateway
 * started as `npm start` starts it (support/gateway-process.ts: startGateway, role all: the rate limiter at
 * its shipped 5,000/s per key, the Redis event bus, and the worker, sending what is queued to the SMSC
 * simulator in its own process, receipts after 2 s), with a `network` API key. The load generator is this
 * process, the gateway another. The triggers mix handsets and subscribers as bench:e2e does
 * (support/mix.ts); the work behind them may queue (the worker cannot send 3,000 pushes/s).
 *
 *   npm run bench:api                 PostgreSQL then PGlite on disk; 5 s warm-up + 10 s each
 *   npm run bench:api -- --json       one JSON object: { configuration, target, runs: { pg: {...}, pglite: {...} } }
 *
 * Options: --duration S (default 10; --seconds is the same), --warmup S (sent, not counted; default 5),
 * --connections N (default 64), --store pg|pglite|both, --base N (existing subscribers, default 100,000),
 * --receipt-delay-ms MS (default 2000), --service stub (the provisioning service answers without
 * recording anything: the HTTP layer alone, auth, validation, audit, routing), --profile (CPU profile of
 * the gateway over the measured seconds: top self time), --profile-dir DIR (keep the .cpuprofile files).
 * Environment: REDIS_URL, BENCH_DATABASE_URL (as bench:e2e).
 * Target: at least 3,000 accepted requests/s with p99 under 50 ms on PostgreSQL (PGlite: aim for half).
 * Latency is the client's: from sending the request to the end of the response.
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
import { ROOT, seedingConfig, type GatewayFacts } from './support/gateway-process.ts';
import { MODELS, triggerFor } from './support/mix.ts';
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
  type CpuShares,
  type Percentiles,
} from './support/stats.ts';
import { prepareTemplate, type StoreKind, type StoreTemplate } from './support/store.ts';

const TARGET = { acceptedPerSecond: 3000, p99Ms: 50 };
/** known subscribers seeded for this many triggers per second of the run (the rest are new SIMs) */
const SEEDED_RATE = 4000;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  base: number;
  receiptDelayMs: number;
  service: 'real' | 'stub';
  profile: boolean;
  profileDir?: string;
}

export interface ApiRun {
  route: string;
  store: string;
  service: string;
  connections: number;
  seconds: number;
  accepted: number;
  acceptedPerSecond: number;
  latency: Percentiles;
  statuses: Record<string, number>;
  /** provisionings the worker finished (delivered or failed) per second while the load ran */
  workerFinalPerSecond: number;
  prepareSeconds: number;
  /** who used the cores during the measured seconds */
  cpu: CpuShares;
  profile?: ProfileSummary;
}

async function measure(
  template: StoreTemplate,
  sim: SmscProcess,
  options: Options,
  facts: { gateway?: GatewayFacts; store?: string },
): Promise<ApiRun> {
  const storeKind = template.kind;
  const how = {
    label: 'api',
    settings: { stubService: options.service === 'stub' },
    prepare: { triggers: SEEDED_RATE * (options.warmup + options.duration), kind: 'typical' as const },
  };
  return withGatewayRun(template, sim, how, facts, async ({ gateway, prepared, runDir }) => {
    const { connections } = options;
    const url = new URL(gateway.httpUrl);
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    let serial = 0;
    const statuses = new Map<number, number>();
    const latencies: number[] = [];
    let measuring = false;
    let stop = false;

    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const body = JSON.stringify({ ...triggerFor(serial++), source: 'hlr' });
        const started = performance.now();
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/v1/triggers/first-use',
            headers: {
              Authorization: `Bearer ${prepared.apiKey}`,
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (measuring) {
                statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
                if (res.statusCode === 202) latencies.push(performance.now() - started);
              }
              resolve();
            });
          },
        );
        req.on('error', () => {
          if (measuring) statuses.set(0, (statuses.get(0) ?? 0) + 1);
          resolve();
        });
        req.end(body);
      });

    const worker = async (): Promise<void> => {
      while (!stop) await one();
    };
    const workers = Array.from({ length: connections }, worker);
    await new Promise((resolve) => setTimeout(resolve, options.warmup * 1000));
    if (options.profile) await gateway.startProfile();
    const finalAtStart = (await gateway.progress()).final;
    const cpuAtStart = await cpuSnapshot(gateway, sim);
    measuring = true;
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.duration * 1000));
    measuring = false;
    const elapsed = (performance.now() - startedAt) / 1000;
    const finalAtEnd = (await gateway.progress()).final;
    const cpu = cpuShares(cpuAtStart, await cpuSnapshot(gateway, sim));
    const profileFile = join(runDir, 'gateway.cpuprofile');
    if (options.profile) await gateway.stopProfile(profileFile);
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    let profile: ProfileSummary | undefined;
    if (options.profile) {
      profile = summariseProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, ROOT);
      if (options.profileDir) {
        mkdirSync(options.profileDir, { recursive: true });
        copyFileSync(profileFile, join(options.profileDir, `api-${storeKind}-${options.service}.cpuprofile`));
      }
    }
    return {
      route: 'POST /v1/triggers/first-use',
      store: storeKind,
      service: options.service,
      connections,
      seconds: Math.round(elapsed * 100) / 100,
      accepted: latencies.length,
      acceptedPerSecond: Math.round(latencies.length / elapsed),
      latency: percentiles(latencies),
      statuses: Object.fromEntries(statuses),
      workerFinalPerSecond: Math.round((finalAtEnd - finalAtStart) / elapsed),
      prepareSeconds: prepared.seconds,
      cpu,
      ...(profile ? { profile } : {}),
    };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string', default: '5' },
      connections: { type: 'string', default: '64' },
      store: { type: 'string', default: 'both' },
      service: { type: 'string', default: 'real' },
      base: { type: 'string', default: '100000' },
      'receipt-delay-ms': { type: 'string', default: '2000' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
    },
  });
  if (values.service !== 'real' && values.service !== 'stub') throw new Error('--service real|stub');
  const options: Options = {
    duration: Number(values.duration ?? values.seconds ?? 10),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    base: Number(values.base),
    receiptDelayMs: Number(values['receipt-delay-ms']),
    service: values.service,
    profile: values.profile || values['profile-dir'] !== undefined,
    profileDir: values['profile-dir'],
  };
  const stores: StoreKind[] = values.store === 'both' ? ['pg', 'pglite'] : [values.store as StoreKind];
  const machine = machineInfo();
  const sim = await SmscProcess.start({ receiptDelayMs: options.receiptDelayMs });
  const facts: { gateway?: GatewayFacts; store?: string } = {};
  const runs: Record<string, ApiRun & { storeDescription?: string }> = {};
  const workDir = mkdtempSync(join(tmpdir(), 'otagw-bench-api-'));
  undoOnInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  try {
    for (const storeKind of stores) {
      const template = await prepareTemplate(storeKind, await seedingConfig(sim), options.base, workDir);
      const result = await measure(template, sim, options, facts).finally(() => template.drop());
      runs[storeKind] = { ...result, storeDescription: facts.store };
      if (!values.json) {
        const target = storeKind === 'pg' ? TARGET.acceptedPerSecond : TARGET.acceptedPerSecond / 2;
        process.stdout.write(
          `${result.route} (${facts.store}; ${result.service} service, ${result.connections} connections, ${result.seconds} s)\n` +
            `  accepted      ${result.accepted} (${result.acceptedPerSecond}/s; ${storeKind === 'pg' ? 'target' : 'aim'} ${target}/s)\n` +
            `  latency       ${formatPercentiles(result.latency)} (target p99 < ${TARGET.p99Ms} ms)\n` +
            `  statuses      ${JSON.stringify(result.statuses)}\n` +
            `  worker        ${result.workerFinalPerSecond} provisionings/s finished meanwhile\n` +
            `  CPU           ${formatCpuShares(result.cpu)}\n`,
        );
        if (result.profile) process.stdout.write(formatProfile(result.profile, '  gateway CPU profile'));
      }
    }
  } finally {
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const configuration = {
    gateway: 'startGateway (src/main.ts) role all, as npm start: HTTP + worker + SMPP binds in one process',
    workerConcurrency: facts.gateway?.workerConcurrency,
    binds: facts.gateway?.binds,
    window: facts.gateway?.window,
    storePoolSize: facts.gateway?.storePoolSize,
    rateLimit: facts.gateway?.rateLimit,
    eventBus: facts.gateway?.eventBus,
    sweeps: facts.gateway?.sweeps,
    logLevel: facts.gateway?.logLevel,
    smsc: `simulator in a child process, receipts ${options.receiptDelayMs} ms after submit_sm_resp`,
    load: `closed loop: ${options.connections} HTTP/1.1 keep-alive connections, each sending its next trigger when answered, from a separate process; network API key`,
    service: options.service,
    durationSeconds: options.duration,
    warmupSeconds: options.warmup,
    httpConnections: options.connections,
    baseSubscribers: options.base,
    models: `${MODELS.length} (support/mix.ts), subscribers 20% corporate, 30% known default, 50% new`,
    node: machine.node,
    cores: machine.cores,
    cpuModel: machine.cpuModel,
    memoryGiB: machine.memoryGiB,
    loadAverageAtStart: machine.loadAverage,
  };
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'api',
        configuration,
        target: {
          pg: TARGET,
          pglite: { acceptedPerSecond: TARGET.acceptedPerSecond / 2, p99Ms: TARGET.p99Ms },
        },
        runs,
      })}\n`,
    );
  } else {
    process.stdout.write(
      `\nconfiguration\n${Object.entries(configuration)
        .map(
          ([key, value]) =>
            `  ${key.padEnd(20)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
        )
        .join('\n')}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:api: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
