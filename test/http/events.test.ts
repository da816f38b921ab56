import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus, GatewayEventListener } from '../../src/events/types.ts';
import { createApp } from '../../src/http/app.ts';
import { startApi, type ApiHarness } from './support/api-harness.ts';

/** An event bus that counts its subscribers, to see the stream let go of its subscription. */
class CountingBus implements EventBus {
  readonly listeners = new Set<GatewayEventListener>();
  publish(): void {}
  subscribe(listener: GatewayEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {}
}

describe('GET /v1/events', () => {
  let api: ApiHarness;
  let server: Server;
  let url: string;
  const bus = new CountingBus();
  beforeAll(async () => {
    api = await startApi();
    server = await new Promise((resolve) => {
      const listening = createApp({ ...api.context, events: bus }, { eventsHeartbeatMs: 20 }).listen(
        0,
        '127.0.0.1',
        () => resolve(listening),
      );
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await api?.close();
  });

  it('keeps the connection alive with comments and unsubscribes when the client goes away', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/events`, {
      headers: { Authorization: `Bearer ${api.keys.operator}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(bus.listeners.size).toBe(1);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/^retry: \d+/);
    controller.abort();
    for (let i = 0; i < 100 && bus.listeners.size > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(bus.listeners.size).toBe(0);
  });
});
