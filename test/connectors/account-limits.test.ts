/**
 * An SMSC account's limits shared by several workers through Redis (connectors/account-limits/): two connectors,
 * each with a Redis connection of its own as two worker processes would have, bound to one simulator
 * account over real SMPP sockets.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSmscConfig, type SmscConfig, type SmscConfigInput } from '../../src/connectors/config.ts';
import { SharedTokenStock, type AccountTokens } from '../../src/connectors/account-limits/limits.ts';
import { redisAccountLimits } from '../../src/connectors/account-limits/redis-limits.ts';
import { SmppConnector } from '../../src/connectors/smpp/smpp-connector.ts';
import type { SegmentResult } from '../../src/connectors/types.ts';
import { producerConnection, waitReady } from '../../src/queues/connection.ts';
import { startSmscSimulator, type SimBehaviour, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TEST_REDIS_URL, uniquePrefix } from '../provisioning/harness.ts';
import { ACCOUNT, FAST_TIMERS, pushOf, sleep, waitFor } from './smpp/harness.ts';

interface Worker {
  id: string;
  redis: Redis;
  connector: SmppConnector;
}

let sim: SmscSimulator | undefined;
let workers: Worker[] = [];
afterEach(async () => {
  for (const worker of workers) {
    await worker.connector.stop();
    worker.redis.disconnect();
  }
  workers = [];
  await sim?.close();
  sim = undefined;
});

async function startSim(behaviour: Partial<SimBehaviour>): Promise<SmscSimulator> {
  sim = await startSmscSimulator({ accounts: [ACCOUNT], behaviour: { handsetEnabled: false, ...behaviour } });
  return sim;
}

function smscConfig(port: number, extra: Partial<SmscConfigInput>): SmscConfig {
  return parseSmscConfig({
    id: 'acct',
    host: '127.0.0.1',
    port,
    systemId: ACCOUNT.systemId,
    password: ACCOUNT.password,
    msgIdResp: 'dec',
    ...FAST_TIMERS,
    ...extra,
  });
}

/** A worker as the worker role builds it: its own Redis connection, the account's limits from Redis. */
async function startWorker(id: string, prefix: string, config: SmscConfig): Promise<Worker> {
  const redis = producerConnection({ url: TEST_REDIS_URL });
  await waitReady(redis, 5_000);
  const shared = redisAccountLimits(
    { redis, prefix, workerId: id, leaseTtlMs: 900, leaseRetryMs: 100 },
    config,
  );
  const connector = new SmppConnector(config, { shared });
  const worker = { id, redis, connector };
  workers.push(worker);
  await connector.start();
  return worker;
}

/** Submits accepted by the simulator in [from, to) per destination. */
function acceptedBetween(simulator: SmscSimulator, destination: string, from: number, to: number): number {
  return simulator
    .submitted()
    .filter((s) => s.destinationAddr === destination && s.receivedAt >= from && s.receivedAt < to).length;
}

/** The most submits the simulator accepted in any one second (sliding, 50 ms steps) in [from, to). */
function busiestSecond(simulator: SmscSimulator, from: number, to: number): number {
  const times = simulator
    .submitted()
    .map((s) => s.receivedAt)
    .filter((t) => t >= from && t < to);
  let most = 0;
  for (let start = from; start + 1000 <= to; start += 50) {
    most = Math.max(most, times.filter((t) => t >= start && t < start + 1000).length);
  }
  return most;
}

