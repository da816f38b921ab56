/**
 * What one push costs, counted rather than timed (issue #14: "count per push"): N first-use triggers
 * through the HTTP API into a gateway started in this process with the shipped configuration (role all,
 * PostgreSQL, receipts on), to delivered, and per push:
 * - SQL statements the gateway sent (by statement, the busiest first), rows it inserted, updated and
 *   deleted in its database (pg_stat_database), and the CPU its PostgreSQL backends used (/proc);
 * - Redis commands (INFO commandstats of a redis-server this run starts on a port of its own, so nothing
 *   else is counted), Lua script calls among them, and redis-server's CPU;
 * - JSON.stringify / JSON.parse calls and log lines written by the gateway.
 * Counts do not depend on how busy the machine is; the CPU figures do a little (they are CPU, not wall).
 *
 *   npm run bench:hot-path                        500 triggers, one-segment pushes, debounce as shipped
 *   npm run bench:hot-path -- --count 1000 --kind typical --debounce-ms 0 --json
 *
 * The load generator is this process too, so the gateway's own CPU is not reported here (bench:api,
 * bench:e2e and bench:vs-kannel report it from a process of its own).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  formatProfile,
  summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from './support/cpu-profile.ts';
import { gatewayConfig, ROOT, seedingConfig } from './support/gateway-process.ts';
import { triggerFor, type Kind } from './support/mix.ts';
import { freePort } from './support/kannel.ts';
import { SmscProcess } from './support/smsc-process.ts';
import { PG_URL, prepareStore, prepareTemplate } from './support/store.ts';
import { sleep } from './support/stats.ts';

interface Options {
  count: number;
  kind: Kind;
  connections: number;
  debounceMs?: number;
  json: boolean;
  top: number;
  /** true: summarise a CPU profile of the gateway; a path: keep it there too */
  cpuProfile?: true | string;
}

async function startRedis(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, child };
    } catch {
      probe.disconnect();
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

/** Redis INFO commandstats as calls per command, and redis-server's CPU (s). */
async function redisStats(url: string): Promise<{ calls: Map<string, number>; cpu: number }> {
  const redis = new Redis(url);
  try {
    const stats = await redis.info('commandstats');
    const cpu = await redis.info('cpu');
    const calls = new Map<string, number>();
    for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      calls.set(match[1], Number(match[2]));
    const user = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0);
    const sys = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0);
    return { calls, cpu: user + sys };
  } finally {
    redis.disconnect();
  }
}

const CLOCK_TICKS = 100; // Linux USER_HZ (getconf CLK_TCK) on every x86_64 kernel

/** CPU seconds used so far by the PostgreSQL backends connected to `database` (the gateway's pool). */
async function backendCpu(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    let ticks = 0;
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat(5))
      } catch {
        // the backend ended between the query and the read
      }
    }
    return ticks / CLOCK_TICKS;
  } finally {
    await client.end();
  }
}

/** Rows written per table of `database` so far (pg_stat_user_tables), and the server's WAL position. */
async function tableWrites(database: string): Promise<{ tables: Map<string, number>; walLsn: string }> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ relname: string; writes: string }>(
      `SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes FROM pg_stat_user_tables`,
    );
    const wal = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return { tables: new Map(rows.map((row) => [row.relname, Number(row.writes)])), walLsn: wal.rows[0].lsn };
  } finally {
    await client.end();
  }
}

function databaseUrl(database: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * pg_stat_statements, when the server loads it (shared_preload_libraries; track_planning on for plan
 * times): reset before the run, the busiest statements of the gateway's database after it.
 */
async function statementStats(
  database: string,
  phase: 'reset' | 'read',
): Promise<Array<{ calls: number; ms: number; planMs: number; rows: number; text: string }> | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    const loaded = await client.query<{ on: boolean }>(
      "SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' AS on",
    );
    if (!loaded.rows[0].on) return undefined;
    if (phase === 'reset') {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query('SELECT pg_stat_statements_reset()');
      return [];
    }
    const { rows } = await client.query<{
      calls: string;
      ms: number;
      plan_ms: number;
      rows: string;
      query: string;
    }>(
      `SELECT calls::text, total_exec_time AS ms, total_plan_time AS plan_ms, rows::text, query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = $1 ORDER BY total_exec_time + total_plan_time DESC LIMIT 20`,
      [database],
    );
    return rows.map((row) => ({
      calls: Number(row.calls),
      ms: Math.round(row.ms),
      planMs: Math.round(row.plan_ms),
      rows: Number(row.rows),
      text: row.query.replace(/\s+/g, ' ').slice(0, 100),
    }));
  } finally {
    await client.end();
  }
}

