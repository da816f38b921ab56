/**
 * Graceful shutdown (issue #15 item 3, docs/architecture.md §5.4) of a real `otagw start` process under
 * load from another process. The gateway runs in a process group of its own and gets SIGTERM sent to
 * the whole group, as Ctrl-C signals a terminal's foreground group: its embedded redis-server must
 * survive that (it runs detached, in a group of its own) and be stopped by the gateway, last.
 * Every request either got its 202 and is stored, or got an error and is not stored.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { listen } from '../../src/http/server.ts';
import { isClientAbort, isDependencyDown, renderError } from '../../src/http/middleware/error-handler.ts';
import { redisServerOnPath } from '../../src/queues/embedded-redis.ts';
import { startSmscSimulator } from '../../src/smsc-sim/index.ts';
import { startApi } from '../http/support/api-harness.ts';
import { TAC, imeiWith } from '../provisioning/harness.ts';
import { openTestStore, PG_ENABLED, PG_TEST_URL, type TestStore } from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** What the gateway's shutdown may take at most under this load (the http drain is 10 s of it). */
const EXIT_DEADLINE_MS = 30_000;

/**
 * The load, in a process of its own: CONCURRENCY loops posting first-use triggers for subscribers of
 * their own (a unique MSISDN each) until the server refuses connections; one line per answer:
 * `<msisdn> <status> <provisioningId|code>`, status 0 when no answer came (connection reset).
 */
const LOAD_SCRIPT = `
const [url, key, base, concurrency, tac] = process.argv.slice(1);
let n = 0;
const luhn = (body) => { let sum = 0; for (let i = 0; i < body.length; i++) { let d = Number(body[body.length - 1 - i]); if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; } sum += d; } return (10 - (sum % 10)) % 10; };
async function loop() {
  for (;;) {
    const i = n++;
    const msisdn = '49' + (Number(base) + i);
    const imsi = '26201' + String(Number(base) + i).padStart(10, '0');
    const imeiBody = (tac + String(i).padStart(8, '0')).slice(0, 14);
    const body = JSON.stringify({ imsi, msisdn, imei: imeiBody + luhn(imeiBody) });
    try {
      const res = await fetch(url + '/v1/triggers/first-use', { method: 'POST', body,
        headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' } });
      const answer = await res.json().catch(() => ({}));
      process.stdout.write(msisdn + ' ' + res.status + ' ' + (answer.provisioningId ?? answer.error?.code ?? '-') + '\\n');
    } catch (error) {
      const code = error.cause?.code ?? error.code ?? 'ERR';
      if (code === 'ECONNREFUSED') return;
      process.stdout.write(msisdn + ' 0 ' + code + '\\n');
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
`;

interface Answer {
  msisdn: string;
  status: number;
  what: string;
}

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
}, 30_000);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { text: () => text };
}

async function configDir(
  store: TestStore,
  dir: string,
  smsc: Record<string, unknown> = { simulator: { port: 0, controlPort: null } },
): Promise<string> {
  await copyFile(join(ROOT, 'config/default.yaml'), join(dir, 'default.yaml'));
  for (const name of ['groups.yaml', 'devices.csv', 'profiles'])
    await symlink(join(ROOT, 'config', name), join(dir, name));
  const schema = store.options.schema!;
  await writeFile(
    join(dir, 'local.yaml'),
    stringify({
      http: { port: 0 },
      store: { url: `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` },
      redis: { embeddedDir: join(dir, 'redis'), embeddedPort: 0, prefix: 'graceful' },
      smsc,
      provisioning: { debounceMs: 0 },
    }),
  );
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function processGroupOf(pid: number): number {
  return Number(
    spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)])
      .stdout.toString()
      .trim(),
  );
}