describe('an SMSC account shared by two workers', () => {
  it('two workers against a 200 TPS account send at most 200/s together, never throttled; one alone takes the whole rate', async () => {
    const simulator = await startSim({ throttleTpsPerSystem: 200 });
    const prefix = uniquePrefix();
    const config = smscConfig(simulator.port, { tps: 200, window: 50, queueTimeoutMs: 30_000 });
    const a = await startWorker('worker-a', prefix, config);
    const b = await startWorker('worker-b', prefix, config);
    const started = Date.now();
    // more than either can send in the run: both keep a full queue
    const sending: Array<Promise<SegmentResult[]>> = [];
    for (let i = 0; i < 4; i++) {
      sending.push(a.connector.submit(pushOf(`a${i}`, '447700900001', 255)));
      sending.push(b.connector.submit(pushOf(`b${i}`, '447700900002', 255)));
    }
    await sleep(1_000);
    const throttledAfterFirstSecond = a.connector.counters().throttled + b.connector.counters().throttled;
    await sleep(2_000);
    const together = Date.now();
    await a.connector.stop(); // what A had not sent fails as transient: stopping
    const stopped = Date.now();
    await sleep(2_500);
    const alone = Date.now();

    // both shared the account, neither starved
    const sentByA = acceptedBetween(simulator, '447700900001', started + 1000, together);
    const sentByB = acceptedBetween(simulator, '447700900002', started + 1000, together);
    expect(sentByA).toBeGreaterThan(120);
    expect(sentByB).toBeGreaterThan(120);
    // together at most the account's rate: 2 s of it, plus a bucket's burst
    expect(sentByA + sentByB).toBeLessThanOrEqual(2 * 200 + 20);
    expect(busiestSecond(simulator, started + 1000, alone)).toBeLessThanOrEqual(200 + 10);
    // and so the SMSC never had to say "too fast"
    expect(a.connector.counters().throttled + b.connector.counters().throttled).toBe(
      throttledAfterFirstSecond,
    );
    expect(simulator.counters().errors.ESME_RTHROTTLED ?? 0).toBe(0);
    // rebalanced: B alone gets the whole rate, about twice its share
    const aloneSeconds = (alone - stopped - 1000) / 1000;
    const sentByBAlone = acceptedBetween(simulator, '447700900002', stopped + 1000, alone);
    expect(sentByBAlone).toBeGreaterThan(0.85 * 200 * aloneSeconds);
    expect(sentByBAlone / aloneSeconds).toBeGreaterThan(1.5 * (sentByB / 2));
    await b.connector.stop();
    await Promise.all(sending);
  }, 20_000);

  it('three workers against a 500 TPS account send at most 500/s together and are never throttled', async () => {
    const simulator = await startSim({ throttleTpsPerSystem: 500 });
    const prefix = uniquePrefix();
    const config = smscConfig(simulator.port, { tps: 500, window: 100, queueTimeoutMs: 30_000 });
    const three = [
      await startWorker('worker-1', prefix, config),
      await startWorker('worker-2', prefix, config),
      await startWorker('worker-3', prefix, config),
    ];
    const started = Date.now();
    const sending = three.flatMap((worker, i) =>
      [0, 1, 2].map((n) => worker.connector.submit(pushOf(`w${i}-${n}`, `44770090000${i}`, 255))),
    );
    await sleep(3_000);
    const ended = Date.now();
    const perWorker = [0, 1, 2].map((i) => acceptedBetween(simulator, `44770090000${i}`, started, ended));
    for (const sent of perWorker) expect(sent).toBeGreaterThan(250);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual((500 * (ended - started)) / 1000 + 50);
    // Tokens are taken before the submit_sm is written and the simulator times arrivals: a submit that
    // waited for a window slot or a busy event loop arrives after its token, so a second of arrivals may
    // hold a little more than a second of tokens (528 seen in a CI run). The SMSC's own 500 TPS limit,
    // which never throttled, is the check that matters (below).
    expect(busiestSecond(simulator, started, ended)).toBeLessThanOrEqual(500 + 50);
    expect(simulator.counters().errors.ESME_RTHROTTLED ?? 0).toBe(0);
    for (const worker of three) await worker.connector.stop();
    await Promise.all(sending);
  }, 20_000);

  it('with maxBinds 1 only one worker binds; the other stands by and takes over when the first stops', async () => {
    const simulator = await startSim({});
    const prefix = uniquePrefix();
    const config = smscConfig(simulator.port, { maxBinds: 1 });
    const a = await startWorker('worker-a', prefix, config);
    const b = await startWorker('worker-b', prefix, config);
    expect(a.connector.status().map((s) => s.state)).toEqual(['bound']);
    expect(b.connector.status().map((s) => s.state)).toEqual(['standby']);
    await sleep(1_500); // several lease renewals and retries later, still one
    expect(simulator.binds()).toHaveLength(1);
    expect(b.connector.status()[0].state).toBe('standby');
    // a submit on the worker without a lease is refused at once (retried elsewhere), not queued
    const [refused] = await b.connector.submit(pushOf('b', '447700900002', 1));
    expect(refused).toMatchObject({ ok: false, outcome: 'transient' });

    await a.connector.stop();
    await waitFor('B bound', () => b.connector.status()[0].state === 'bound', 2_000);
    expect(simulator.binds()).toHaveLength(1);
    const [sent] = await b.connector.submit(pushOf('b', '447700900002', 1));
    expect(sent.ok).toBe(true);
  }, 15_000);

  it('a worker cut off from Redis loses its lease after the TTL and closes its bind; another takes it', async () => {
    const simulator = await startSim({});
    const prefix = uniquePrefix();
    const config = smscConfig(simulator.port, { maxBinds: 1 });
    const a = await startWorker('worker-a', prefix, config);
    const b = await startWorker('worker-b', prefix, config);
    expect(a.connector.status()[0].state).toBe('bound');
    a.redis.disconnect(); // as a dead worker: nothing renews its lease any more
    await waitFor('A gave its bind up', () => a.connector.status()[0].state !== 'bound', 2_000);
    expect(a.connector.status()[0].lastError).toMatch(/lease/);
    await waitFor('B bound', () => b.connector.status()[0].state === 'bound', 3_000);
    // never two at once: A closed before its lease could have expired in Redis
    expect(simulator.binds()).toHaveLength(1);
  }, 15_000);
});

