/**
 * Event buses. The Redis one publishes on a pub/sub channel and delivers what it receives from that
 * channel, its own messages included, so every process (api, workers) sees every event exactly once.
 * Live events are a view, not a record (provisioning_events is the record): publishing never throws.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { EventBus, GatewayEvent, GatewayEventListener } from './types.ts';

class Listeners {
  private readonly set = new Set<GatewayEventListener>();
  constructor(private readonly logger?: Logger) {}
  add(listener: GatewayEventListener): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }
  deliver(event: GatewayEvent): void {
    for (const listener of this.set) {
      try {
        listener(event);
      } catch (error) {
        this.logger?.warn({ err: error }, 'event listener failed');
      }
    }
  }
}

/** One process only (tests, tools). */
export function createMemoryEventBus(logger?: Logger): EventBus {
  const listeners = new Listeners(logger);
  return {
    publish: (event) => queueMicrotask(() => listeners.deliver(event)),
    subscribe: (listener) => listeners.add(listener),
    close: async () => undefined,
  };
}

export interface RedisEventBusOptions {
  /** commands (PUBLISH) */
  publisher: Redis;
  /** a connection of its own: a subscribed connection takes no other commands */
  subscriber: Redis;
  channel: string;
  logger?: Logger;
}

export async function createRedisEventBus(options: RedisEventBusOptions): Promise<EventBus> {
  const { publisher, subscriber, channel, logger } = options;
  const listeners = new Listeners(logger);
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    let events: GatewayEvent | GatewayEvent[];
    try {
      events = JSON.parse(message) as GatewayEvent | GatewayEvent[];
    } catch (error) {
      logger?.warn({ err: error }, 'unreadable event on the event channel');
      return;
    }
    // a message is one event or, from a publisher that had several in one turn, an array of them
    for (const event of Array.isArray(events) ? events : [events]) listeners.deliver(event);
  });
  await subscriber.subscribe(channel);
  // Events published in one turn of the event loop go out as one message: a push's state changes come in
  // bursts (a batch of transitions announces each), and one PUBLISH per event was a Redis round trip and
  // a socket write each (bench:hot-path).
  let pending: GatewayEvent[] = [];
  const flush = (): void => {
    const batch = pending;
    pending = [];
    const message = JSON.stringify(batch.length === 1 ? batch[0] : batch);
    publisher.publish(channel, message).catch((error: unknown) => {
      logger?.debug({ err: error, events: batch.length }, 'events not published (Redis unavailable)');
    });
  };
  return {
    publish: (event) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push(event);
    },
    subscribe: (listener) => listeners.add(listener),
    close: async () => {
      if (pending.length > 0) flush();
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
