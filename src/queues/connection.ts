/**
 * Redis connections for BullMQ. Producers fail fast (DESIGN house rule 8): no offline queue and one try
 * per command, so a request finds out at once that Redis is gone. Workers wait and recover: they keep
 * reconnecting forever (BullMQ requires maxRetriesPerRequest: null on blocking connections).
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  url: string;
}

const RECONNECT_MAX_MS = 2_000;

function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 10), RECONNECT_MAX_MS);
}

/** For Queue (producers): commands fail at once while disconnected. */
export function producerConnection(target: RedisTarget, extra: RedisOptions = {}): Redis {
  return new Redis(target.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy,
    lazyConnect: false,
    ...extra,
  });
}

/** For Worker, QueueEvents and subscribers: wait for Redis however long it takes. */
export function workerConnection(target: RedisTarget, extra: RedisOptions = {}): Redis {
  return new Redis(target.url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy,
    ...extra,
  });
}

/** Resolves when the connection is ready, rejects after timeoutMs. */
export async function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * Closes a connection for a shutdown: QUIT first, so commands already sent (the last event publications,
 * a job's completion) reach Redis; after `deadlineMs` (Redis gone or slow) it is dropped. Either way it
 * never reconnects, so a stopped gateway does not retry a stopped Redis.
 */
export async function closeConnection(redis: Redis, deadlineMs: number): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.quit().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
  }
  redis.disconnect();
}
