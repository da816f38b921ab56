import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMemoryEventBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { DeviceResolution } from '../../src/devices/resolve-device.ts';
import { DeviceCache } from '../../src/provisioning/device-cache.ts';
import { GroupCommit } from '../../src/provisioning/group-commit.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { DefaultProvisioningService } from '../../src/provisioning/service.ts';
import type { ProvisioningError } from '../../src/provisioning/types.ts';
import { producerConnection } from '../../src/queues/connection.ts';
import { ProvisionQueue } from '../../src/queues/producers.ts';
import type { Db } from '../../src/store/db.ts';
import { describeEachStore, forEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };

describe('group commit', () => {
  it('writes items that arrive during a write together, and never two with one key in a batch', async () => {
    const batches: string[][] = [];
    const group = new GroupCommit<string, string>(
      async (items) => {
        batches.push(items);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return items.map((item) => ({ status: 'fulfilled', value: item.toUpperCase() }));
      },
      (item) => [item[0]!],
    );
    const results = await Promise.all(['a1', 'b1', 'a2', 'c1', 'b2'].map((item) => group.submit(item)));
    expect(results).toEqual(['A1', 'B1', 'A2', 'C1', 'B2']);
    expect(batches[0]).toEqual(['a1']);
    expect(batches[1]).toEqual(['b1', 'a2', 'c1']);
    expect(batches[2]).toEqual(['b2']);
  });

  it('gives each caller its own outcome, and a thrown write to the whole batch', async () => {
    let fail = false;
    const group = new GroupCommit<number, number>(
      async (items) => {
        if (fail) throw new Error('down');
        return items.map((item) =>
          item < 0
            ? { status: 'rejected', reason: new Error('negative') }
            : { status: 'fulfilled', value: item },
        );
      },
      () => [],
    );
    const outcomes = await Promise.allSettled([group.submit(1), group.submit(-1)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    fail = true;
    await expect(group.submit(2)).rejects.toThrow('down');
  });
});

describeEachStore('concurrent first-use triggers (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('records a burst of triggers as each would be alone, and every queued one is delivered', async () => {
    const moving = uniqueSubscriber();
    const first = await h.service.requestFirstUse({ ...moving, imei: imeiWith(TAC.nokiaN95, 500) }, NETWORK);
    expect(first.outcome).toBe('queued');
    const fresh = Array.from({ length: 12 }, () => uniqueSubscriber());
    for (const subscriber of fresh) h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const twice = uniqueSubscriber();
    const unsupported = uniqueSubscriber();
    const newOwner = { imsi: uniqueSubscriber().imsi, msisdn: moving.msisdn };
    const [burst, repeated, refused, moved] = await Promise.all([
      Promise.all(
        fresh.map((subscriber, index) =>
          h.service.requestFirstUse({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 600 + index) }, NETWORK),
        ),
      ),
      Promise.all([
        h.service.requestFirstUse({ ...twice, imei: imeiWith(TAC.nokiaN95, 700) }, NETWORK),
        h.service.requestFirstUse({ ...twice, imei: imeiWith(TAC.nokiaN95, 700) }, NETWORK),
      ]),
      h.service.requestFirstUse({ ...unsupported, imei: imeiWith(TAC.nokia3310, 701) }, NETWORK),
      h.service.requestFirstUse({ ...newOwner, imei: imeiWith(TAC.nokiaN95, 702) }, NETWORK),
    ]);
    expect(burst.map((result) => result.outcome)).toEqual(fresh.map(() => 'queued'));
    expect(repeated.map((result) => result.outcome).sort()).toEqual(['queued', 'unchanged']);
    expect(refused.outcome).toBe('unsupported-device');
    expect(moved.outcome).toBe('queued');

    const owners = await h.store.db.query<{ imsi: string; msisdn: string | null }>(
      `SELECT imsi, msisdn FROM subscribers WHERE imsi = ANY($1::text[]) ORDER BY imsi`,
      [[moving.imsi, newOwner.imsi].sort()],
    );
    expect(Object.fromEntries(owners.map((row) => [row.imsi, row.msisdn]))).toEqual({
      [moving.imsi]: null,
      [newOwner.imsi]: moving.msisdn,
    });
    const refusedView = await h.service.get(refused.provisioningId!);
    expect(refusedView?.state).toBe('failed');
    expect(refusedView?.failureCode).toBe('UNSUPPORTED_DEVICE');

    for (const result of burst) {
      const view = await h.waitForState(result.provisioningId!, FINAL);
      expect(view.state).toBe('delivered');
      expect(view.events.slice(0, 2).map((event) => event.toState)).toEqual(['requested', 'queued']);
    }
    const audited = await h.store.db.query(
      `SELECT 1 FROM audit_log WHERE action = 'provisioning.request' AND subject_id = ANY($1::text[])`,
      [burst.map((result) => result.provisioningId!)],
    );
    expect(audited).toHaveLength(burst.length);
  }, 60_000);

  it('a trigger that fails its batch fails alone: the others of the batch are recorded one by one', async () => {
    const badImei = imeiWith(TAC.nokiaN95, 900);
    class FailingForOneImei extends DeviceCache {
      override async resolve(db: Db, imei: string | null | undefined): Promise<DeviceResolution> {
        if (imei === badImei) throw new Error('catalogue unreadable for this one');
        return super.resolve(db, imei);
      }
    }
    const service = new DefaultProvisioningService({ ...h.deps, devices: new FailingForOneImei(null) });
    const subscribers = Array.from({ length: 5 }, () => uniqueSubscriber());
    // The first trigger is written at once, alone; the others wait and go together, the bad one among them.
    const outcomes = await Promise.allSettled(
      subscribers.map((subscriber, index) =>
        service.requestFirstUse(
          { ...subscriber, imei: index === 2 ? badImei : imeiWith(TAC.nokiaN95, 901 + index) },
          NETWORK,
        ),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ message: /catalogue unreadable/ });
    const recorded = await h.store.db.query<{ imsi: string }>(
      `SELECT s.imsi FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
       WHERE s.imsi = ANY($1::text[])`,
      [subscribers.map((subscriber) => subscriber.imsi)],
    );
    expect(recorded.map((row) => row.imsi).sort()).toEqual(
      subscribers
        .filter((_, index) => index !== 2)
        .map((subscriber) => subscriber.imsi)
        .sort(),
    );
  }, 60_000);
});

