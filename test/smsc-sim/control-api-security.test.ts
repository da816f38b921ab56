/**
 * Issue 15 #12: the simulator's control API is a test tool. On loopback only (whatever the SMPP host),
 * a bearer token (generated and printed when none is configured, in `npm start` too), the Host header
 * checked against loopback names (DNS rebinding), JSON bodies only, and destination patterns that are
 * prefixes or globs: no regex from a caller ever runs on the thread.
 */
import { request } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { compilePattern, globMatches, parseBehaviourPatch } from '../../src/smsc-sim/behaviour.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/simulator.ts';
import { TestClient } from './smpp-test-client.ts';

const TOKEN = 'security-test-token';

/** A raw HTTP request, so the Host header is the test's to choose (fetch sets its own). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('the control API of a simulator with a token', () => {
  let sim: SmscSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('listens on loopback even when SMPP listens everywhere', async () => {
    sim = await startSmscSimulator({ host: '0.0.0.0', controlPort: 0, controlToken: TOKEN });
    expect(new URL(sim.controlUrl!).hostname).toBe('127.0.0.1');
  });

  it('answers loopback Host names only, before it looks at the token (421 HOST_NOT_ALLOWED)', async () => {
    sim = await startSmscSimulator({ controlPort: 0, controlToken: TOKEN });
    const port = new URL(sim.controlUrl!).port;
    for (const host of [
      'localhost',
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      '127.1.2.3',
      `[::1]:${port}`,
    ]) {
      expect((await raw(`${sim.controlUrl}/counters`, { headers: { ...auth, host } })).status, host).toBe(
        200,
      );
    }
    for (const host of ['evil.example', `rebind.example:${port}`, '10.0.0.1', 'localhost.evil.example']) {
      const answer = await raw(`${sim.controlUrl}/counters`, { headers: { host } });
      expect(answer.status, host).toBe(421);
      expect(JSON.parse(answer.body).error.code).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('asks for Authorization: Bearer with the token', async () => {
    sim = await startSmscSimulator({ controlPort: 0, controlToken: TOKEN });
    expect((await fetch(`${sim.controlUrl}/counters`)).status).toBe(401);
    expect(
      (await fetch(`${sim.controlUrl}/counters`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect((await fetch(`${sim.controlUrl}/counters`, { headers: { authorization: TOKEN } })).status).toBe(
      401,
    );
    expect((await fetch(`${sim.controlUrl}/counters`, { headers: auth })).status).toBe(200);
  });

  it('takes JSON bodies only (415), so no HTML form can post to it; a request without a body needs no type', async () => {
    sim = await startSmscSimulator({ controlPort: 0, controlToken: TOKEN });
    const patch = { receiptDelayMs: 7 };
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await fetch(`${sim.controlUrl}/behaviour`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': type },
        body: JSON.stringify(patch),
      });
      expect(response.status, type).toBe(415);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'UNSUPPORTED_MEDIA_TYPE',
      );
    }
    expect(sim.behaviour().receiptDelayMs).not.toBe(7);
    const json = await fetch(`${sim.controlUrl}/behaviour`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(patch),
    });
    expect(json.status).toBe(200);
    expect(sim.behaviour().receiptDelayMs).toBe(7);
    expect((await fetch(`${sim.controlUrl}/drop`, { method: 'POST', headers: auth })).status).toBe(200);
  });
});

describe('destination patterns', () => {
  it('refuses a regex in any rule: prefixes and globs only', () => {
    for (const rule of [
      { regex: '^(a+)+$', stat: 'UNDELIV' },
      { regex: '^4478', stat: 'UNDELIV' },
    ]) {
      expect(() => parseBehaviourPatch({ receiptOutcomes: [rule] })).toThrow(/INVALID|receiptOutcomes/);
    }
    expect(() =>
      parseBehaviourPatch({ destinationErrors: [{ regex: '(x+x+)+y', status: 'ESME_RINVDSTADR' }] }),
    ).toThrow();
    expect(() =>
      parseBehaviourPatch({ receiptOutcomes: [{ glob: 'x'.repeat(65), stat: 'UNDELIV' }] }),
    ).toThrow();
  });

  it('matches globs over the whole destination: * any run, ? one character', () => {
    expect(globMatches('4478*9', '447800000009')).toBe(true);
    expect(globMatches('4478*9', '447800000008')).toBe(false);
    expect(globMatches('4478*9', '4478009x')).toBe(false);
    expect(globMatches('44??1', '44001')).toBe(true);
    expect(globMatches('44??1', '440001')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('a*b*c', 'abc')).toBe(true);
    expect(compilePattern({ prefix: '4479' })('447912')).toBe(true);
  });

  it('a glob written to backtrack costs microseconds per destination, not seconds', () => {
    const matches = compilePattern({ glob: '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b' });
    const destination = 'a'.repeat(21);
    const started = performance.now();
    for (let i = 0; i < 10_000; i += 1) expect(matches(destination)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('the simulator applies a glob rule to submits', async () => {
    const sim = await startSmscSimulator({
      behaviour: { destinationErrors: [{ glob: '4478*9', status: 'ESME_RINVDSTADR' }] },
    });
    const client = await TestClient.bound(sim.port);
    try {
      expect((await client.submit({ destination_addr: '447800000009' })).command_status).toBe(0x0b);
      expect((await client.submit({ destination_addr: '447800000008' })).command_status).toBe(0);
    } finally {
      client.close();
      await sim.close();
    }
  });
});

describe('the simulator of `otagw start` (npm start)', () => {
  let gateway: Gateway | undefined;
  const said: string[] = [];
  afterAll(async () => {
    await gateway?.stop();
  });

  it('runs its control API with a generated token, printed at start, when none is configured', async () => {
    const config = loadConfig({ env: {}, overrides: { smsc: { simulator: { port: 0, controlPort: 0 } } } });
    expect(config.smsc.simulator.controlToken).toBeUndefined();
    gateway = await startGateway({
      role: 'smsc-sim',
      config,
      logger: createLogger({ level: 'silent' }),
      announce: (text: string) => said.push(text),
    });
    const controlUrl = gateway.simulator!.controlUrl!;
    expect(new URL(controlUrl).hostname).toBe('127.0.0.1');
    const printed = /Authorization: Bearer (\S+)\)/.exec(said.join('\n'));
    expect(printed).not.toBeNull();
    expect((await fetch(`${controlUrl}/counters`)).status).toBe(401);
    const counters = await fetch(`${controlUrl}/counters`, {
      headers: { authorization: `Bearer ${printed![1]}` },
    });
    expect(counters.status).toBe(200);
  }, 30_000);
});
