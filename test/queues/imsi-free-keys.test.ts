/**
 * Issue 15 #13: the IMSI never appears in Redis. A first-use trigger's idempotency key carries it, and
 * BullMQ names its job keys by the job id: the job id is that key's SHA-256, so neither the keys nor the
 * job hashes show the IMSI (a Redis dump or MONITOR is no subscriber register).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  TEST_REDIS_URL,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };

describeEachStore('no IMSI in Redis (%s store)', (kind) => {
  let h: Harness;
  let redis: Redis;
  beforeAll(async () => {
    h = await startHarness(kind);
    redis = new Redis(TEST_REDIS_URL);
  }, 30_000);
  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  it('neither in the keys nor in the values of a delivered first-use push', async () => {
    const subscribers = [uniqueSubscriber(), uniqueSubscriber(), uniqueSubscriber()];
    for (const [index, subscriber] of subscribers.entries()) {
      const outcome = await h.service.requestFirstUse(
        { ...subscriber, imei: imeiWith(TAC.nokiaN95, 7100 + index) },
        NETWORK,
      );
      await h.waitForState(outcome.provisioningId!, FINAL, 20_000);
    }
    const keys = await redis.keys(`${h.prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    const everything: string[] = [...keys];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') everything.push(...Object.values(await redis.hgetall(key)));
      else if (type === 'string') everything.push((await redis.get(key)) ?? '');
      else if (type === 'list') everything.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') everything.push(...(await redis.zrange(key, '0', '-1')));
      else if (type === 'set') everything.push(...(await redis.smembers(key)));
    }
    const text = everything.join('\n');
    for (const { imsi } of subscribers) expect(text).not.toContain(imsi);
    expect(keys.some((key) => /:[0-9a-f]{64}$/.test(key))).toBe(true);
  }, 60_000);
});
