/**
 * HTTP API throughput: POST /v1/triggers/first-use with a new subscriber per request (new IMSI, MSISDN
 * and IMEI), against the real app (store, Redis queue, provisioning service) in a child process so the
 * load generator does not share its core.
 *   npm run bench:api                 a short report, PostgreSQL then PGlite
 *   npm run bench:api -- --json       one JSON object: { target, pg: { acceptedPerSecond, p50Ms, p99Ms, ... },
 *                                     pglite: { ... } }
 * Options: --seconds N (default 10), --connections N (default 64), --store pg|pglite|both (default both;
 * PostgreSQL at BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, in a schema of its
 * own; PGlite in memory), --db URL (one store at that URL), REDIS_URL (default redis://127.0.0.1:6379),
 * --service stub: a provisioning service that records nothing (measures the HTTP layer alone: auth,
 * validation, audit, routing); --profile DIR writes a CPU profile of the API process; --base N existing
 * subscribers in the store before the run (default 100,000; see support/subscriber-base.ts).
 * Target (issue 5): at least 3,000 accepted requests/s with p99 under 50 ms; the work behind may queue.
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seedSubscriberBase } from './support/subscriber-base.ts';

const CHILD_ENV = 'OTAGW_BENCH_API_CHILD';

// ---- child: the API ----------------------------------------------------------------------------------

async function runServer(): Promise<void> {
  const { createApiKey } = await import('../src/auth/api-keys.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { createMemoryEventBus } = await import('../src/events/bus.ts');
  const { createApp } = await import('../src/http/app.ts');
  const { createLogger } = await import('../src/observability/logger.ts');
  const { createMetrics } = await import('../src/observability/metrics.ts');
  const { seedAll } = await import('../src/provisioning/seeds.ts');
  const { DefaultProvisioningService } = await import('../src/provisioning/service.ts');
  const { producerConnection, waitReady } = await import('../src/queues/connection.ts');
  const { ProvisionQueue } = await import('../src/queues/producers.ts');
  const { openDb } = await import('../src/store/open-db.ts');

  const dbUrl = process.env.OTAGW_BENCH_DB ?? 'memory://';
  const schema = dbUrl.startsWith('postgres') ? `otagw_bench_${randomBytes(4).toString('hex')}` : undefined;
  const db = await openDb({ url: dbUrl, schema, poolSize: 20 });
  const prefix = `otagw-bench-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ env: {}, overrides: { redis: { prefix } } });
  await seedAll(db, config);
  await seedSubscriberBase(db, Number(process.env.OTAGW_BENCH_BASE ?? 100_000));
  const logger = createLogger({ level: 'warn' });
  const redis = producerConnection({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  redis.on('error', () => undefined);
  await waitReady(redis, 5000);
  const queue = new ProvisionQueue({ connection: redis, prefix, attempts: 1, backoffMs: 1000 });
  const events = createMemoryEventBus(logger);
  const metrics = createMetrics();
  const deps = { db, config, queue, events, metrics, logger, now: () => new Date() };
  const real = new DefaultProvisioningService(deps);
  const stub = process.env.OTAGW_BENCH_SERVICE === 'stub';
  const provisioning = stub
    ? Object.assign(Object.create(real) as typeof real, {
        requestFirstUse: async () => ({ outcome: 'queued' as const, provisioningId: randomUUID() }),
      })
    : real;
  const app = createApp(
    {
      config,
      db,
      logger,
      provisioning,
      events,
      queues: { ping: () => queue.ping(), counts: () => queue.counts() },
      smsc: undefined,
      metrics: metrics.registry,
    },
    { rateLimit: { ratePerSecond: 1e6, burst: 1e6 } },
  );
  const { key } = await createApiKey(db, { name: 'bench', role: 'network' });
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.send?.({ port: address.port, key, store: db.kind });
  });
  server.keepAliveTimeout = 60_000;
  process.on('disconnect', () => {
    server.close();
    void (async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await queue.close().catch(() => undefined);
      redis.disconnect();
      if (schema) await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db.close();
      process.exit(0);
    })();
  });
}

// ---- parent: the load ----------------------------------------------------------------------------------

/** TAC of a catalogued handset (config/devices.csv) + a serial + the Luhn check digit (TS 23.003 Annex B). */
function imeiFor(serial: number): string {
  const body = `35216700${String(serial % 1_000_000).padStart(6, '0')}`;
  let sum = 0;
  for (let index = 0; index < 14; index++) {
    const digit = body.charCodeAt(index) - 48;
    const value = index % 2 === 1 ? digit * 2 : digit;
    sum += value > 9 ? value - 9 : value;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGET = { acceptedPerSecond: 3000, p99Ms: 50 };

interface LoadOptions {
  seconds: number;
  connections: number;
  db: string;
  service: string;
  base: string;
  profile: string | undefined;
}

async function runLoad(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      store: { type: 'string', default: 'both' },
      db: { type: 'string' },
      service: { type: 'string', default: 'real' },
      profile: { type: 'string' },
      base: { type: 'string', default: '100000' },
    },
  });
  const stores = values.db
    ? [values.db]
    : values.store === 'both'
      ? [PG_URL, 'memory://']
      : [values.store === 'pg' ? PG_URL : 'memory://'];
  const report: Record<string, unknown> = { target: TARGET };
  for (const db of stores) {
    const result = await measure({
      seconds: Number(values.seconds),
      connections: Number(values.connections),
      db,
      service: values.service,
      base: values.base,
      profile: values.profile,
    });
    report[result.store] = result;
    if (!values.json) {
      process.stdout.write(
        `${result.route} (${result.store}, ${result.service} service, ${result.connections} connections, ${result.seconds} s)\n` +
          `  accepted      ${result.accepted} (${result.acceptedPerSecond}/s; target ${TARGET.acceptedPerSecond}/s)\n` +
          `  latency       p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (target p99 < ${TARGET.p99Ms} ms)\n` +
          `  statuses      ${JSON.stringify(result.statuses)}\n`,
      );
    }
  }
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
}

