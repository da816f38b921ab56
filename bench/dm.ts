/**
 * OMA DM server throughput: complete DM sessions against the gateway as `npm start` starts it
 * (support/gateway-process.ts: role all, so the DM endpoint at /dm on the gateway's own HTTP server,
 * sessions in Redis, PostgreSQL), driven by the simulator's virtual DM handset client
 * (src/smsc-sim/dm-client.ts) in this process — N handsets, each running its next session when the last
 * one ended (closed loop).
 *
 * A session is what a notification starts, the notification itself excluded: before each session the
 * handset's queued session (3 Gets and a Replace, as POST /v1/dm/sessions queues them) is written to the
 * store with the repository call POST /v1/dm/sessions makes (insertDmSession), without the WAP push;
 * then package 1 (Alert 1200 with the queued SessionID, the DevInfo Replace, md5 Cred) → package 2 (the
 * server's inventory Gets of every session — DevDetail leaves and the SCOMO list — plus the 3 Gets and
 * the Replace) → package 3 (Statuses and Results) → the server's closing package. Accounts are made
 * through POST /v1/dm/accounts (admin) before the measurement.
 *
 *   npm run bench:dm                   XML then WBXML on PostgreSQL; 3 s warm-up + 10 s each
 *   npm run bench:dm -- --quick        1 s warm-up + 3 s each, 16 handsets
 *   npm run bench:dm -- --json         one JSON object: { configuration, target, runs: { xml, wbxml } }
 *
 * Options: --duration S, --warmup S, --handsets N (default 32), --encoding xml|wbxml|both, --base N
 * (existing subscribers, default 1,000), --profile (a CPU profile of the gateway over the measured part).
 * Each run prints the gateway's CPU ms per session (a fairer figure than sessions/s on a shared machine). Environment: REDIS_URL, BENCH_DATABASE_URL (as bench:e2e).
 * Target: at least 500 complete sessions/s, p95 under 50 ms per HTTP exchange (the client's time from
 * sending a message to the end of the answer).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeNonce, newNonce, type SyncMlEncoding } from '../codecs/syncml/index.ts';
import { commandsOfActions, type DmAction } from '../src/dm/actions.ts';
import { insertDmSession } from '../src/dm/repository.ts';
import { runDmSession } from '../src/smsc-sim/dm-client.ts';
import {
  APN_URI,
  buildDeviceTree,
  installDmAccount,
  readDmAccounts,
  type DmTree,
} from '../src/smsc-sim/dm-tree.ts';
import { createDmTransport, type DmTransport } from '../src/smsc-sim/dm-transport.ts';
import type { Db } from '../src/store/db.ts';
import { openDb } from '../src/store/open-db.ts';
import { undoOnInterrupt } from './support/cleanup.ts';
import { cpuSnapshot } from './support/cpu-window.ts';
import {
  formatProfile,
  summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from './support/cpu-profile.ts';
import { seedingConfig, type GatewayFacts, type GatewayProcess } from './support/gateway-process.ts';
import { withGatewayRun } from './support/gateway-run.ts';
import { SmscProcess } from './support/smsc-process.ts';
import {
  cpuShares,
  formatCpuShares,
  formatPercentiles,
  machineInfo,
  percentiles,
  sleep,
  type CpuShares,
  type Percentiles,
} from './support/stats.ts';
import { prepareTemplate } from './support/store.ts';

const TARGET = { sessionsPerSecond: 500, exchangeP95Ms: 50 };
const ROOT = resolve(import.meta.dirname, '..');
const SERVER_ID = 'otagw-bench-dm';
/** What each session runs besides the server's own inventory Gets (the brief's 3 Gets and a Replace). */
const ACTIONS: DmAction[] = [
  { get: { target: './DevInfo/Man' } },
  { get: { target: './DevDetail/FwV' } },
  { get: { target: APN_URI } },
  { replace: { target: APN_URI, data: 'internet.bench.example' } },
];

interface Options {
  duration: number;
  warmup: number;
  handsets: number;
  encodings: SyncMlEncoding[];
  base: number;
}

export interface DmBenchRun {
  encoding: SyncMlEncoding;
  handsets: number;
  seconds: number;
  sessions: number;
  sessionsPerSecond: number;
  /** every HTTP exchange of the measured sessions */
  exchange: Percentiles;
  /** a whole session, package 1 to the end (the queueing insert not included) */
  session: Percentiles;
  exchangesPerSession: number;
  /** sessions that did not complete, by outcome */
  notCompleted: Record<string, number>;
  cpu: CpuShares;
  /** the gateway's CPU time (user + system) per completed session: fairer than sessions/s on a shared machine */
  gatewayCpuMsPerSession: number;
  /** the machine's 1-minute load average when the measurement started */
  loadAverage: number;
  profile?: ProfileSummary;
}

interface BenchHandset {
  accountId: string;
  deviceId: string;
  tree: DmTree;
}

let serial = 0;

