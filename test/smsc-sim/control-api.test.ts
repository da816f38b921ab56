import { afterEach, describe, expect, it } from 'vitest';
import {
  isLoopbackHost,
  SimulatorConfigError,
  startSmscSimulator,
  type SmscSimulator,
} from '../../src/smsc-sim/index.ts';
import { TestClient } from './smpp-test-client.ts';

let sim: SmscSimulator;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await sim?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are checked by the assertions
type Json = any;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(`${sim.controlUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

async function startFailure(options: Parameters<typeof startSmscSimulator>[0]): Promise<unknown> {
  try {
    sim = await startSmscSimulator(options);
  } catch (error) {
    return error;
  }
  throw new Error('the simulator started');
}

describe('control API', () => {
  it('is off unless a control port is given', async () => {
    sim = await startSmscSimulator();
    expect(sim.controlUrl).toBeUndefined();
  });

  it('reads and patches the behaviour', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    expect(sim.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const before = await call('GET', '/behaviour');
    expect(before.body.receiptFormat).toBe('both');
    const patched = await call('PATCH', '/behaviour', { receiptFormat: 'text', throttleTpsPerBind: 50 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ receiptFormat: 'text', throttleTpsPerBind: 50 });
    expect(sim.behaviour().receiptFormat).toBe('text');
  });

  it('refuses an invalid behaviour with 400 INVALID_BEHAVIOUR and changes nothing', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    const refused = await call('PATCH', '/behaviour', { receiptFormat: 'xml', receiptDelayMs: 10 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_BEHAVIOUR');
    expect(refused.body.error.details[0].path).toBe('receiptFormat');
    expect(sim.behaviour().receiptDelayMs).toBe(0);
  });

  it('refuses a body that is not JSON with 400 INVALID_JSON', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    const response = await fetch(`${sim.controlUrl}/behaviour`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error.code).toBe('INVALID_JSON');
  });

  it('reports counters after traffic', async () => {
    sim = await startSmscSimulator({
      controlPort: 0,
      behaviour: { destinationErrors: [{ prefix: '0', status: 'ESME_RINVDSTADR' }] },
    });
    const client = await TestClient.bound(sim.port);
    clients.push(client);
    await client.submit({});
    await client.submit({ destination_addr: '0123' });
    await client.waitForDeliveries(1);
    const counters = await call('GET', '/counters');
    expect(counters.body).toMatchObject({
      binds: { current: 1, total: 1 },
      submits: { received: 2, accepted: 1, rejected: 1 },
      receipts: { sent: 1 },
      errors: { ESME_RINVDSTADR: 1 },
    });
    expect(counters.body.throughput).toHaveProperty('submitsPerSecond');
    const binds = await call('GET', '/binds');
    expect(binds.body).toEqual([expect.objectContaining({ systemId: 'otagw', mode: 'transceiver' })]);
    const submitted = await call('GET', '/submitted?limit=5');
    expect(submitted.body).toHaveLength(1);
    expect(submitted.body[0].shortMessage).toBe(Buffer.from('hello').toString('hex'));
  });

  it('measures throughput over the last second', async () => {
    sim = await startSmscSimulator();
    const client = await TestClient.bound(sim.port);
    clients.push(client);
    await Promise.all(Array.from({ length: 20 }, () => client.submit({})));
    const deadline = Date.now() + 3000;
    while (sim.counters().throughput.submitsPerSecond === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { throughput } = sim.counters();
    expect(throughput.submitsPerSecond).toBeGreaterThan(0);
    expect(throughput.peakSubmitsPerSecond).toBeGreaterThanOrEqual(0);
  });

  it('injects MO and USSD', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    const client = await TestClient.bound(sim.port);
    clients.push(client);
    const sms = await call('POST', '/mo', { from: '447700900123', to: '2020', text: 'HELP' });
    expect(sms).toMatchObject({ status: 200, body: { delivered: true } });
    const ussd = await call('POST', '/mo', {
      from: '447700900123',
      to: '*100#',
      text: '*100#',
      ussd: { op: 'pssr-indication' },
    });
    expect(ussd.status).toBe(200);
    expect(client.delivered.map((pdu) => pdu.ussd_service_op)).toEqual([undefined, 1]);
  });

  it('answers 409 NO_RECEIVER_BIND for MO without a receiver, 400 VALIDATION_FAILED for a bad body', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    expect((await call('POST', '/mo', { from: '1', to: '2', text: 'x' })).body.error.code).toBe(
      'NO_RECEIVER_BIND',
    );
    const invalid = await call('POST', '/mo', { from: '1', text: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('drops connections on POST /drop', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    const client = await TestClient.bound(sim.port);
    clients.push(client);
    expect((await call('POST', '/drop')).body).toEqual({ dropped: 1 });
    await client.waitForClose();
  });

  it('registers subscribers and lists handsets', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    expect((await call('PUT', '/subscribers/447700900123', { imsi: '234150123456789' })).status).toBe(204);
    expect((await call('PUT', '/subscribers/447700900123', { imsi: 'abc' })).status).toBe(400);
    expect((await call('GET', '/handsets')).body).toEqual([]);
    const inbox = await call('GET', '/handsets/447700900123');
    expect(inbox.body).toEqual({ msisdn: '447700900123', received: 0, pushes: [], texts: [] });
  });

  it('answers 404 NOT_FOUND for unknown paths', async () => {
    sim = await startSmscSimulator({ controlPort: 0 });
    const response = await call('GET', '/nothing');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});

describe('control API token', () => {
  const TOKEN = 'c0ntrol-T0ken_for.tests~';
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers 401 without the token, and changes nothing', async () => {
    sim = await startSmscSimulator({ controlPort: 0, controlToken: TOKEN });
    const missing = await call('PATCH', '/behaviour', { receiptDelayMs: 10 });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('Bearer'), details: {} },
    });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="otagw-smsc-sim"');
    const wrong = await call('PATCH', '/behaviour', { receiptDelayMs: 10 }, bearer('not-the-token'));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'INVALID_CONTROL_TOKEN', details: {} });
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const basic = await call('GET', '/counters', undefined, { authorization: `Basic ${TOKEN}` });
    expect(basic.body.error.code).toBe('UNAUTHENTICATED');
    // unknown paths say nothing either
    expect((await call('GET', '/nothing')).status).toBe(401);
    expect(sim.behaviour().receiptDelayMs).toBe(0);
  });

  it('serves every route with the token', async () => {
    sim = await startSmscSimulator({ controlPort: 0, controlToken: TOKEN });
    const patched = await call('PATCH', '/behaviour', { receiptDelayMs: 10 }, bearer(TOKEN));
    expect(patched.status).toBe(200);
    expect(sim.behaviour().receiptDelayMs).toBe(10);
    expect((await call('GET', '/counters', undefined, bearer(TOKEN))).status).toBe(200);
    expect((await call('GET', '/nothing', undefined, bearer(TOKEN))).status).toBe(404);
  });

  it('refuses to start an open control API on a non-loopback control host', async () => {
    const error = await startFailure({ host: '0.0.0.0', controlHost: '0.0.0.0', controlPort: 0 });
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect((error as SimulatorConfigError).code).toBe('SIM_CONTROL_TOKEN_REQUIRED');
  });

  it('starts on a non-loopback host with a token, or without a control API', async () => {
    sim = await startSmscSimulator({ host: '0.0.0.0', controlPort: 0, controlToken: TOKEN });
    const port = new URL(sim.controlUrl!).port;
    const response = await fetch(`http://127.0.0.1:${port}/behaviour`, { headers: bearer(TOKEN) });
    expect(response.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/behaviour`)).status).toBe(401);
    await sim.close();
    sim = await startSmscSimulator({ host: '0.0.0.0', controlPort: null });
    expect(sim.controlUrl).toBeUndefined();
  });

  it('refuses a token that cannot travel as a bearer token', async () => {
    for (const controlToken of ['', 'has space', 'new\nline']) {
      const error = await startFailure({ controlPort: 0, controlToken });
      expect((error as SimulatorConfigError).code).toBe('SIM_INVALID_CONTROL_TOKEN');
    }
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'smsc-sim', '128.0.0.1', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
