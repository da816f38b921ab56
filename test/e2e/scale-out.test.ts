/**
 * Scale-out with real processes: `otagw start --role api` and two `--role worker` processes (each its own
 * Node process, as compose runs them), one PostgreSQL store and one Redis, against the SMSC simulator
 * over real SMPP sockets. Every worker's binds show on the api; an SMSC account's maxBinds and tps hold
 * for the workers together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { imeiWith, TAC, TEST_REDIS_URL, uniquePrefix, uniqueSubscriber } from '../provisioning/harness.ts';
import { openTestStore, PG_ENABLED, PG_TEST_URL, type TestStore } from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ACCOUNT = { systemId: 'scale-out', password: 'so-pw-1' };

interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

interface Cluster {
  sim: SmscSimulator;
  store: TestStore;
  configDir: string;
  children: Child[];
  apiUrl?: string;
  operatorKey: string;
  networkKey: string;
}

let cluster: Cluster | undefined;
afterEach(async () => {
  if (!cluster) return;
  for (const child of cluster.children) child.process.kill('SIGTERM');
  await Promise.all(cluster.children.map((child) => child.exited));
  await cluster.sim.close();
  await cluster.store.dispose();
  await rm(cluster.configDir, { recursive: true, force: true });
  cluster = undefined;
}, 30_000);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A config dir with the shipped seeds and default.yaml, and a local.yaml saying where things are. */
async function configDirWith(local: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'otagw-scale-out-'));
  await copyFile(join(ROOT, 'config/default.yaml'), join(dir, 'default.yaml'));
  for (const name of ['groups.yaml', 'devices.csv', 'profiles'])
    await symlink(join(ROOT, 'config', name), join(dir, name));
  await writeFile(join(dir, 'local.yaml'), stringify(local));
  return dir;
}

async function startCluster(
  smsc: Record<string, unknown>,
  behaviour: Record<string, unknown> = {},
): Promise<Cluster> {
  const sim = await startSmscSimulator({ accounts: [ACCOUNT], behaviour });
  const store = await openTestStore('pg');
  const schema = store.options.schema!;
  const storeUrl = `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const configDir = await configDirWith({
    http: { port: 0 },
    store: { url: storeUrl },
    redis: { url: TEST_REDIS_URL, prefix: uniquePrefix() },
    smsc: {
      smscs: [
        {
          id: 'acct',
          host: '127.0.0.1',
          port: sim.port,
          ...ACCOUNT,
          msgIdResp: 'dec',
          msgIdReceipt: 'dec',
          reconnectMinMs: 100,
          reconnectMaxMs: 500,
          ...smsc,
        },
      ],
    },
    // enough jobs at once to keep a worker at the account's rate with the store under load, few to drain
    provisioning: { workerConcurrency: 10, debounceMs: 0 },
    worker: { bindLeaseTtlMs: 1500, bindLeaseRetryMs: 200, publishIntervalMs: 250, publishTtlMs: 1500 },
  });
  // seeded once here, so the processes starting side by side find their seeds in place
  await seedAll(store.db, loadConfig({ env: {}, configDir }));
  const operatorKey = (await createApiKey(store.db, { name: 'scale-out-operator', role: 'operator' })).key;
  const networkKey = (await createApiKey(store.db, { name: 'scale-out-network', role: 'network' })).key;
  cluster = { sim, store, configDir, children: [], operatorKey, networkKey };
  return cluster;
}

/** `otagw start --role ROLE` in a process of its own; resolves once it says it is running. */
async function startProcess(
  role: 'api' | 'worker',
  name: string,
  env: Record<string, string> = {},
): Promise<Child> {
  const current = cluster!;
  const child = spawn(
    process.execPath,
    ['bin/otagw.js', 'start', '--role', role, '--config', current.configDir],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const entry: Child = { name, process: child, output, exited };
  current.children.push(entry);
  const deadline = Date.now() + 40_000;
  while (!output.join('').includes(`role ${role} running`)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${name} did not start:\n${output.join('')}`);
    await sleep(50);
  }
  if (role === 'api') current.apiUrl = /HTTP\s+(http:\/\/\S+)/.exec(output.join(''))![1];
  return entry;
}