async function tupleCounts(
  database: string,
): Promise<{ inserted: number; updated: number; deleted: number }> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ i: string; u: string; d: string }>(
      `SELECT tup_inserted::text AS i, tup_updated::text AS u, tup_deleted::text AS d
         FROM pg_stat_database WHERE datname = $1`,
      [database],
    );
    return { inserted: Number(rows[0].i), updated: Number(rows[0].u), deleted: Number(rows[0].d) };
  } finally {
    await client.end();
  }
}

/** Counts SQL statements, JSON calls and stdout lines made in this process from now on. */
function instrument(): {
  sql: Map<string, number>;
  json: { stringify: number; parse: number };
  redisSent: Map<string, number>;
  lines: () => number;
} {
  const sql = new Map<string, number>();
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; name?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? first?.name ?? '?');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    sql.set(key, (sql.get(key) ?? 0) + 1);
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  const json = { stringify: 0, parse: 0 };
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  JSON.stringify = ((...args: Parameters<typeof stringify>) => {
    json.stringify++;
    return stringify(...args);
  }) as typeof JSON.stringify;
  JSON.parse = ((...args: Parameters<typeof parse>) => {
    json.parse++;
    return parse(...args);
  }) as typeof JSON.parse;
  const redisSent = new Map<string, number>();
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (this: Redis, command: { name: string }, ...rest: unknown[]) {
    redisSent.set(command.name, (redisSent.get(command.name) ?? 0) + 1);
    return (sendCommand as (...a: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof Redis.prototype.sendCommand;
  let lines = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const char of text) if (char === '\n') lines++;
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return { sql, json, redisSent, lines: () => lines };
}

async function lsnDiff(from: string, to: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($2, $1)::text AS bytes', [
      from,
      to,
    ]);
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

async function sendTriggers(httpUrl: string, apiKey: string, options: Options): Promise<number> {
  const url = new URL(httpUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let next = 0;
  let accepted = 0;
  const one = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ ...triggerFor(index), source: 'hlr' });
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/v1/triggers/first-use',
          headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 202) accepted++;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (next < options.count) await one(next++);
    }),
  );
  agent.destroy();
  return accepted;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '500' },
      kind: { type: 'string', default: 'one' },
      connections: { type: 'string', default: '16' },
      'debounce-ms': { type: 'string' },
      top: { type: 'string', default: '25' },
      json: { type: 'boolean', default: false },
      'cpu-profile': { type: 'boolean', default: false },
      'cpu-profile-file': { type: 'string' },
    },
  });
  if (values.kind !== 'one' && values.kind !== 'typical') throw new Error('--kind one|typical');
  return {
    count: Number(values.count),
    kind: values.kind,
    connections: Number(values.connections),
    debounceMs: values['debounce-ms'] === undefined ? undefined : Number(values['debounce-ms']),
    top: Number(values.top),
    json: values.json,
    cpuProfile: values['cpu-profile-file'] ?? (values['cpu-profile'] ? true : undefined),
  };
}

const per = (value: number, pushes: number): number => Math.round((value / pushes) * 100) / 100;

