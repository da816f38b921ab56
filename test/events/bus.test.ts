import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus, createRedisEventBus } from '../../src/events/bus.ts';
import type { GatewayEvent } from '../../src/events/types.ts';
import { TEST_REDIS_URL, uniquePrefix } from '../provisioning/harness.ts';

const EVENT: GatewayEvent = {
  type: 'provisioning.state',
  provisioningId: '00000000-0000-4000-8000-000000000001',
  subscriberId: '00000000-0000-4000-8000-000000000002',
  msisdn: '491700000001',
  from: 'submitted',
  to: 'delivered',
  cause: 'receipts',
  at: new Date(0).toISOString(),
};

function nextEvent(
  subscribe: (listener: (event: GatewayEvent) => void) => () => void,
): Promise<GatewayEvent> {
  return new Promise((resolve) => {
    const off = subscribe((event) => {
      off();
      resolve(event);
    });
  });
}

describe('event bus', () => {
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    connections.push(redis);
    return redis;
  };
  afterAll(() => {
    for (const connection of connections) connection.disconnect();
  });

  it('delivers in-process events to subscribers until they unsubscribe', async () => {
    const bus = createMemoryEventBus();
    const received = nextEvent((listener) => bus.subscribe(listener));
    bus.publish(EVENT);
    expect(await received).toEqual(EVENT);
  });

  it('over Redis, an event published by one process reaches the others (api and worker roles)', async () => {
    const channel = `${uniquePrefix()}:events`;
    const worker = await createRedisEventBus({ publisher: connect(), subscriber: connect(), channel });
    const api = await createRedisEventBus({ publisher: connect(), subscriber: connect(), channel });
    const atApi = nextEvent((listener) => api.subscribe(listener));
    const atWorker = nextEvent((listener) => worker.subscribe(listener));
    worker.publish(EVENT);
    expect(await atApi).toEqual(EVENT);
    expect(await atWorker).toEqual(EVENT);
    await worker.close();
    await api.close();
  });

  it('over Redis, the events of one turn go out as one message, in order; a lone event as an object', async () => {
    const channel = `${uniquePrefix()}:events`;
    const raw = connect();
    const messages: string[] = [];
    raw.on('message', (_channel: string, message: string) => messages.push(message));
    await raw.subscribe(channel);
    const publisher = await createRedisEventBus({ publisher: connect(), subscriber: connect(), channel });
    const listener = await createRedisEventBus({ publisher: connect(), subscriber: connect(), channel });
    const received: GatewayEvent[] = [];
    const all = new Promise<void>((resolve) =>
      listener.subscribe((event) => {
        received.push(event);
        if (received.length === 4) resolve();
      }),
    );
    const burst = ['queued', 'submitting', 'submitted'].map((to) => ({ ...EVENT, to }) as GatewayEvent);
    for (const event of burst) publisher.publish(event);
    await new Promise((resolve) => setTimeout(resolve, 50));
    publisher.publish(EVENT); // a later turn: a message of its own
    await all;
    expect(received.map((event) => (event as { to: string }).to)).toEqual([
      'queued',
      'submitting',
      'submitted',
      'delivered',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(messages).toHaveLength(2);
    expect(Array.isArray(JSON.parse(messages[0]))).toBe(true);
    expect(JSON.parse(messages[1])).toEqual(EVENT); // what a process of the version before reads
    await publisher.close();
    await listener.close();
  });

  it('never throws when Redis is gone: a live event is only a view', async () => {
    const publisher = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    publisher.on('error', () => undefined);
    connections.push(publisher);
    const bus = await createRedisEventBus({
      publisher,
      subscriber: connect(),
      channel: `${uniquePrefix()}:events`,
    });
    expect(() => bus.publish(EVENT)).not.toThrow();
    await bus.close();
  });
});