describe('the account token bucket in Redis', () => {
  it('grants two takers no more than the rate over time plus its small capacity', async () => {
    const prefix = uniquePrefix();
    const config = smscConfig(2775, { tps: 500 });
    const connections = [
      producerConnection({ url: TEST_REDIS_URL }),
      producerConnection({ url: TEST_REDIS_URL }),
    ];
    try {
      await Promise.all(connections.map((redis) => waitReady(redis, 5_000)));
      const takers = connections.map(
        (redis, i) =>
          redisAccountLimits(
            { redis, prefix, workerId: `t${i}`, leaseTtlMs: 1000, leaseRetryMs: 100 },
            config,
          )!.tokens!,
      );
      const started = Date.now();
      let granted = 0;
      const seen = new Set<number>();
      await Promise.all(
        takers.map(async (taker) => {
          while (Date.now() - started < 1000) {
            const grant = await taker.take(10);
            granted += grant.granted;
            seen.add(grant.sharers);
            if (grant.granted === 0) await sleep(grant.waitMs);
          }
        }),
      );
      const elapsed = Date.now() - started;
      // capacity: 20 ms of 500/s = 10 tokens
      expect(granted).toBeLessThanOrEqual(Math.ceil((500 * elapsed) / 1000) + 10);
      expect(granted).toBeGreaterThan(400);
      expect(seen.has(2)).toBe(true);
    } finally {
      connections.forEach((redis) => redis.disconnect());
    }
  });
});

describe('SharedTokenStock', () => {
  it('takes tokens in batches and, while the bucket does not answer, paces at the rate split over the workers last seen', async () => {
    let clock = 0;
    let calls = 0;
    let failing = false;
    const source: AccountTokens = {
      rate: 100,
      async take(want) {
        calls++;
        if (failing) throw new Error('Redis away');
        return { granted: want, waitMs: 0, sharers: 4 };
      },
    };
    let refills = 0;
    const stock = new SharedTokenStock(source, {
      batch: 5,
      maxAgeMs: 100,
      onRefill: () => refills++,
      now: () => clock,
    });
    expect(stock.tryTake(50)).toBe(false); // asks for a batch
    await sleep(0);
    expect(refills).toBe(1);
    for (let i = 0; i < 5; i++) expect(stock.tryTake(50)).toBe(true);
    expect(calls).toBe(1); // five submits, one round trip
    expect(stock.tryTake(50)).toBe(false);
    await sleep(0);
    clock += 500; // unused for longer than maxAgeMs: dropped
    expect(stock.tryTake(50)).toBe(false);
    await sleep(0);

    failing = true;
    clock += 1000;
    let taken = 0;
    // one simulated second of asking: 100/s over the 4 workers last seen = 25
    for (let step = 0; step < 100; step++) {
      clock += 10;
      if (stock.tryTake(50)) taken++;
      await sleep(0);
      stock.stop(); // the retry timer; this test drives the clock itself
    }
    expect(taken).toBeGreaterThanOrEqual(20);
    expect(taken).toBeLessThanOrEqual(30);
  });
});
