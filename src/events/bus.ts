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
    try {
      listeners.deliver(JSON.parse(message) as GatewayEvent);
    } catch (error) {
      logger?.warn({ err: error }, 'unreadable event on the event channel');
    }
  });
  await subscriber.subscribe(channel);
  return {
    publish: (event) => {
      publisher.publish(channel, JSON.stringify(event)).catch((error: unknown) => {
        logger?.debug({ err: error, type: event.type }, 'event not published (Redis unavailable)');
      });
    },
    subscribe: (listener) => listeners.add(listener),
    close: async () => {
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