async function stopProcess(child: Child): Promise<void> {
  child.process.kill('SIGTERM');
  expect(await child.exited).toBe(0);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface SmscView {
  binds: Array<{ workerId: string; bindId: string; state: string; submitted: number; throttled: number }>;
  workers: Array<{ workerId: string }>;
}

async function smscView(): Promise<SmscView> {
  const response = await fetch(`${cluster!.apiUrl}/v1/smsc`, {
    headers: { authorization: `Bearer ${cluster!.operatorKey}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as SmscView;
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

async function firstUse(count: number, serial: number): Promise<void> {
  const triggers = Array.from({ length: count }, (_, i) =>
    fetch(`${cluster!.apiUrl}/v1/triggers/first-use`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster!.networkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...uniqueSubscriber(), imei: imeiWith(TAC.nokiaN95, serial + i) }),
    }),
  );
  expect((await Promise.all(triggers)).map((response) => response.status)).toEqual(triggers.map(() => 202));
}

/** `count` first-use triggers, all delivered; how many of them a worker refused for want of a lease. */
async function deliverPushes(count: number, serial: number): Promise<{ refusedHere: number }> {
  const db = cluster!.store.db;
  const since = new Date();
  await firstUse(count, serial);
  await until(
    `${count} delivered`,
    () => db.query<{ state: string }>('SELECT state FROM provisionings WHERE created_at >= $1', [since]),
    (rows) => rows.length === count && rows.every((row) => row.state === 'delivered'),
    20_000,
  );
  const refused = await db.query(
    `SELECT 1 FROM provisioning_events e JOIN provisionings p ON p.id = e.provisioning_id
      WHERE p.created_at >= $1 AND e.cause = 'submit-incomplete'`,
    [since],
  );
  return { refusedHere: refused.length };
}

const statesByWorker = (view: SmscView) =>
  Object.fromEntries(view.binds.map((bind) => [bind.workerId, bind.state]));

describe.skipIf(!PG_ENABLED)('scale-out: an api process and two worker processes', () => {
  it("shows every worker's binds on the api (GET /v1/smsc, /metrics), each worker serves its own /metrics, and maxBinds 1 lets one worker bind at a time", async () => {
    await startCluster({ maxBinds: 1 });
    const [portA, portB] = [await freePort(), await freePort()];
    await startProcess('api', 'api');
    const a = await startProcess('worker', 'worker-a', {
      OTAGW_WORKER_ID: 'worker-a',
      OTAGW_WORKER_METRICS_PORT: String(portA),
    });
    await startProcess('worker', 'worker-b', {
      OTAGW_WORKER_ID: 'worker-b',
      OTAGW_WORKER_METRICS_PORT: String(portB),
    });
    let mostBinds = 0;
    const sampling = setInterval(() => (mostBinds = Math.max(mostBinds, cluster!.sim.binds().length)), 20);
    try {
      const view = await until('both workers listed', smscView, (v) => v.workers.length === 2);
      // worker-a started first and holds the account's only lease; worker-b stands by
      expect(statesByWorker(view)).toEqual({ 'worker-a': 'bound', 'worker-b': 'standby' });
      expect(view.binds.map((bind) => bind.bindId)).toEqual(['acct/0', 'acct/0']);

      const metrics = await (await fetch(`${cluster!.apiUrl}/metrics`)).text();
      expect(metrics).toContain('otagw_smsc_bind_up{smsc="acct",bind="acct/0",worker="worker-a"} 1');
      expect(metrics).toContain('otagw_smsc_bind_up{smsc="acct",bind="acct/0",worker="worker-b"} 0');
      const own = await (await fetch(`http://127.0.0.1:${portA}/metrics`)).text();
      expect(own).toContain('otagw_smsc_bind_up{smsc="acct",bind="acct/0",worker="worker-a"} 1');
      expect(own).not.toContain('worker="worker-b"');
      expect((await fetch(`http://127.0.0.1:${portA}/v1/smsc`)).status).toBe(404);

      // pushes go out through the bound worker only: the one standing by takes no jobs
      const before = await deliverPushes(6, 7100);
      expect(before.refusedHere).toBe(0);

      await stopProcess(a); // its lease is given back on stop: worker-b need not wait for it to expire
      const after = await until(
        'worker-b bound',
        smscView,
        (v) => statesByWorker(v)['worker-b'] === 'bound',
        5_000,
      );
      expect(after.workers.map((worker) => worker.workerId)).toEqual(['worker-b']);
      expect((await deliverPushes(3, 7200)).refusedHere).toBe(0);
      expect(mostBinds).toBe(1);
    } finally {
      clearInterval(sampling);
    }
  }, 90_000);

  it("two workers share an account at the SMSC's TPS limit: no throttling beyond the first second, and the rate rebalances when one stops", async () => {
    // The simulator limits the account to TPS per second; its bucket absorbs 250 ms of jitter (three
    // processes scheduled on a shared machine), not more than TPS sustained.
    const TPS = 20;
    await startCluster({ tps: TPS, window: 20 }, { throttleTpsPerSystem: TPS, throttleBurstMs: 250 });
    await startProcess('api', 'api');
    const a = await startProcess('worker', 'worker-a', { OTAGW_WORKER_ID: 'worker-a' });
    await startProcess('worker', 'worker-b', { OTAGW_WORKER_ID: 'worker-b' });
    await until(
      'both workers bound',
      smscView,
      (v) => v.binds.filter((b) => b.state === 'bound').length === 2,
    );
    // enough pushes (a few segments each) to keep both busy for the whole test
    await firstUse(80, 7000);
    const submitted = (view: SmscView, worker: string) =>
      view.binds.filter((bind) => bind.workerId === worker).reduce((sum, bind) => sum + bind.submitted, 0);
    const throttled = (view: SmscView) => view.binds.reduce((sum, bind) => sum + bind.throttled, 0);

    await until(
      'both sending',
      smscView,
      (v) => submitted(v, 'worker-a') > 0 && submitted(v, 'worker-b') > 0,
    );
    await sleep(1_000);
    const throttledBySim = () => cluster!.sim.counters().errors.ESME_RTHROTTLED ?? 0;
    const first = await smscView();
    const firstAt = Date.now();
    const throttledInFirstSecond = throttledBySim();
    await sleep(3_000);
    const together = await smscView();
    const seconds = (Date.now() - firstAt) / 1000;
    const rateA = (submitted(together, 'worker-a') - submitted(first, 'worker-a')) / seconds;
    const rateB = (submitted(together, 'worker-b') - submitted(first, 'worker-b')) / seconds;
    // the account's rate, shared: neither takes it all, together not more (snapshots are up to 250 ms old)
    expect(rateA + rateB).toBeLessThanOrEqual(TPS * 1.15);
    expect(rateA + rateB).toBeGreaterThan(TPS * 0.7);
    expect(rateA).toBeLessThan(TPS * 0.75);
    expect(rateB).toBeLessThan(TPS * 0.75);
    expect(throttled(together)).toBe(throttled(first));

    await stopProcess(a);
    await sleep(1_000);
    const aloneFrom = await smscView();
    const aloneAt = Date.now();
    await sleep(3_000);
    const alone = await smscView();
    const rateAlone =
      (submitted(alone, 'worker-b') - submitted(aloneFrom, 'worker-b')) / ((Date.now() - aloneAt) / 1000);
    // worker-b alone takes the account's whole rate, well above its share while both sent
    expect(rateAlone).toBeGreaterThan(TPS * 0.75);
    expect(rateAlone).toBeGreaterThan(rateB * 1.4);
    // the SMSC never had to say "too fast" after the first second
    expect(throttledBySim()).toBe(throttledInFirstSecond);
  }, 120_000);
});
