import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';
import { readJson } from './support/api-harness.ts';

/** Reads an SSE stream until an event of `type` arrives; resolves with its data. */
async function nextEvent(body: ReadableStream<Uint8Array>, type: string): Promise<Record<string, unknown>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before a ${type} event`);
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      if (lines.includes(`event: ${type}`)) {
        reader.releaseLock();
        return JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice(6));
      }
    }
  }
}

describe('through HTTP to the handset: trigger, SSE receipt, timeline', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  let keys: { network: string; operator: string; care: string };
  beforeAll(async () => {
    h = await startHarness('pglite');
    const context: AppContext = {
      config: h.config,
      db: h.store.db,
      logger: createLogger({ level: 'silent' }),
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: h.connector,
      metrics: h.metrics.registry,
    };
    server = await new Promise((resolve) => {
      const listening = createApp(context).listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    keys = {
      network: (await createApiKey(h.store.db, { name: 'hlr', role: 'network' })).key,
      operator: (await createApiKey(h.store.db, { name: 'noc', role: 'operator' })).key,
      care: (await createApiKey(h.store.db, { name: 'agent', role: 'care' })).key,
    };
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await h?.close();
  });

  it('delivers a receipt event over SSE and shows the delivered push in the timeline', async () => {
    const controller = new AbortController();
    const events = await fetch(`${url}/v1/events?types=segment.receipt`, {
      headers: { Authorization: `Bearer ${keys.operator}` },
      signal: controller.signal,
    });
    expect(events.status).toBe(200);
    const receipt = nextEvent(events.body!, 'segment.receipt');

    const subscriber = uniqueSubscriber();
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const trigger = await fetch(`${url}/v1/triggers/first-use`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys.network}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 7001) }),
    });
    const accepted = await readJson(trigger);
    expect(trigger.status, JSON.stringify(accepted)).toBe(202);
    expect(accepted.outcome).toBe('queued');

    const event = await receipt;
    controller.abort();
    expect(event.provisioningId).toBe(accepted.provisioningId);
    expect(event.type).toBe('segment.receipt');

    const view = await h.waitForState(accepted.provisioningId, FINAL);
    expect(view.state).toBe('delivered');
    const timeline = await readJson(
      await fetch(`${url}/v1/subscribers/${subscriber.msisdn}`, {
        headers: { Authorization: `Bearer ${keys.care}` },
      }),
    );
    const entry = timeline.timeline[0];
    expect(entry.state).toBe('delivered');
    expect(entry.profileName).toBe('northwind-standard');
    expect(entry.segments.every((s: { receiptState: string }) => s.receiptState === 'DELIVRD')).toBe(true);
    const smsc = await readJson(
      await fetch(`${url}/v1/smsc`, { headers: { Authorization: `Bearer ${keys.operator}` } }),
    );
    expect(smsc.binds.some((b: { state: string }) => b.state === 'bound')).toBe(true);
  });
});