async function measure(values: LoadOptions) {
  const { seconds, connections } = values;
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: {
      ...process.env,
      [CHILD_ENV]: '1',
      OTAGW_BENCH_SERVICE: values.service,
      OTAGW_BENCH_BASE: values.base,
      OTAGW_BENCH_DB: values.db,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // --profile DIR: a V8 CPU profile of the API process, written when it exits.
    execArgv: values.profile
      ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${values.profile}`]
      : process.execArgv,
  });
  const { port, key, store } = await new Promise<{ port: number; key: string; store: string }>(
    (resolve, reject) => {
      child.once('message', (message) => resolve(message as { port: number; key: string; store: string }));
      child.once('exit', (code) => reject(new Error(`API process exited (${code})`)));
    },
  );
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  // A run-unique IMSI range so repeated runs against one Postgres never collide.
  const run = Number.parseInt(randomBytes(2).toString('hex'), 16) % 9000;
  let serial = 0;
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const n = serial++;
      const body = JSON.stringify({
        imsi: `00101${String(run).padStart(4, '0')}${String(n).padStart(6, '0')}`,
        msisdn: `49${String(run).padStart(4, '0')}${String(n).padStart(7, '0')}`,
        imei: imeiFor(n),
      });
      const started = performance.now();
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/triggers/first-use',
          headers: {
            Authorization: `Bearer ${key}`,
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
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up: JIT, connections, caches
  measuring = true;
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - startedAt) / 1000;
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.disconnect();
  await exited; // it drops its schema and Redis keys first

  const sorted = Float64Array.from(latencies).sort();
  return {
    route: 'POST /v1/triggers/first-use',
    store,
    service: values.service,
    connections,
    seconds: Math.round(elapsed * 100) / 100,
    accepted: latencies.length,
    acceptedPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: Math.round(percentile(sorted, 50) * 100) / 100,
    p99Ms: Math.round(percentile(sorted, 99) * 100) / 100,
    statuses: Object.fromEntries(statuses),
  };
}

if (process.env[CHILD_ENV]) await runServer();
else await runLoad();
