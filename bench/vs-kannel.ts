/**
 * otagw beside Kannel (issue 14): the same one-segment OMA CP document, signed NETWPIN, into the same SMSC
 * (otagw's simulator in a process of its own, receipts on, one account each), through Kannel 1.4.5's
 * `sendota` (HTTP -> smsbox -> bearerbox -> SMPP, max-pending-submits 10) and through otagw's HTTP API as
 * shipped (role all, HTTP -> store -> queue -> worker -> SMPP, window 10 for its one bind, receipts on),
 * in closed loops of N keep-alive connections, Kannel and otagw alternately.
 *
 *   npm run bench:vs-kannel                          16 and 64 connections, 2 rounds, 30 s each, PostgreSQL
 *   npm run bench:vs-kannel -- --quick               a smoke run (one round, 16 connections, 3 s)
 *   npm run bench:vs-kannel -- --json                one JSON object on stdout
 *
 * Options: --duration S (default 30), --connections 16,64, --rounds N (default 2), --store pg|pglite,
 * --path first-use|care (default first-use), --kannel-method get|post (default get), --client raw|node (the
 * load generator's HTTP client: a lean keep-alive one, default, or node:http), --base N (existing
 * subscribers in otagw's store, default 100,000), --receipt-delay-ms MS (default 2000), --no-kannel (otagw
 * alone), --write-docs (the results as a section of docs/benchmarks.md, between its markers; npm run bench
 * keeps it), --docs-file FILE (write that section there instead), --json, --quick.
 * Kannel comes from Debian's `kannel` package (/usr/sbin/bearerbox, smsbox; KANNEL_BEARERBOX and
 * KANNEL_SMSBOX say otherwise); without it the benchmark says so and runs otagw alone.
 *
 * What a run measures:
 * - Kannel: accepted/s = HTTP 202 over the loop; submitted/s = pushes the SMSC read, over the interval from
 *   the first submit_sm to the last; CPU from loop start to the last push at the SMSC.
 * - otagw --path first-use: `POST /v1/triggers/first-use` (network key), one new SIM per request, an N95
 *   (one segment). The shipped trigger waits `debounceMs` (60 s) before pushing, so accepted/s is the
 *   loop's and submitted/s the SMSC's over the interval in which the pushes went out; CPU is taken from
 *   loop start until every provisioning is final (delivered), so it includes the wait.
 * - otagw --path care: `POST /v1/provisionings` (care key) for known subscribers, pushed at once; the care
 *   role's shipped rate limit (200/s) is raised to 5,000/s (network's), and the output says so.
 * - CPU per push: utime + stime from /proc/<pid>/stat of bearerbox, smsbox, the otagw gateway, the
 *   simulator, the load generator (this process), PostgreSQL (its server processes and the backends of
 *   the run's database; not other databases' backends) and the shared redis-server, and the machine's busy time from /proc/stat, divided by the pushes the SMSC read.
 *   PostgreSQL and Redis are shared with whatever else runs on the machine: their figures in Kannel's runs
 *   show that background.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Db } from '../src/store/db.ts';
import { undoOnInterrupt } from './support/cleanup.ts';
import { ROOT, seedingConfig, type GatewayFacts, type GatewayProcess } from './support/gateway-process.ts';
import { withGatewayRun } from './support/gateway-run.ts';
import { KannelProcesses, kannelVersion } from './support/kannel.ts';
import { RawConnection, requestBytes, type RawRequest } from './support/kannel-client.ts';
import {
  cpuBetween,
  perPush,
  postgresDatabase,
  readCpu,
  type CpuReading,
  type CpuSubject,
} from './support/kannel-cpu.ts';
import {
  BENCH_MODEL,
  BENCH_PROFILE,
  benchDocumentXml,
  benchSim,
  checkPush,
  type PushCheck,
} from './support/kannel-push.ts';
import {
  summarise,
  renderReport,
  writeDocsSection,
  type BenchReport,
  type CpuPhase,
  type RunResult,
} from './support/kannel-report.ts';
import { REDIS_URL } from './support/redis.ts';
import { SmscProcess, type SmscTimes } from './support/smsc-process.ts';
import { gitCommit, machineInfo, percentiles, sleep } from './support/stats.ts';
import { prepareTemplate, type StoreKind, type StoreTemplate } from './support/store.ts';
import { netwpinKey } from '../codecs/ota/security.ts';

const KANNEL_ACCOUNT = { systemId: 'kannel', password: 'kannelpw' };
const WINDOW = 10;
const CARE_RATE_LIMIT = { ratePerSecond: 5000, burst: 10000 };
/** care subscribers seeded per second of loop (more than either gateway answers here) */
const CARE_SEED_RATE = 5000;