/** A port nobody listens on: Redis is "down". */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('a burst of triggers with Redis down', () => {
  let queue: ProvisionQueue;
  beforeAll(async () => {
    const connection = producerConnection({ url: `redis://127.0.0.1:${await closedPort()}` });
    connection.on('error', () => undefined);
    queue = new ProvisionQueue({
      connection,
      prefix: 'otagw-down',
      attempts: 1,
      backoffMs: 10,
      timeoutMs: 500,
    });
  });
  afterAll(async () => {
    await queue.close().catch(() => undefined);
  });

  forEachStore(({ db }) => {
    it('answers QUEUE_UNAVAILABLE to every trigger and records nothing', async () => {
      const config = loadConfig({ env: {}, overrides: { devices: { operatorDefault: null } } });
      const service = new DefaultProvisioningService({
        db: db(),
        config,
        queue,
        events: createMemoryEventBus(),
        metrics: createMetrics(),
        logger: createLogger({ level: 'silent' }),
        now: () => new Date(),
      });
      await seedAll(db(), config);
      const subscribers = Array.from({ length: 6 }, () => uniqueSubscriber());
      const errors = await Promise.all(
        subscribers.map((subscriber, index) =>
          service
            .requestFirstUse({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 80 + index) }, NETWORK)
            .catch((e: unknown) => e),
        ),
      );
      expect(errors.map((error) => (error as ProvisioningError).code)).toEqual(
        subscribers.map(() => 'QUEUE_UNAVAILABLE'),
      );
      const imsis = subscribers.map((subscriber) => subscriber.imsi);
      expect(
        await db().query(`SELECT 1 FROM subscribers WHERE imsi = ANY($1::text[])`, [imsis]),
      ).toHaveLength(0);
      expect(await db().query(`SELECT 1 FROM provisionings`)).toHaveLength(0);
    });
  });
});