async function startGatewayProcess(dir: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ['bin/otagw.js', 'start', '--config', dir], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // a process group of its own: the test signals the whole group, as Ctrl-C does
    detached: true,
  });
  const output = collect(child);
  cleanup.push(async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  const deadline = Date.now() + 60_000;
  while (!output.text().includes('role all running')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the gateway did not start:\n${output.text()}`);
    await sleep(50);
  }
  return { child, out: output.text };
}

function parseAnswers(text: string): Answer[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [msisdn, status, what] = line.split(' ');
      return { msisdn: msisdn!, status: Number(status), what: what! };
    });
}

describe.skipIf(!PG_ENABLED || !redisServerOnPath())('graceful shutdown of `otagw start`', () => {
  it('SIGTERM to its process group under load: every 202 stored, nothing else stored, exit 0 in time, embedded redis-server stopped last', async () => {
    const store = await openTestStore('pg');
    cleanup.push(() => store.dispose());
    const dir = await configDir(store, await mkdtemp(join(tmpdir(), 'otagw-graceful-')));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await seedAll(store.db, loadConfig({ env: {}, configDir: dir }));
    const key = (await createApiKey(store.db, { name: 'graceful-network', role: 'network' })).key;

    const gateway = await startGatewayProcess(dir);
    const url = /HTTP\s+(http:\/\/\S+)/.exec(gateway.out())![1]!;
    const redisUrl = /Redis\s+(redis:\/\/\S+)/.exec(gateway.out())![1]!;
    const probe = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const info = await probe.info('server');
    probe.disconnect();
    const redisPid = Number(/process_id:(\d+)/.exec(info)![1]);
    expect(processGroupOf(redisPid)).not.toBe(processGroupOf(gateway.child.pid!));
    const exited = new Promise<number | null>((done) => gateway.child.once('exit', (code) => done(code)));

    const base = 1_000_000_000 + Math.floor(Math.random() * 8e8);
    const load = spawn(
      process.execPath,
      ['--input-type=module', '-e', LOAD_SCRIPT, url, key, String(base), '24', TAC.nokiaN95],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const loadOutput = collect(load);
    cleanup.push(async () => load.kill('SIGKILL'));
    const loadDone = new Promise<void>((done) => load.once('exit', () => done()));
    while (parseAnswers(loadOutput.text()).filter((a) => a.status === 202).length < 300) {
      if (load.exitCode !== null) throw new Error(`the load stopped:\n${loadOutput.text()}`);
      await sleep(20);
    }

    const signalled = Date.now();
    process.kill(-gateway.child.pid!, 'SIGTERM');
    // The group's signal cannot reach the embedded redis-server: it is in a process group of its own
    // (asserted above), so it lives until the gateway stops it in its last step (asserted below). Not
    // checked by sampling it a moment after the signal: an idle machine finishes the whole shutdown
    // in less than that.
    const code = await exited;
    const exitMs = Date.now() - signalled;
    await loadDone;

    expect(code, gateway.out()).toBe(0);
    expect(exitMs).toBeLessThan(EXIT_DEADLINE_MS);
    expect(alive(redisPid)).toBe(false);

    const answers = parseAnswers(loadOutput.text());
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    const stored = await store.db.query<{ id: string; msisdn: string }>(
      'SELECT p.id, s.msisdn FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id',
    );
    // answered 202 == stored, by provisioning id; no refused request left anything behind
    expect(new Set(stored.map((row) => row.id))).toEqual(new Set(accepted.map((a) => a.what)));
    const refusedNumbers = new Set(refused.map((a) => a.msisdn));
    expect(stored.filter((row) => refusedNumbers.has(row.msisdn))).toEqual([]);
    // no 500s: what arrived during the drain was told to come back
    expect(refused.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    for (const answer of refused.filter((a) => a.status === 503)) expect(answer.what).toBe('SHUTTING_DOWN');

    const out = gateway.out();
    const steps = [...out.matchAll(/"msg":"shutdown: ([a-z -]+?) done"/g)].map((m) => m[1]);
    expect(steps.at(0)).toBe('http');
    expect(steps.at(-1)).toBe('redis-server');
    expect(out).toContain('otagw start: stopped');
    console.info(
      `graceful shutdown: ${accepted.length} accepted and stored, ${refused.length} refused ` +
        `(${refused.filter((a) => a.status === 503).length} 503, ${refused.filter((a) => a.status === 0).length} reset), exit in ${exitMs} ms`,
    );
  }, 120_000);
});

describe.skipIf(!PG_ENABLED || !redisServerOnPath())('shutdown with Redis gone', () => {
  it('a worker whose Redis died exits 0 on SIGTERM within its deadlines instead of retrying Redis', async () => {
    const store = await openTestStore('pg');
    cleanup.push(() => store.dispose());
    const sim = await startSmscSimulator({});
    cleanup.push(() => sim.close());
    const smsc = {
      smscs: [{ id: 'sim', host: '127.0.0.1', port: sim.port, systemId: 'otagw', password: 'otagwsim' }],
    };
    const dir = await configDir(store, await mkdtemp(join(tmpdir(), 'otagw-graceful-redis-')), smsc);
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await seedAll(store.db, loadConfig({ env: {}, configDir: dir }));
    const redisPort = 20_000 + Math.floor(Math.random() * 20_000);
    const redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    cleanup.push(async () => redis.kill('SIGKILL'));
    await sleep(300);
    const worker = spawn(process.execPath, ['bin/otagw.js', 'start', '--role', 'worker', '--config', dir], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'info',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(worker);
    cleanup.push(async () => worker.kill('SIGKILL'));
    const exited = new Promise<number | null>((done) => worker.once('exit', (code) => done(code)));
    const deadline = Date.now() + 60_000;
    while (!output.text().includes('role worker running')) {
      if (worker.exitCode !== null || Date.now() > deadline) throw new Error(output.text());
      await sleep(50);
    }
    redis.kill('SIGKILL');
    await sleep(1_000);
    const signalled = Date.now();
    worker.kill('SIGTERM');
    expect(await exited, output.text()).toBe(0);
    // the worker steps' deadlines: workers 15 s and 5 s forced, binds, the event bus 3 s, with a margin
    expect(Date.now() - signalled).toBeLessThan(35_000);
    expect(output.text()).toContain('otagw start: stopped');
  }, 120_000);
});

/** One HTTP/1.1 request on an open socket; resolves with the raw answer once the server ends it. */
function rawRequest(port: number, requests: string[], gapMs = 0): Promise<string> {
  return new Promise((resolveAnswer, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolveAnswer(answer));
    socket.on('connect', async () => {
      for (const request of requests) {
        socket.write(request);
        await sleep(gapMs);
      }
    });
  });
}

describe('the HTTP server drains on close', () => {
  it('lets a request in flight finish, answers one arriving on a kept-alive connection 503 with Retry-After, and closes', async () => {
    let release: () => void = () => undefined;
    const handled: string[] = [];
    const server = await listen(
      (req, res) => {
        handled.push(req.url!);
        if (req.url === '/slow') {
          release = () => res.end('slow done');
          return;
        }
        res.end('quick done');
      },
      { host: '127.0.0.1', port: 0, tls: undefined },
    );
    const port = Number(new URL(server.url).port);
    // a kept-alive connection that answered once, then sends its next request during the drain
    const keptAlive = connect(port, '127.0.0.1');
    let keptAliveAnswer = '';
    keptAlive.on('data', (chunk) => (keptAliveAnswer += chunk.toString()));
    keptAlive.write('GET /quick HTTP/1.1\r\nHost: x\r\n\r\n');
    const slow = rawRequest(port, ['GET /slow HTTP/1.1\r\nHost: x\r\n\r\n']);
    while (handled.length < 2) await sleep(10);

    const closed = server.close(5_000);
    let done = false;
    void closed.then(() => (done = true));
    keptAliveAnswer = '';
    keptAlive.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
    expect(done).toBe(false); // /slow is still in flight
    release();
    await closed;
    const slowAnswer = await slow;
    expect(slowAnswer).toMatch(/^HTTP\/1.1 200/);
    expect(slowAnswer).toContain('Connection: close');
    expect(slowAnswer).toContain('slow done');
    // the late request never reached the handler: nothing of it was done
    expect(handled).not.toContain('/late');
    // an idle kept-alive connection is closed at once, so it may also never get to send; if it did, 503
    if (keptAliveAnswer !== '') {
      expect(keptAliveAnswer).toMatch(/^HTTP\/1.1 503/);
      expect(keptAliveAnswer).toContain('Retry-After: 1');
      expect(keptAliveAnswer).toContain('SHUTTING_DOWN');
    }
    keptAlive.destroy();
  });

  it('answers a request that arrives while another is still in flight 503 with Retry-After', async () => {
    let release: () => void = () => undefined;
    const handled: string[] = [];
    const server = await listen(
      (req, res) => {
        handled.push(req.url!);
        if (req.url === '/slow') release = () => res.end('slow done');
        else res.end('quick done');
      },
      { host: '127.0.0.1', port: 0, tls: undefined },
    );
    const port = Number(new URL(server.url).port);
    const slow = rawRequest(port, ['GET /slow HTTP/1.1\r\nHost: x\r\n\r\n']);
    // a connection whose request is still arriving (headers not complete) when the drain starts
    const late = connect(port, '127.0.0.1');
    let lateAnswer = '';
    late.on('data', (chunk) => (lateAnswer += chunk.toString()));
    await new Promise((done) => late.once('connect', done));
    late.write('GET /late HTTP/1.1\r\n');
    while (handled.length < 1) await sleep(10);
    const closed = server.close(5_000);
    late.write('Host: x\r\n\r\n');
    while (lateAnswer === '') await sleep(10);
    expect(lateAnswer).toMatch(/^HTTP\/1.1 503/);
    expect(lateAnswer).toContain('Retry-After: 1');
    expect(lateAnswer).toContain('"code":"SHUTTING_DOWN"');
    expect(handled).toEqual(['/slow']);
    release();
    await closed;
    expect(await slow).toContain('slow done');
  });

  it('cuts what is still in flight at the deadline, and close resolves', async () => {
    const server = await listen(() => undefined, { host: '127.0.0.1', port: 0, tls: undefined });
    const port = Number(new URL(server.url).port);
    const hanging = rawRequest(port, ['GET /never HTTP/1.1\r\nHost: x\r\n\r\n']);
    await sleep(100);
    const started = Date.now();
    await server.close(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await hanging).toBe('');
  });
});

describe('a client that goes away', () => {
  it('is audited as 499 CLIENT_CLOSED_REQUEST, never as a 503', async () => {
    const api = await startApi({ seed: true });
    cleanup.push(() => api.close());
    const port = Number(new URL(api.url).port);
    const body = JSON.stringify({
      imsi: '262010000000123',
      msisdn: '4917000000123',
      imei: imeiWith(TAC.nokiaN95, 1),
    });
    // the body is announced whole but only half of it is sent before the client hangs up
    const socket = connect(port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    socket.write(
      `POST /v1/triggers/first-use HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.keys.network}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
    );
    await sleep(200);
    socket.destroy();
    const deadline = Date.now() + 10_000;
    let rows: Array<{ outcome: string; details: { status?: number; error?: string } }> = [];
    while (rows.length === 0 && Date.now() < deadline) {
      await sleep(100);
      rows = await api.store.db.query(
        `SELECT outcome, details FROM audit_log WHERE action = 'triggers.firstUse' OR action LIKE '%first%'`,
      );
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]!.outcome).toBe('failed');
    expect(rows[0]!.details.status).toBe(499);
    expect(rows[0]!.details.error).toBe('CLIENT_CLOSED_REQUEST');
    expect(await api.store.db.query('SELECT 1 FROM provisionings')).toEqual([]);
  });
});

describe('what the error handler makes of a broken connection', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it('a client abort (Node ends the body with "aborted", ECONNRESET) is 499, not a backing service down', () => {
    const abort = withCode('aborted', 'ECONNRESET');
    expect(isClientAbort(abort)).toBe(true);
    expect(isDependencyDown(abort)).toBe(false);
    expect(renderError(abort).status).toBe(499);
    // a Redis or PostgreSQL socket reset is still the dependency's
    expect(isClientAbort(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(false);
    expect(renderError(withCode('read ECONNRESET', 'ECONNRESET')).status).toBe(503);
  });

  it("the store's connection dying mid-statement is a 503 to retry, not a 500 (seen in the chaos run)", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Client has encountered a connection error and is not queryable',
      'timeout exceeded when trying to connect',
    ]) {
      const rendered = renderError(new Error(message));
      expect(rendered.status, message).toBe(503);
      expect(rendered.headers['Retry-After']).toBe('1');
    }
  });
});