export interface Options {
  duration: number;
  connections: number[];
  rounds: number;
  store: StoreKind;
  path: 'first-use' | 'care';
  kannelMethod: 'get' | 'post';
  /** the load generator's HTTP client: support/kannel-client.ts, or node:http with a keep-alive Agent */
  client: 'raw' | 'node';
  base: number;
  receiptDelayMs: number;
  kannel: boolean;
  json: boolean;
  quick: boolean;
  writeDocs: boolean;
  /** --write-docs writes here (default docs/benchmarks.md) */
  docsFile?: string;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      store: { type: 'string', default: 'pg' },
      path: { type: 'string', default: 'first-use' },
      'kannel-method': { type: 'string', default: 'get' },
      client: { type: 'string', default: 'raw' },
      base: { type: 'string' },
      'receipt-delay-ms': { type: 'string', default: '2000' },
      'no-kannel': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      'docs-file': { type: 'string' },
    },
  });
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: a positive number, not '${text}'`);
    return value;
  };
  const oneOf = <T extends string>(name: string, text: string, allowed: readonly T[]): T => {
    if (!allowed.includes(text as T))
      throw new Error(`--${name}: one of ${allowed.join(', ')}, not '${text}'`);
    return text as T;
  };
  const quick = values.quick!;
  return {
    duration: positive('duration', values.duration ?? (quick ? '3' : '30')),
    connections: (values.connections ?? (quick ? '16' : '16,64'))
      .split(',')
      .map((part) => Math.round(positive('connections', part.trim()))),
    rounds: Math.round(positive('rounds', values.rounds ?? (quick ? '1' : '2'))),
    store: oneOf('store', values.store!, ['pg', 'pglite'] as const),
    path: oneOf('path', values.path!, ['first-use', 'care'] as const),
    kannelMethod: oneOf('kannel-method', values['kannel-method']!, ['get', 'post'] as const),
    client: oneOf('client', values.client!, ['raw', 'node'] as const),
    base: Math.max(0, Math.round(Number(values.base ?? (quick ? '1000' : '100000')))),
    receiptDelayMs: Math.max(0, Number(values['receipt-delay-ms'])),
    kannel: !values['no-kannel'],
    json: values.json!,
    quick,
    writeDocs: values['write-docs']!,
    docsFile: values['docs-file'],
  };
}

// ---- HTTP closed loop --------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: string;
}

function sendNode(agent: Agent, url: URL, req: RawRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const headers = {
      ...req.headers,
      ...(req.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(req.body) }),
    };
    const sent = request(
      { agent, host: url.hostname, port: url.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    sent.on('error', () => resolve({ status: 0, body: '' }));
    sent.end(req.body);
  });
}

export interface LoopResult {
  startedAt: number;
  endedAt: number;
  seconds: number;
  requests: number;
  accepted: number;
  latencyMs: number[];
  statuses: Record<string, number>;
  /** the answers' bodies that were accepted (otagw: the provisioning ids), by request index */
  acceptedIndexes: number[];
}

/**
 * N connections, each sending its next request when the previous one is answered, until `seconds` have
 * passed. `accept` says whether an answer counts as accepted.
 */
async function closedLoop(
  connections: number,
  seconds: number,
  target: { url: URL; client: Options['client'] },
  build: (index: number) => RawRequest,
  accept: (answer: Answer) => boolean,
): Promise<LoopResult> {
  const { url, client } = target;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const port = Number(url.port);
  const latencyMs: number[] = [];
  const statuses: Record<string, number> = {};
  const acceptedIndexes: number[] = [];
  let next = 0;
  const startedAt = Date.now();
  const deadline = startedAt + seconds * 1000;
  const worker = async (): Promise<void> => {
    const raw = client === 'raw' ? new RawConnection(url.hostname, port) : undefined;
    while (Date.now() < deadline) {
      const index = next++;
      const req = build(index);
      const sent = performance.now();
      const answer = raw
        ? await raw.send(requestBytes(url.hostname, port, req))
        : await sendNode(agent, url, req);
      latencyMs.push(performance.now() - sent);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (accept(answer)) acceptedIndexes.push(index);
    }
    raw?.close();
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const endedAt = Date.now();
  agent.destroy();
  return {
    startedAt,
    endedAt,
    seconds: (endedAt - startedAt) / 1000,
    requests: next,
    accepted: acceptedIndexes.length,
    latencyMs,
    statuses,
    acceptedIndexes,
  };
}

// ---- what the SMSC saw ---------------------------------------------------------------------------------

/** Collects from the simulator until `expected` destinations were seen, or nothing new for `quietMs`. */
async function waitForSubmits(
  sim: SmscProcess,
  seen: Map<string, SmscTimes>,
  expected: number,
  quietMs: number,
  deadline: number,
): Promise<void> {
  let lastChange = Date.now();
  while (seen.size < expected && Date.now() < deadline && Date.now() - lastChange < quietMs) {
    const before = seen.size;
    mergeTimes(seen, await sim.collect());
    if (seen.size !== before) lastChange = Date.now();
  }
}

function mergeTimes(into: Map<string, SmscTimes>, from: Map<string, SmscTimes>): void {
  for (const [destination, times] of from) {
    const entry = into.get(destination);
    if (!entry) into.set(destination, { ...times });
    else {
      entry.first = Math.min(entry.first, times.first);
      entry.last = Math.max(entry.last, times.last);
      entry.segments += times.segments;
    }
  }
}

function submitFigures(seen: Map<string, SmscTimes>): {
  pushes: number;
  segments: number;
  firstAt?: number;
  lastAt?: number;
} {
  let segments = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  for (const times of seen.values()) {
    segments += times.segments;
    firstAt = firstAt === undefined ? times.first : Math.min(firstAt, times.first);
    lastAt = lastAt === undefined ? times.last : Math.max(lastAt, times.last);
  }
  return { pushes: seen.size, segments, firstAt, lastAt };
}

/** CPU between two readings, in ms (not per push: a phase's pushes are not its own). */
function phase(name: string, start: CpuReading, end: CpuReading): CpuPhase {
  const spent = cpuBetween(start, end);
  const round = (ms: number): number => Math.round(ms);
  return {
    name,
    seconds: Math.round(spent.seconds * 10) / 10,
    machineMs: round(spent.machineMs),
    listedMs: round(Object.values(spent.processMs).reduce((sum, ms) => sum + ms, 0)),
    processMs: Object.fromEntries(Object.entries(spent.processMs).map(([key, ms]) => [key, round(ms)])),
  };
}

// ---- one run of each ---------------------------------------------------------------------------------

interface Shared {
  sim: SmscProcess;
  options: Options;
  redisPid?: number;
  /** the push checked once per system */
  checks: Record<string, PushCheck | undefined>;
  /** SIM numbers already used by earlier runs (Kannel's destinations must not repeat) */
  nextSim: number;
}

/**
 * `database`: the run's own (otagw on PostgreSQL). PostgreSQL counts as its server processes (WAL writer,
 * checkpointer, background writer: they work for every database) and the backends of that database, not
 * the backends other work on a shared server runs.
 */
function commonSubjects(shared: Shared, database?: string): Record<string, CpuSubject> {
  return {
    'SMSC simulator': { pid: shared.sim.pid },
    'load generator': { pid: process.pid },
    postgres: {
      named: (comm) => comm.startsWith('postgres'),
      cmdline: (cmdline) => {
        const served = postgresDatabase(cmdline);
        return served === undefined || served === database;
      },
    },
    ...(shared.redisPid ? { 'redis-server': { pid: shared.redisPid } } : {}),
  };
}

function figures(
  system: RunResult['system'],
  connections: number,
  round: number,
  loop: LoopResult,
  seen: Map<string, SmscTimes>,
  cpu: ReturnType<typeof cpuBetween>,
  extra: Pick<RunResult, 'delivered' | 'deliveredNote' | 'notFinal' | 'finalStates' | 'phases'>,
): RunResult {
  const submit = submitFigures(seen);
  const submitSeconds =
    submit.firstAt !== undefined && submit.lastAt !== undefined ? (submit.lastAt - submit.firstAt) / 1000 : 0;
  const processMsPerPush: Record<string, number | undefined> = {};
  let listedMs = 0;
  for (const [name, ms] of Object.entries(cpu.processMs)) {
    processMsPerPush[name] = perPush(ms, submit.pushes);
    listedMs += ms;
  }
  return {
    system,
    connections,
    round,
    loopSeconds: loop.seconds,
    requests: loop.requests,
    accepted: loop.accepted,
    acceptedPerSecond: loop.accepted / loop.seconds,
    submittedPushes: submit.pushes,
    submitSeconds,
    submittedPerSecond: submitSeconds > 0 ? submit.pushes / submitSeconds : undefined,
    submitSmPerPush: submit.pushes > 0 ? submit.segments / submit.pushes : undefined,
    latency: percentiles(loop.latencyMs),
    statuses: loop.statuses,
    cpuSeconds: cpu.seconds,
    machineBusyPercent: cpu.machineBusyPercent,
    machineMsPerPush: perPush(cpu.machineMs, submit.pushes),
    processMsPerPush,
    listedMsPerPush: perPush(listedMs, submit.pushes),
    ...extra,
  };
}

async function kannelRun(shared: Shared, connections: number, round: number): Promise<RunResult> {
  const { sim, options } = shared;
  const kannel = await KannelProcesses.start({
    host: sim.host,
    port: sim.port,
    username: KANNEL_ACCOUNT.systemId,
    password: KANNEL_ACCOUNT.password,
    maxPendingSubmits: WINDOW,
  });
  try {
    const offset = shared.nextSim;
    shared.nextSim += 10_000_000;
    const url = kannel.sendotaUrl;
    const xml = benchDocumentXml();
    const encodedXml = encodeURIComponent(xml);
    const credentials = `username=${kannel.settings.sendsmsUser}&password=${kannel.settings.sendsmsPassword}`;
    const build = (index: number): RawRequest => {
      const sim = benchSim(index, offset);
      if (options.kannelMethod === 'post') {
        return {
          method: 'POST',
          path: url.pathname,
          headers: {
            'Content-Type': 'text/vnd.wap.connectivity-xml',
            'X-Kannel-Username': kannel.settings.sendsmsUser,
            'X-Kannel-Password': kannel.settings.sendsmsPassword,
            'X-Kannel-To': sim.msisdn,
            'X-Kannel-From': kannel.settings.sender,
            'X-Kannel-SEC': 'netwpin',
            'X-Kannel-PIN': sim.imsi,
          },
          body: xml,
        };
      }
      // Kannel keys NETWPIN with the pin's octets as given: the EF_IMSI octets make the MAC a handset checks
      const pin = [...netwpinKey(sim.imsi)]
        .map((octet) => `%${octet.toString(16).padStart(2, '0')}`)
        .join('');
      const query = `${credentials}&to=${sim.msisdn}&from=${kannel.settings.sender}&type=oma-settings&sec=netwpin&pin=${pin}&text=${encodedXml}`;
      return { method: 'GET', path: `${url.pathname}?${query}`, headers: {} };
    };
    await sim.collect(); // forget what an earlier run left
    const subjects = {
      bearerbox: { pid: kannel.bearerboxPid },
      smsbox: { pid: kannel.smsboxPid },
      ...commonSubjects(shared),
    };
    const cpu0 = readCpu(subjects);
    const target = { url, client: options.client };
    const loop = await closedLoop(
      connections,
      options.duration,
      target,
      build,
      (answer) => answer.status === 202,
    );
    const seen = new Map<string, SmscTimes>();
    await waitForSubmits(sim, seen, loop.accepted, 5_000, Date.now() + 120_000);
    const cpu1 = readCpu(subjects);
    if (!shared.checks.kannel && loop.acceptedIndexes.length > 0) {
      const first = benchSim(loop.acceptedIndexes[0], offset);
      const samples = await sim.samples(first.msisdn.replace(/\D/g, ''));
      shared.checks.kannel = samples[0] ? checkPush(samples[0].shortMessageHex, first.imsi) : undefined;
    }
    return figures('kannel', connections, round, loop, seen, cpuBetween(cpu0, cpu1), {
      delivered: submitFigures(seen).pushes,
      deliveredNote: 'no receipt asked for (sendota sets no dlr-mask): pushes the SMSC accepted',
    });
  } finally {
    await kannel.stop();
  }
}

/** Care's subscribers: the SIMs the loop names, each with an N95 (valid IMEI: Luhn digit), group default. */
async function seedCareSubscribers(db: Db, count: number): Promise<void> {
  const BATCH = 10_000;
  for (let start = 0; start < count; start += BATCH) {
    const sims = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => benchSim(start + i));
    await db.query(
      `WITH s AS (
         INSERT INTO subscribers (imsi, msisdn, group_name, current_imei, imei_changed_at, seen_at)
         SELECT imsi, msisdn, 'default', imei, now() - interval '30 days', now()
         FROM unnest($1::text[], $2::text[], $3::text[]) AS t(imsi, msisdn, imei)
         RETURNING id, current_imei
       )
       INSERT INTO subscriber_devices (subscriber_id, imei, first_seen_at, last_seen_at)
       SELECT id, current_imei, now() - interval '30 days', now() FROM s`,
      [sims.map((sim) => sim.imsi), sims.map((sim) => sim.msisdn), sims.map((sim) => sim.imei)],
    );
  }
}

interface OtagwContext {
  gateway: GatewayProcess;
  apiKey: string;
  offset: number;
}

function otagwRequest(options: Options, context: OtagwContext, careCount: number) {
  const auth = `Bearer ${context.apiKey}`;
  const path = options.path === 'care' ? '/v1/provisionings' : '/v1/triggers/first-use';
  return (index: number): RawRequest => {
    const body =
      options.path === 'care'
        ? JSON.stringify({ msisdn: benchSim(index % careCount).msisdn, reason: 'bench vs-kannel' })
        : JSON.stringify({ ...benchSim(index, context.offset), source: 'hlr' });
    return {
      method: 'POST',
      path,
      headers: { Authorization: auth, 'Content-Type': 'application/json' },
      body,
    };
  };
}

/** Waits until the gateway reports `expected` provisionings final (or the deadline). */
async function waitForFinal(gateway: GatewayProcess, expected: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const { final } = await gateway.progress();
    if (final >= expected) return;
    await sleep(200);
  }
}

async function otagwRun(
  shared: Shared,
  template: StoreTemplate,
  connections: number,
  round: number,
  facts: { gateway?: GatewayFacts; store?: string },
): Promise<RunResult> {
  const { sim, options } = shared;
  const careCount = Math.round(CARE_SEED_RATE * options.duration);
  const how = {
    label: 'vs-kannel',
    settings: { window: WINDOW, ...(options.path === 'care' ? { careRateLimit: CARE_RATE_LIMIT } : {}) },
    prepare: {
      triggers: 0,
      kind: 'one' as const,
      role: options.path === 'care' ? ('care' as const) : ('network' as const),
      ...(options.path === 'care' ? { seed: (db: Db) => seedCareSubscribers(db, careCount) } : {}),
    },
  };
  return withGatewayRun(template, sim, how, facts, async ({ gateway, prepared, store }) => {
    const offset = shared.nextSim;
    shared.nextSim += 10_000_000;
    await sim.collect();
    const database = store.kind === 'pg' ? new URL(store.url).pathname.slice(1) : undefined;
    const subjects = { 'otagw gateway': { pid: gateway.pid }, ...commonSubjects(shared, database) };
    const build = otagwRequest(options, { gateway, apiKey: prepared.apiKey, offset }, careCount);
    const target = { url: new URL(gateway.httpUrl), client: options.client };
    const cpu0 = readCpu(subjects);
    const loop = await closedLoop(
      connections,
      options.duration,
      target,
      build,
      (answer) => answer.status === 202,
    );
    const cpuLoopEnd = readCpu(subjects);
    // first-use: the pushes wait debounceMs (60 s as shipped) after their trigger
    const debounceMs = options.path === 'first-use' ? 60_000 : 0;
    // the first trigger's push is due debounceMs after it: until then the gateway only waits
    const firstDue = loop.startedAt + debounceMs;
    let cpuWaitEnd: CpuReading | undefined;
    if (firstDue > Date.now() + 1000) {
      await sleep(firstDue - Date.now());
      cpuWaitEnd = readCpu(subjects);
    }
    await waitForFinal(
      gateway,
      loop.accepted,
      Date.now() + debounceMs + Math.max(120_000, options.duration * 4_000),
    );
    const cpu1 = readCpu(subjects);
    const seen = new Map<string, SmscTimes>();
    await waitForSubmits(sim, seen, loop.accepted, 1_000, Date.now() + 10_000);
    const times = await gateway.collect();
    const finalStates: Record<string, number> = {};
    for (const entry of times.values()) {
      const key =
        entry.state === 'delivered' ? 'delivered' : `${entry.state ?? 'none'} (${entry.cause ?? ''})`;
      finalStates[key] = (finalStates[key] ?? 0) + 1;
    }
    if (!shared.checks.otagw && loop.acceptedIndexes.length > 0) {
      const index = loop.acceptedIndexes[0];
      const first = options.path === 'care' ? benchSim(index % careCount) : benchSim(index, offset);
      const samples = await sim.samples(first.msisdn);
      shared.checks.otagw = samples[0] ? checkPush(samples[0].shortMessageHex, first.imsi) : undefined;
    }
    const phases = [
      phase('accept (the loop)', cpu0, cpuLoopEnd),
      ...(cpuWaitEnd
        ? [phase('wait (debounce)', cpuLoopEnd, cpuWaitEnd), phase('push (to all final)', cpuWaitEnd, cpu1)]
        : [phase('push (to all final)', cpuLoopEnd, cpu1)]),
    ];
    return figures('otagw', connections, round, loop, seen, cpuBetween(cpu0, cpu1), {
      phases,
      delivered: finalStates.delivered ?? 0,
      deliveredNote: 'provisionings recorded delivered (every receipt in)',
      notFinal: Math.max(0, loop.accepted - times.size),
      finalStates,
    });
  });
}

// ---- main --------------------------------------------------------------------------------------------

async function redisServerPid(): Promise<number | undefined> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Progress goes to stderr: stdout is the report (one JSON line with --json). */
function progress(_options: Options, line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const machine = machineInfo();
  const { commit, dirty } = gitCommit(ROOT);
  const commitAtStart = `${commit}${dirty ? ' (working tree had uncommitted changes)' : ''}`;
  const kannel = kannelVersion();
  if (!kannel) progress(options, 'Kannel is not installed (apt-get install kannel): otagw alone');
  const useKannel = options.kannel && kannel !== undefined;
  const sim = await SmscProcess.start({ receiptDelayMs: options.receiptDelayMs, accounts: [KANNEL_ACCOUNT] });
  const forgetSim = undoOnInterrupt(() => sim.stop());
  const facts: { gateway?: GatewayFacts; store?: string } = {};
  const shared: Shared = { sim, options, redisPid: await redisServerPid(), checks: {}, nextSim: 0 };
  const runs: RunResult[] = [];
  let template: StoreTemplate | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'otagw-bench-vs-kannel-'));
  const forgetWorkDir = undoOnInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  try {
    progress(options, `preparing the ${options.store} store template (base ${options.base} subscribers)`);
    template = await prepareTemplate(options.store, await seedingConfig(sim), options.base, workDir);
    for (let round = 1; round <= options.rounds; round++) {
      for (const connections of options.connections) {
        if (useKannel) {
          progress(options, `round ${round}, ${connections} connections: Kannel`);
          runs.push(await kannelRun(shared, connections, round));
          progress(options, renderReport.runLine(runs[runs.length - 1]));
        }
        progress(options, `round ${round}, ${connections} connections: otagw (${options.path})`);
        runs.push(await otagwRun(shared, template, connections, round, facts));
        progress(options, renderReport.runLine(runs[runs.length - 1]));
      }
    }
  } finally {
    await template?.drop().catch(() => undefined);
    await sim.stop();
    forgetSim();
    rmSync(workDir, { recursive: true, force: true });
    forgetWorkDir();
  }
  const report: BenchReport = {
    date: new Date(started).toISOString(),
    minutes: Math.round((Date.now() - started) / 6000) / 10,
    commit: commitAtStart,
    machine,
    kannelVersion: kannel ?? null,
    kannelUsed: useKannel,
    settings: settingsOf(options, facts),
    checks: shared.checks,
    runs,
    summary: summarise(runs, options.connections),
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(renderReport.text(report));
  if (options.writeDocs) {
    const file = writeDocsSection(report, options.docsFile);
    progress(options, `written to ${file} (section bench:vs-kannel)`);
  }
}

function settingsOf(
  options: Options,
  facts: { gateway?: GatewayFacts; store?: string },
): Record<string, unknown> {
  return {
    duration: `${options.duration} s closed loop per run`,
    connections: options.connections.join(', '),
    rounds: options.rounds,
    order: 'Kannel then otagw, per connection count, per round',
    loadGenerator:
      options.client === 'raw'
        ? 'this process, one keep-alive socket per connection, requests written as one buffer (support/kannel-client.ts)'
        : 'this process, node:http with a keep-alive Agent',
    document: `bench-one profile (support/mix.ts) for a ${BENCH_MODEL}, signed NETWPIN, one segment expected`,
    profile: BENCH_PROFILE,
    smsc: `otagw SMSC simulator in its own process, receipts after ${options.receiptDelayMs} ms when asked for, accounts otagw and kannel`,
    kannel: `sendota ${options.kannelMethod.toUpperCase()} (${options.kannelMethod === 'get' ? 'pin = the EF_IMSI octets percent-encoded: the MAC a handset checks' : 'X-Kannel-PIN = the IMSI digits: Kannel 1.4.5 keys the MAC with them as text'}), max-pending-submits ${WINDOW}, transceiver bind, no dlr-mask, in-memory queue, log-level warning`,
    otagwPath:
      options.path === 'first-use'
        ? 'POST /v1/triggers/first-use (network key), one new SIM per request, pushed after the shipped debounceMs (60 s)'
        : `POST /v1/provisionings (care key), known subscribers, pushed at once; care rate limit raised to ${CARE_RATE_LIMIT.ratePerSecond}/s burst ${CARE_RATE_LIMIT.burst} (shipped 200/s)`,
    otagwStore: facts.store ?? options.store,
    otagwBase: `${options.base} existing subscribers`,
    otagwGateway: facts.gateway
      ? `role all, binds ${facts.gateway.binds}, window ${facts.gateway.window} (set), worker concurrency ${facts.gateway.workerConcurrency}, store pool ${facts.gateway.storePoolSize}, log ${facts.gateway.logLevel}, rate limit ${facts.gateway.rateLimit}, sweeps on`
      : 'not started',
    cpu: 'utime+stime from /proc/<pid>/stat, machine busy from /proc/stat (idle and iowait excluded), per push the SMSC read; postgres = server processes + backends of the run database',
    quick: options.quick,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:vs-kannel: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