/** The load generator runs in a process of its own, so the gateway's CPU (and profile) is its own. */
function sendTriggersFromChild(httpUrl: string, apiKey: string, options: Options): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, OTAGW_HOT_PATH_LOAD: JSON.stringify({ httpUrl, apiKey, options }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (accepted: number) => resolve(accepted));
    child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const dir = mkdtempSync(join(tmpdir(), 'otagw-hot-path-'));
  const redis = await startRedis(dir);
  const sim = await SmscProcess.start({ receiptDelayMs: 500 });
  const template = await prepareTemplate('pg', await seedingConfig(sim), 1000, dir);
  const store = await template.create(dir);
  const database = new URL(store.url).pathname.slice(1);
  const prepared = await prepareStore(store, { triggers: options.count, kind: options.kind });
  const base = await gatewayConfig({
    storeUrl: store.url,
    redisUrl: redis.url,
    prefix: 'otagw',
    smscHost: sim.host,
    smscPort: sim.port,
  });
  const config =
    options.debounceMs === undefined
      ? base
      : { ...base, provisioning: { ...base.provisioning, debounceMs: options.debounceMs } };
  const { startGateway } = await import('../src/main.ts');
  const gateway = await startGateway({ role: 'all', config, varDir: join(dir, 'var') });
  let delivered = 0;
  let final = 0;
  gateway.context!.events.subscribe((event) => {
    if (event.type !== 'provisioning.state') return;
    if (['delivered', 'failed', 'expired', 'cancelled'].includes(event.to)) final++;
    if (event.to === 'delivered') delivered++;
  });
  await sleep(2000); // binds up, first sweeps done
  const redisBefore = await redisStats(redis.url);
  const tuplesBefore = await tupleCounts(database);
  const pgCpuBefore = await backendCpu(database);
  const writesBefore = await tableWrites(database);
  await statementStats(database, 'reset');
  const counted = instrument();
  const started = performance.now();
  const profile = options.cpuProfile ? new Session() : undefined;
  if (profile) {
    profile.connect();
    await profile.post('Profiler.enable');
    await profile.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const accepted = await sendTriggersFromChild(gateway.httpUrl!, prepared.apiKey, options);
  const acceptedAfter = (performance.now() - started) / 1000;
  // With a debounce window longer than the load, the gateway has only answered the API so far.
  const apiCpu = process.cpuUsage(cpuBefore);
  const deadline = Date.now() + (options.debounceMs ?? config.provisioning.debounceMs) + 120_000;
  while (final < accepted && Date.now() < deadline) await sleep(200);
  await sleep(1500); // receipts' last writes and the audit writer's last batch
  const gatewayCpu = process.cpuUsage(cpuBefore);
  let profileSummary: ProfileSummary | undefined;
  if (profile) {
    const { profile: taken } = await profile.post('Profiler.stop');
    profile.disconnect();
    if (options.cpuProfile !== true) writeFileSync(options.cpuProfile!, JSON.stringify(taken));
    profileSummary = summariseProfile(taken as unknown as CpuProfile, ROOT);
  }
  const sql = [...counted.sql];
  const jsonCalls = { ...counted.json };
  const lines = counted.lines();
  const redisSent = [...counted.redisSent].sort((a, b) => b[1] - a[1]);
  const pgCpu = (await backendCpu(database)) - pgCpuBefore;
  const redisAfter = await redisStats(redis.url);
  const tuples = await tupleCounts(database);
  const writesAfter = await tableWrites(database);
  const statementTimes = await statementStats(database, 'read');
  const walBytes = await lsnDiff(writesBefore.walLsn, writesAfter.walLsn);
  await gateway.stop();
  await sim.stop();
  redis.child.kill('SIGTERM');
  await store.drop();
  await template.drop();
  rmSync(dir, { recursive: true, force: true });

  const pushes = Math.max(delivered, 1);
  const redisCalls = [...redisAfter.calls]
    .map(([name, calls]) => [name, calls - (redisBefore.calls.get(name) ?? 0)] as const)
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1]);
  const redisTotal = redisCalls.reduce((sum, [, calls]) => sum + calls, 0);
  const lua = redisCalls
    .filter(([name]) => /^(evalsha|eval|fcall)/.test(name))
    .reduce((s, [, c]) => s + c, 0);
  const statements = sql.reduce((sum, [, calls]) => sum + calls, 0);
  const result = {
    configuration: {
      store: 'PostgreSQL (database of its own)',
      kind: options.kind,
      triggers: options.count,
      connections: options.connections,
      debounceMs: config.provisioning.debounceMs,
      workerConcurrency: config.provisioning.workerConcurrency,
      logLevel: config.log.level,
      node: process.version,
    },
    accepted,
    delivered,
    acceptedPerSecond: Math.round(accepted / acceptedAfter),
    perPush: {
      sqlStatements: per(statements, pushes),
      rowsInserted: per(tuples.inserted - tuplesBefore.inserted, pushes),
      rowsUpdated: per(tuples.updated - tuplesBefore.updated, pushes),
      rowsDeleted: per(tuples.deleted - tuplesBefore.deleted, pushes),
      gatewayCpuMs: per((gatewayCpu.user + gatewayCpu.system) / 1000, pushes),
      gatewayCpuMsUntilAccepted: per((apiCpu.user + apiCpu.system) / 1000, pushes),
      postgresCpuMs: per(pgCpu * 1000, pushes),
      walBytesServerWide: per(walBytes, pushes),
      redisCommands: per(redisTotal, pushes),
      redisCommandsSent: per(
        redisSent.reduce((sum, [, calls]) => sum + calls, 0),
        pushes,
      ),
      luaCalls: per(lua, pushes),
      redisCpuMs: per((redisAfter.cpu - redisBefore.cpu) * 1000, pushes),
      jsonStringify: per(jsonCalls.stringify, pushes),
      jsonParse: per(jsonCalls.parse, pushes),
      logLines: per(lines, pushes),
    },
    sql: sql
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top)
      .map(([text, calls]) => ({ perPush: per(calls, pushes), text })),
    tables: [...writesAfter.tables]
      .map(([name, writes]) => [name, writes - (writesBefore.tables.get(name) ?? 0)] as const)
      .filter(([, writes]) => writes > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, writes]) => ({ name, rowsWrittenPerPush: per(writes, pushes) })),
    statementTimes: statementTimes?.map((row) => ({
      ...row,
      msPerPush: per(row.ms + row.planMs, pushes),
    })),
    redisSent: redisSent
      .slice(0, options.top)
      .map(([name, calls]) => ({ perPush: per(calls, pushes), name })),
    redis: redisCalls.slice(0, options.top).map(([name, calls]) => ({ perPush: per(calls, pushes), name })),
  };
  if (profileSummary) process.stderr.write(`${formatProfile(profileSummary, 'gateway CPU profile')}\n`);
  if (options.json) {
    process.stderr.write(`${JSON.stringify(result)}\n`);
  } else {
    const say = (line: string): boolean => process.stderr.write(`${line}\n`);
    say(
      `hot path: ${accepted} first-use triggers accepted, ${delivered} delivered (${JSON.stringify(result.configuration)})`,
    );
    say('per push:');
    for (const [name, value] of Object.entries(result.perPush)) say(`  ${name.padEnd(16)} ${value}`);
    say('SQL statements per push:');
    for (const { perPush, text } of result.sql) say(`  ${String(perPush).padStart(6)}  ${text}`);
    say('rows written per push, by table:');
    for (const { name, rowsWrittenPerPush } of result.tables)
      say(`  ${String(rowsWrittenPerPush).padStart(6)}  ${name}`);
    if (result.statementTimes) {
      say('PostgreSQL time by statement (pg_stat_statements: ms per push exec+plan, calls, plan ms):');
      for (const row of result.statementTimes)
        say(
          `  ${String(row.msPerPush).padStart(6)} ms  ${String(row.calls).padStart(6)} calls  plan ${row.planMs} ms  ${row.text}`,
        );
    } else say('pg_stat_statements: not loaded by the server (shared_preload_libraries), no statement times');
    say('Redis commands the gateway sent per push (a Lua call is one):');
    for (const { perPush, name } of result.redisSent) say(`  ${String(perPush).padStart(6)}  ${name}`);
    say('Redis commands run per push (INFO commandstats: inside Lua scripts too):');
    for (const { perPush, name } of result.redis) say(`  ${String(perPush).padStart(6)}  ${name}`);
  }
  process.exit(0);
}

if (process.env.OTAGW_HOT_PATH_LOAD) {
  const { httpUrl, apiKey, options } = JSON.parse(process.env.OTAGW_HOT_PATH_LOAD) as {
    httpUrl: string;
    apiKey: string;
    options: Options;
  };
  process.send!(await sendTriggers(httpUrl, apiKey, options), () => process.exit(0));
} else {
  await main();
}
