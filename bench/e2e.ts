/**
 * End-to-end provisioning throughput: first-use triggers -> provisioning service -> BullMQ (real Redis)
 * -> worker -> codecs -> SMPP bind -> SMSC simulator (in a child process, so it does not share the
 * gateway's core) -> receipts -> delivered, on PostgreSQL and on PGlite.
 *
 *   npm run bench:e2e                       a table; 60 s per run
 *   npm run bench:e2e -- --json             one JSON object
 *   npm run bench:e2e -- --duration 10 --store pglite --kind one
 *   --base N   existing subscribers (with history) in the store before each run (default 100,000;
 *              support/subscriber-base.ts)
 *
 * For each store and push kind (one-segment, typical-cp.xml) two open-loop runs:
 * - full load: triggers offered at the target rate (1,000/s one-segment, 400/s typical) times --headroom
 *   (default 1.1: offered exactly at the target, the rate could only come out a little below it, as the
 *   last triggers' latency counts) for the duration;
 *   `rate` = provisionings delivered per second from the first trigger until the last one is final;
 * - half load: offered at half the rate the full-load run sustained (at most half the target), so no
 *   backlog builds up; `p95Ms` = 95th percentile from the trigger call to the first submit_sm answered by
 *   the SMSC (submit_sm_resp), per provisioning.
 * Every provisioning must end delivered (`allDelivered`).
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test; a schema of its own per run, dropped after).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../src/config.ts';
import { createSmscConnectors } from '../src/connectors/index.ts';
import { smscRoutingSchema } from '../src/connectors/config.ts';
import type { OutboundPush, SegmentResult, SmscConnector } from '../src/connectors/types.ts';
import { luhnCheckDigit } from '../src/devices/imei.ts';
import { importDeviceCatalogue } from '../src/devices/import-catalogue.ts';
import { createRedisEventBus } from '../src/events/bus.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { createProfile, createRule } from '../src/profiles/repository.ts';
import type { PipelineDeps } from '../src/provisioning/pipeline.ts';
import { startProvisioningWorker } from '../src/provisioning/runtime.ts';
import { DefaultProvisioningService } from '../src/provisioning/service.ts';
import { producerConnection, waitReady, workerConnection } from '../src/queues/connection.ts';
import { eventsChannel } from '../src/queues/names.ts';
import { ProvisionQueue } from '../src/queues/producers.ts';
import { startSmscSimulator } from '../src/smsc-sim/index.ts';
import type { Db, DbKind } from '../src/store/db.ts';
import { openDb } from '../src/store/open-db.ts';
import { seedSubscriberBase } from './support/subscriber-base.ts';

const CHILD_ENV = 'OTAGW_BENCH_E2E_CHILD';
const ACCOUNT = { systemId: 'bench', password: 'bench-pw' };
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const TYPICAL_XML = readFileSync(resolve(ROOT, 'test/fixtures/typical-cp.xml'), 'utf8');
const N95_TAC = '35698001'; // config/devices.csv: Nokia N95, oma-cp, NETWPIN
const TARGETS = { one: 1000, typical: 400 } as const;
type Kind = keyof typeof TARGETS;

// ---- child: the SMSC simulator -----------------------------------------------------------------------

async function runSimulatorChild(): Promise<void> {
  const sim = await startSmscSimulator({
    accounts: [ACCOUNT],
    behaviour: { handsetEnabled: false, receiptDelayMs: 0 },
    maxSubmittedRecords: 1000,
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ ready: sim.port });
}

function startSimulatorProcess(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePort, reject) => {
    child.once('error', reject);
    child.once('message', (message: { ready: number }) => resolvePort({ child, port: message.ready }));
  });
}

// ---- parent ------------------------------------------------------------------------------------------

interface RunResult {
  offeredPerSecond: number;
  triggered: number;
  delivered: number;
  failed: number;
  segmentsPerPush: number;
  elapsedSeconds: number;
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  allDelivered: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function openStore(kind: DbKind): Promise<{ db: Db; dispose: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openDb({ url: 'memory://' });
    return { db, dispose: () => db.close() };
  }
  const schema = `otagw_bench_${randomBytes(4).toString('hex')}`;
  const db = await openDb({ url: PG_URL, schema, poolSize: 20 });
  return {
    db,
    dispose: async () => {
      await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    },
  };
}

async function prepareStore(db: Db, kind: Kind, base: number): Promise<void> {
  await seedSubscriberBase(db, base);
  await importDeviceCatalogue(db, readFileSync(resolve(ROOT, 'config/devices.csv'), 'utf8'), {
    actor: 'bench',
    source: 'config/devices.csv',
    skipInvalid: true,
  });
  const parameters =
    kind === 'one'
      ? { name: 'Bench', connections: [{ id: 'N', bearer: 'GPRS', apn: 'internet' }] }
      : { name: 'Bench typical', rawOmaCp: TYPICAL_XML };
  const { profile } = await createProfile(db, { name: `bench-${kind}`, parameters, createdBy: 'bench' });
  await createRule(db, { priority: 0, profileId: profile.id, createdBy: 'bench' });
}

async function run(
  storeKind: DbKind,
  kind: Kind,
  offeredPerSecond: number,
  durationSeconds: number,
  simPort: number,
  baseSubscribers: number,
): Promise<RunResult> {
  const store = await openStore(storeKind);
  await prepareStore(store.db, kind, baseSubscribers);
  const prefix = `otagw-bench-${randomBytes(4).toString('hex')}`;
  const base = loadConfig({
    env: {},
    configDir: resolve(ROOT, 'config'),
    overrides: {
      redis: { url: REDIS_URL, prefix },
      provisioning: { workerConcurrency: 200, attempts: 8, backoffMs: 200, receiptTimeoutMs: 600_000 },
    },
  });
  const config: Config = Object.freeze({ ...base, groups: {} });
  const logger = createLogger({ level: 'warn' });
  const connections: Redis[] = [];
  const producer = producerConnection({ url: REDIS_URL });
  const publisher = workerConnection({ url: REDIS_URL }, { enableAutoPipelining: true });
  const subscriber = workerConnection({ url: REDIS_URL });
  const workerRedis = workerConnection({ url: REDIS_URL });
  connections.push(producer, publisher, subscriber, workerRedis);
  await waitReady(producer, 5_000);
  const events = await createRedisEventBus({ publisher, subscriber, channel: eventsChannel(prefix), logger });
  const queue = new ProvisionQueue({ connection: producer, prefix, attempts: 8, backoffMs: 200 });
  const deps: PipelineDeps = {
    db: store.db,
    config,
    queue,
    events,
    metrics: createMetrics(),
    logger,
    now: () => new Date(),
  };
  const service = new DefaultProvisioningService(deps);
  const router = createSmscConnectors(
    smscRoutingSchema.parse({
      smscs: [{ id: 'sim', host: '127.0.0.1', port: simPort, ...ACCOUNT, binds: 4, window: 100 }],
    }),
    { logger },
  );
  await router.start();

  // Trigger time per destination, and the first answered submit per destination.
  const triggeredAt = new Map<string, number>();
  const latencies: number[] = [];
  let segmentsPerPush = 0;
  const measured: SmscConnector = Object.create(router) as SmscConnector;
  measured.submit = async (push: OutboundPush): Promise<SegmentResult[]> => {
    const results = await router.submit(push);
    const started = triggeredAt.get(push.destination);
    if (started !== undefined && push.id.length === 36) {
      latencies.push(performance.now() - started);
      triggeredAt.delete(push.destination);
      segmentsPerPush = push.segments.length;
    }
    return results;
  };
  const worker = startProvisioningWorker(deps, measured, service, {
    connection: workerRedis,
    prefix,
    sweeps: false,
  });

  const total = Math.round(offeredPerSecond * durationSeconds);
  const runStartedAt = new Date(Date.now() - 1000); // the base's provisionings are 30 days old
  const tickMs = 10;
  const started = performance.now();
  let issued = 0;
  const pending: Array<Promise<unknown>> = [];
  const runId = (randomBytes(2).readUInt16BE(0) % 90) + 10;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * offeredPerSecond) + 1);
    for (; issued < due; issued += 1) {
      const n = String(issued).padStart(7, '0');
      const msisdn = `49${runId}${n}`;
      const imsi = `26202${runId}${n}`;
      const body = `${N95_TAC}${n.slice(-6)}`;
      triggeredAt.set(msisdn, performance.now());
      pending.push(
        service
          .requestFirstUse({ imsi, msisdn, imei: body + String(luhnCheckDigit(body)) }, { name: 'bench' })
          .catch((error: unknown) => {
            logger.error({ err: (error as Error).message }, 'trigger failed');
          }),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(pending);

  let delivered: number;
  let failed: number;
  const deadline = performance.now() + 120_000 + durationSeconds * 1000;
  for (;;) {
    const rows = await store.db.query<{ state: string; count: number }>(
      `SELECT state, count(*)::int AS count FROM provisionings WHERE created_at >= $1 GROUP BY state`,
      [runStartedAt],
    );
    delivered = rows.find((row) => row.state === 'delivered')?.count ?? 0;
    failed = rows
      .filter((row) => ['failed', 'expired', 'cancelled'].includes(row.state))
      .reduce((a, r) => a + r.count, 0);
    if (delivered + failed >= total || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  await worker.close();
  await router.stop();
  await events.close();
  const keys = await producer.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await producer.del(...keys.slice(i, i + 500));
  await queue.close();
  for (const connection of connections) connection.disconnect();
  await store.dispose();
  latencies.sort((a, b) => a - b);
  return {
    offeredPerSecond,
    triggered: total,
    delivered,
    failed,
    segmentsPerPush,
    elapsedSeconds: Math.round(elapsedSeconds * 10) / 10,
    rate: Math.round(delivered / elapsedSeconds),
    p50Ms: Math.round(percentile(latencies, 50)),
    p95Ms: Math.round(percentile(latencies, 95)),
    p99Ms: Math.round(percentile(latencies, 99)),
    allDelivered: delivered === total,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string', default: '60' },
      store: { type: 'string', default: 'both' },
      kind: { type: 'string', default: 'both' },
      'half-only': { type: 'boolean', default: false },
      base: { type: 'string', default: '100000' },
      headroom: { type: 'string', default: '1.1' },
    },
  });
  const duration = Number(values.duration);
  const base = Number(values.base);
  const headroom = Number(values.headroom);
  const stores: DbKind[] = values.store === 'both' ? ['pg', 'pglite'] : [values.store as DbKind];
  const kinds: Kind[] = values.kind === 'both' ? ['one', 'typical'] : [values.kind as Kind];
  const sim = await startSimulatorProcess();
  const report: Record<string, unknown> = { durationSeconds: duration, targets: TARGETS, p95TargetMs: 200 };
  try {
    for (const storeKind of stores) {
      for (const kind of kinds) {
        const full = values['half-only']
          ? undefined
          : await run(storeKind, kind, Math.round(TARGETS[kind] * headroom), duration, sim.port, base);
        // Half load: half of what the full-load run sustained (half the target when it was skipped), so the
        // latency is measured without a growing backlog.
        const halfRate = full
          ? Math.max(1, Math.round(Math.min(full.rate, TARGETS[kind]) / 2))
          : TARGETS[kind] / 2;
        const half = await run(storeKind, kind, halfRate, duration, sim.port, base);
        report[`${storeKind}.${kind}`] = { full, half };
        if (!values.json) {
          const line = (label: string, result: RunResult | undefined): string =>
            result
              ? `${label.padEnd(5)} offered ${String(result.offeredPerSecond).padStart(5)}/s  delivered ${String(result.rate).padStart(5)}/s` +
                `  ${result.delivered}/${result.triggered}${result.allDelivered ? '' : ' NOT ALL'}  segs ${result.segmentsPerPush}` +
                `  p50 ${result.p50Ms} ms  p95 ${result.p95Ms} ms  p99 ${result.p99Ms} ms  (${result.elapsedSeconds} s)`
              : `${label.padEnd(5)} skipped`;
          process.stdout.write(`${storeKind} ${kind}\n  ${line('full', full)}\n  ${line('half', half)}\n`);
        }
      }
    }
  } finally {
    sim.child.disconnect();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.env[CHILD_ENV]) {
  void runSimulatorChild();
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:e2e: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
