import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { runStart } from '../../src/cli/commands/start.ts';
import { loadConfig } from '../../src/config.ts';
import { SHUTDOWN_ORDER, startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  FINAL,
  imeiWith,
  TAC,
  TEST_REDIS_URL,
  uniquePrefix,
  uniqueSubscriber,
} from '../provisioning/harness.ts';

const io = () => {
  const out: string[] = [];
  return {
    out,
    io: {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(text),
      readStdin: async () => '',
    },
  };
};

describe('otagw start', () => {
  it('prints its usage and refuses an unknown role', async () => {
    const help = io();
    expect(await runStart(['--help'], help.io, new AbortController().signal)).toBe(0);
    expect(help.out.join('')).toMatch(/--role/);
    await expect(runStart(['--role', 'everything'], io().io, new AbortController().signal)).rejects.toThrow(
      /--role/,
    );
  });
});

/** A logger keeping what it writes, parsed. */
function capturingLogger() {
  const entries: Array<{
    level: number;
    msg: string;
    step?: string;
    deadlineMs?: number;
    elapsedMs?: number;
  }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
  return { logger, entries };
}

describe('the gateway in one process (role all)', () => {
  let gateway: Gateway;
  let varDir: string;
  const logged = capturingLogger();
  beforeAll(async () => {
    varDir = await mkdtemp(join(tmpdir(), 'otagw-gateway-var-'));
    const config = loadConfig({
      env: {},
      overrides: {
        http: { port: 0 },
        redis: { url: TEST_REDIS_URL, prefix: uniquePrefix() },
        store: { url: 'memory://' },
        smsc: { simulator: { port: 0, controlPort: null } },
        // The push of a first use waits for the debounce window to close: none here.
        provisioning: { debounceMs: 0 },
      },
    });
    gateway = await startGateway({ role: 'all', config, logger: logged.logger, varDir });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await rm(varDir, { recursive: true, force: true });
  });

  it('takes a first-use trigger over HTTP and delivers the push through the built-in simulator', async () => {
    const context = gateway.context!;
    const { key } = await createApiKey(context.db, { name: 'probe', role: 'network' });
    const subscriber = uniqueSubscriber();
    const response = await fetch(`${gateway.httpUrl}/v1/triggers/first-use`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 4242) }),
    });
    expect(response.status).toBe(202);
    const { outcome, provisioningId } = (await response.json()) as {
      outcome: string;
      provisioningId: string;
    };
    expect(outcome).toBe('queued');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = await context.provisioning.get(provisioningId);
      if (view && FINAL.includes(view.state)) {
        expect(view.state).toBe('delivered');
        break;
      }
      if (Date.now() > deadline) throw new Error(`still ${view?.state}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(gateway.simulator!.handset(subscriber.msisdn).count()).toBe(1);
    expect(await context.queues.ping()).toBe(true);
    expect(context.smsc?.status().some((bind) => bind.state === 'bound')).toBe(true);
    // The SMSC operators' view in Prometheus: the bind that carried the push, with its round trip.
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^otagw_smsc_bind_up\{smsc="[^"]+",bind="[^"]+",worker="[^"]+"\} 1$/m);
    expect(metrics).toMatch(
      /^otagw_smsc_submit_rtt_seconds\{smsc="[^"]+",bind="[^"]+",worker="[^"]+"\} [0-9.e-]+$/m,
    );
    expect(metrics).toMatch(
      /^otagw_smsc_submitted\{smsc="[^"]+",bind="[^"]+",worker="[^"]+"\} [1-9][0-9]*$/m,
    );
  });

  // Last: it stops the gateway.
  it('stops in order: HTTP, workers, SMPP unbind, simulator, events, queue, Redis connections, store; each step logged', async () => {
    const expected = [
      'http',
      'local admin endpoint',
      'workers',
      'smsc binds',
      'smsc simulator',
      'event bus',
      'queue',
      'redis connections',
      'store',
    ];
    // Redis is the shared test server here, so there is no embedded redis-server to stop.
    expect(gateway.shutdownSteps).toEqual(expected);
    expect(SHUTDOWN_ORDER.filter((step) => step !== 'redis-server')).toEqual(expected);
    await gateway.stop();
    const steps = logged.entries.filter((entry) => entry.msg === `shutdown: ${entry.step}`);
    expect(steps.map((entry) => entry.step)).toEqual(expected);
    // each step is logged when it starts, with its deadline, and when it is done, with how long it took
    expect(steps.every((entry) => typeof entry.deadlineMs === 'number')).toBe(true);
    const done = logged.entries.filter((entry) => entry.msg === `shutdown: ${entry.step} done`);
    expect(done.map((entry) => entry.step)).toEqual(expected);
    expect(done.every((entry) => typeof entry.elapsedMs === 'number')).toBe(true);
    expect(logged.entries.filter((entry) => / (failed|timed out)/.test(entry.msg))).toEqual([]);
    // The binds unbound while the simulator was still there to answer.
    expect(logged.entries.filter((entry) => entry.level >= 40)).toEqual([]);
    await gateway.stop(); // a second stop is the same, finished run
  }, 60_000);
});

describe('the api role over HTTP, configured (http.metricsAccess, http.rateLimit)', () => {
  let gateway: Gateway;
  let varDir: string;
  beforeAll(async () => {
    varDir = await mkdtemp(join(tmpdir(), 'otagw-gateway-var-'));
    const config = loadConfig({
      env: {},
      overrides: {
        http: { port: 0, metricsAccess: 'operator', rateLimit: { ratePerSecond: 0.001, burst: 2 } },
        redis: { url: TEST_REDIS_URL, prefix: uniquePrefix() },
        store: { url: 'memory://' },
      },
    });
    gateway = await startGateway({ role: 'api', config, logger: createLogger({ level: 'silent' }), varDir });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await rm(varDir, { recursive: true, force: true });
  });

  it('starts HTTP alone: no binds, no workers, no simulator', () => {
    expect(gateway.simulator).toBeUndefined();
    expect(gateway.worker).toBeUndefined();
    expect(gateway.context?.smsc).toBeUndefined();
    expect(gateway.shutdownSteps).toEqual([
      'http',
      'local admin endpoint',
      'event bus',
      'queue',
      'redis connections',
      'store',
    ]);
  });

  it('wants an operator key for /metrics, and limits that key to its burst', async () => {
    const db = gateway.context!.db;
    const network = (await createApiKey(db, { name: 'metrics-network', role: 'network' })).key;
    const operator = (await createApiKey(db, { name: 'metrics-operator', role: 'operator' })).key;
    const scrape = (key?: string) =>
      fetch(`${gateway.httpUrl}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect((await scrape()).status).toBe(401);
    expect((await scrape(network)).status).toBe(403);
    const first = await scrape(operator);
    expect(first.status).toBe(200);
    expect(await first.text()).toMatch(/^# TYPE otagw_provisionings_open gauge$/m);
    expect((await scrape(operator)).status).toBe(200);
    const limited = await scrape(operator);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(1);
  });
});