/** A handset with its account made through POST /v1/dm/accounts, as an admin registers one. */
async function newHandset(gateway: GatewayProcess, apiKey: string): Promise<BenchHandset> {
  serial += 1;
  const imei = `35698001${String(serial).padStart(7, '0')}`;
  const deviceId = `IMEI:${imei}`;
  const secret = (side: string) => `${side}-${encodeNonce(newNonce(12))}`;
  const credentials = {
    client: { name: `bench-${serial}`, secret: secret('c'), nonce: encodeNonce(newNonce()) },
    server: { name: 'otagw', secret: secret('s'), nonce: encodeNonce(newNonce()) },
  };
  const response = await fetch(`${gateway.httpUrl}/v1/dm/accounts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      deviceId,
      serverId: SERVER_ID,
      clientAuth: { type: 'md5', ...credentials.client },
      serverAuth: { type: 'md5', ...credentials.server },
    }),
  });
  const answer = (await response.json()) as { account?: { id: string } };
  if (response.status !== 201 || !answer.account) {
    throw new Error(`POST /v1/dm/accounts answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  const tree = buildDeviceTree(
    {
      devId: deviceId,
      man: 'Nokia',
      mod: 'N95',
      dmV: '1.2',
      lang: 'en-GB',
      devTyp: 'phone',
      oem: 'Nokia',
      fwV: '20.0.015',
      swV: 'S60 3.1',
      hwV: '0095',
    },
    { apn: 'internet', proxy: '', proxyPort: '' },
  );
  installDmAccount(tree, {
    serverId: SERVER_ID,
    name: 'bench',
    addr: `${gateway.httpUrl}/dm`,
    auths: [
      { level: 'CLCRED', type: 'DIGEST', ...credentials.client, data: credentials.client.nonce },
      { level: 'SRVCRED', type: 'DIGEST', ...credentials.server, data: credentials.server.nonce },
    ],
  });
  return { accountId: answer.account.id, deviceId, tree };
}

interface Tally {
  measuring: boolean;
  stop: boolean;
  exchanges: number[];
  sessions: number[];
  exchangeCounts: number[];
  notCompleted: Map<string, number>;
}

/** One handset's closed loop: queue a session (no notification), run it, again. */
async function loop(
  handset: BenchHandset,
  db: Db,
  transport: DmTransport,
  encoding: SyncMlEncoding,
  tally: Tally,
) {
  while (!tally.stop) {
    const sessionId = (1 + Math.floor(Math.random() * 0xfffe)).toString(16).toUpperCase();
    await insertDmSession(
      db,
      {
        accountId: handset.accountId,
        deviceId: handset.deviceId,
        dmSessionId: sessionId,
        initiator: 'server',
        state: 'queued',
        actor: 'bench',
      },
      commandsOfActions(ACTIONS),
    );
    const measured = tally.measuring;
    const started = performance.now();
    const report = await runDmSession({
      tree: handset.tree,
      // read again: the server's NextNonce of the last session is in the tree now
      account: readDmAccounts(handset.tree)[0],
      transport,
      encoding,
      maxMsgSize: 65_536,
      sessionId,
      initiator: 'server',
    });
    if (!measured || !tally.measuring) continue;
    if (report.outcome !== 'completed') {
      tally.notCompleted.set(report.outcome, (tally.notCompleted.get(report.outcome) ?? 0) + 1);
      continue;
    }
    tally.sessions.push(performance.now() - started);
    tally.exchangeCounts.push(report.exchanges.length);
    for (const exchange of report.exchanges) tally.exchanges.push(exchange.ms);
  }
}

async function measureEncoding(
  encoding: SyncMlEncoding,
  context: { gateway: GatewayProcess; apiKey: string; db: Db; sim: SmscProcess },
  options: Options & { profileFile?: string },
): Promise<DmBenchRun> {
  const handsets = await Promise.all(
    Array.from({ length: options.handsets }, () => newHandset(context.gateway, context.apiKey)),
  );
  const transport = createDmTransport({ maxSockets: options.handsets });
  const tally: Tally = {
    measuring: false,
    stop: false,
    exchanges: [],
    sessions: [],
    exchangeCounts: [],
    notCompleted: new Map(),
  };
  const loops = handsets.map((handset) => loop(handset, context.db, transport, encoding, tally));
  await sleep(options.warmup * 1000);
  if (options.profileFile) await context.gateway.startProfile();
  const loadAverage = Math.round(loadavg()[0] * 100) / 100;
  const cpuAtStart = await cpuSnapshot(context.gateway, context.sim);
  tally.measuring = true;
  const startedAt = performance.now();
  await sleep(options.duration * 1000);
  tally.measuring = false;
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpuAtEnd = await cpuSnapshot(context.gateway, context.sim);
  const cpu = cpuShares(cpuAtStart, cpuAtEnd);
  let profile: ProfileSummary | undefined;
  if (options.profileFile) {
    await context.gateway.stopProfile(options.profileFile);
    profile = summariseProfile(JSON.parse(readFileSync(options.profileFile, 'utf8')) as CpuProfile, ROOT);
  }
  const gatewayMicros = (snapshot: typeof cpuAtStart) =>
    snapshot.processes.gateway.user + snapshot.processes.gateway.system;
  tally.stop = true;
  await Promise.all(loops);
  transport.close();
  const sessions = tally.sessions.length;
  return {
    encoding,
    handsets: options.handsets,
    seconds: Math.round(elapsed * 100) / 100,
    sessions,
    sessionsPerSecond: Math.round(sessions / elapsed),
    exchange: percentiles(tally.exchanges),
    session: percentiles(tally.sessions),
    exchangesPerSession: sessions === 0 ? 0 : Math.round((tally.exchanges.length / sessions) * 10) / 10,
    notCompleted: Object.fromEntries(tally.notCompleted),
    cpu,
    gatewayCpuMsPerSession:
      sessions === 0
        ? 0
        : Math.round(((gatewayMicros(cpuAtEnd) - gatewayMicros(cpuAtStart)) / 1000 / sessions) * 100) / 100,
    loadAverage,
    ...(profile ? { profile } : {}),
  };
}

function print(run: DmBenchRun): void {
  process.stdout.write(
    `DM sessions, ${run.encoding} (${run.handsets} handsets, ${run.seconds} s)\n` +
      `  completed     ${run.sessions} (${run.sessionsPerSecond}/s; target ${TARGET.sessionsPerSecond}/s)\n` +
      `  per exchange  ${formatPercentiles(run.exchange)} (target p95 < ${TARGET.exchangeP95Ms} ms; ${run.exchangesPerSession} exchanges/session)\n` +
      `  per session   ${formatPercentiles(run.session)}\n` +
      `  not completed ${JSON.stringify(run.notCompleted)}\n` +
      `  CPU           ${formatCpuShares(run.cpu)}\n` +
      `  gateway CPU   ${run.gatewayCpuMsPerSession} ms per session (load average ${run.loadAverage} at the start)\n` +
      (run.profile ? `${formatProfile(run.profile, `gateway CPU profile, ${run.encoding}`)}\n` : ''),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      handsets: { type: 'string' },
      encoding: { type: 'string', default: 'both' },
      base: { type: 'string', default: '1000' },
      // accepted for bench/run-all.ts, which passes the same options to every gateway benchmark
      store: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  if (values.store !== undefined && values.store !== 'pg' && values.store !== 'both') {
    throw new Error('bench:dm measures on PostgreSQL only (--store pg)');
  }
  if (!['xml', 'wbxml', 'both'].includes(values.encoding)) throw new Error('--encoding xml|wbxml|both');
  const options: Options = {
    duration: Number(values.duration ?? values.seconds ?? (values.quick ? 3 : 10)),
    warmup: Number(values.warmup ?? (values.quick ? 1 : 3)),
    handsets: Number(values.handsets ?? (values.quick ? 16 : 32)),
    encodings: values.encoding === 'both' ? ['xml', 'wbxml'] : [values.encoding as SyncMlEncoding],
    base: Number(values.base),
  };
  const machine = machineInfo();
  const sim = await SmscProcess.start({ receiptDelayMs: 2000 });
  const facts: { gateway?: GatewayFacts; store?: string } = {};
  const runs: Partial<Record<SyncMlEncoding, DmBenchRun>> = {};
  const workDir = mkdtempSync(join(tmpdir(), 'otagw-bench-dm-'));
  undoOnInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  try {
    const template = await prepareTemplate('pg', await seedingConfig(sim), options.base, workDir);
    const how = { label: 'dm', prepare: { triggers: 0, role: 'admin' as const } };
    await withGatewayRun(template, sim, how, facts, async ({ gateway, store, prepared }) => {
      const db = await openDb({ url: store.url, poolSize: 8 });
      try {
        for (const encoding of options.encodings) {
          const profileFile = values.profile ? join(workDir, `dm-${encoding}.cpuprofile`) : undefined;
          const run = await measureEncoding(
            encoding,
            { gateway, apiKey: prepared.apiKey, db, sim },
            { ...options, profileFile },
          );
          runs[encoding] = run;
          if (!values.json) print(run);
        }
      } finally {
        await db.close();
      }
    }).finally(() => template.drop());
  } finally {
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  const configuration = {
    gateway:
      'startGateway (src/main.ts) role all, as npm start: the DM endpoint at /dm on its HTTP server, sessions in Redis',
    store: facts.store,
    storePoolSize: facts.gateway?.storePoolSize,
    logLevel: facts.gateway?.logLevel,
    client: `the simulator's DM handset client (src/smsc-sim/dm-client.ts) in this process, ${options.handsets} handsets in a closed loop over keep-alive HTTP/1.1, md5 credentials`,
    session:
      'queued as POST /v1/dm/sessions queues it (3 Gets + a Replace; the notification push left out), then package 1 -> package 2 (+ the server inventory Gets) -> package 3 -> end',
    durationSeconds: options.duration,
    warmupSeconds: options.warmup,
    baseSubscribers: options.base,
    node: machine.node,
    cores: machine.cores,
    cpuModel: machine.cpuModel,
    memoryGiB: machine.memoryGiB,
    loadAverageAtStart: machine.loadAverage,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ benchmark: 'dm', configuration, target: TARGET, runs })}\n`);
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
  process.stderr.write(`bench:dm: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
