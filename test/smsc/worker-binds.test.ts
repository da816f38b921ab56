/** Every worker's binds through Redis (src/smsc/worker-binds.ts), on the shared test Redis. */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { BindStatus } from '../../src/connectors/types.ts';
import { producerConnection, waitReady } from '../../src/queues/connection.ts';
import { listSmscBinds, WorkerBindsPublisher, workerKey } from '../../src/smsc/worker-binds.ts';
import { TEST_REDIS_URL, uniquePrefix } from '../provisioning/harness.ts';

function bind(bindId: string, state: BindStatus['state'], extra: Partial<BindStatus> = {}): BindStatus {
  return {
    smscId: 'acct',
    bindId,
    mode: 'trx',
    state,
    reconnects: 0,
    windowUsed: 0,
    windowSize: 10,
    currentTps: Infinity,
    sentPerSecond: 0,
    submitted: 0,
    throttled: 0,
    ...extra,
  };
}

const connections: Redis[] = [];
const publishers: WorkerBindsPublisher[] = [];
afterEach(async () => {
  for (const publisher of publishers.splice(0)) await publisher.stop();
  for (const redis of connections.splice(0)) redis.disconnect();
});

async function connect(): Promise<Redis> {
  const redis = producerConnection({ url: TEST_REDIS_URL });
  connections.push(redis);
  await waitReady(redis, 5_000);
  return redis;
}

describe("every worker's binds through Redis", () => {
  it("lists each worker's binds once, labelled by worker, its own from memory; a stopped worker drops out at once", async () => {
    const prefix = uniquePrefix();
    const redis = await connect();
    let ownState: BindStatus['state'] = 'bound';
    const own = { status: () => [bind('acct/0', ownState)] };
    const other = new WorkerBindsPublisher({
      redis: await connect(),
      prefix,
      workerId: 'worker-b',
      source: {
        status: () => [bind('acct/0', 'standby', { boundSince: new Date('2026-01-01T00:00:00Z') })],
        counters: () => ({ acct: { submitted: 7 } }),
      },
    });
    publishers.push(other);
    await other.publish();
    // this process publishes too (role all): its own entry must not be listed twice, nor stale
    const mine = new WorkerBindsPublisher({ redis, prefix, workerId: 'worker-a', source: own });
    publishers.push(mine);
    await mine.publish();
    ownState = 'reconnect-wait';

    const listing = await listSmscBinds({ smscBinds: { workerId: 'worker-a', local: own, redis, prefix } });
    expect(listing.complete).toBe(true);
    expect(listing.binds.map((b) => [b.workerId, b.state, b.currentTps])).toEqual([
      ['worker-a', 'reconnect-wait', null],
      ['worker-b', 'standby', null],
    ]);
    expect(listing.binds[1].boundSince).toBe('2026-01-01T00:00:00.000Z');
    expect(listing.workers.map((w) => [w.workerId, w.binds, w.counters])).toEqual([
      ['worker-a', 1, {}],
      ['worker-b', 1, { acct: { submitted: 7 } }],
    ]);

    await other.stop();
    const after = await listSmscBinds({ smscBinds: { workerId: 'api-1', redis, prefix } });
    expect(after.binds.map((b) => b.workerId)).toEqual(['worker-a']);
  });

  it("forgets a worker that stops publishing (a dead process) once its snapshot's TTL has passed", async () => {
    const prefix = uniquePrefix();
    const redis = await connect();
    const dying = new WorkerBindsPublisher({
      redis,
      prefix,
      workerId: 'worker-dead',
      source: { status: () => [bind('acct/0', 'bound')] },
      ttlMs: 300,
    });
    await dying.publish(); // and never again, as a killed process
    expect((await listSmscBinds({ smscBinds: { workerId: 'api', redis, prefix } })).binds).toHaveLength(1);
    await new Promise((done) => setTimeout(done, 400));
    expect(await redis.exists(workerKey(prefix, 'worker-dead'))).toBe(0);
    expect((await listSmscBinds({ smscBinds: { workerId: 'api', redis, prefix } })).binds).toEqual([]);
  });

  it('still lists its own binds when Redis does not answer, and says the list is incomplete', async () => {
    const redis = await connect();
    redis.disconnect();
    const listing = await listSmscBinds({
      smscBinds: {
        workerId: 'worker-a',
        local: { status: () => [bind('acct/0', 'bound')] },
        redis,
        prefix: uniquePrefix(),
      },
    });
    expect(listing.complete).toBe(false);
    expect(listing.binds.map((b) => b.workerId)).toEqual(['worker-a']);
  });

  it("without a view (a process with only a connector) lists that connector's binds as local", async () => {
    const listing = await listSmscBinds({ smsc: { status: () => [bind('sim/0', 'bound')] } });
    expect(listing.binds.map((b) => [b.workerId, b.bindId])).toEqual([['local', 'sim/0']]);
    expect(await listSmscBinds({})).toEqual({ binds: [], workers: [], complete: true });
  });
});
