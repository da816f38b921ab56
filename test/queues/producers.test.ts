import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMemoryEventBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { DefaultProvisioningService } from '../../src/provisioning/service.ts';
import { ProvisioningError } from '../../src/provisioning/types.ts';
import { jobPriority } from '../../src/queues/names.ts';
import { producerConnection } from '../../src/queues/connection.ts';
import { ProvisionQueue } from '../../src/queues/producers.ts';
import { forEachStore } from '../support/stores.ts';
import { imeiWith, TAC, uniqueSubscriber } from '../provisioning/harness.ts';

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

describe('job priorities', () => {
  it('puts care before first use before campaigns, then the group priority', () => {
    expect(jobPriority('care', 50)).toBeLessThan(jobPriority('first-use', 1));
    expect(jobPriority('first-use', 100)).toBeLessThan(jobPriority('campaign', 1));
    expect(jobPriority('first-use', 5)).toBeLessThan(jobPriority('first-use', 10));
    expect(jobPriority('campaign', 1)).toBeGreaterThanOrEqual(1);
  });
});

describe('producers fail fast when Redis is down', () => {
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

  it('rejects an add with QUEUE_UNAVAILABLE at once', async () => {
    const error = await queue
      .add({ provisioningId: 'x' }, { jobId: 'x', priority: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningError);
    expect((error as ProvisioningError).code).toBe('QUEUE_UNAVAILABLE');
    expect(await queue.ping()).toBe(false);
  });

  forEachStore(({ db }) => {
    it('records nothing when the job cannot be queued', async () => {
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
      const subscriber = uniqueSubscriber();
      await seedAll(db(), config);
      const error = await service
        .requestFirstUse({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 77) }, { name: 'network' })
        .catch((e: unknown) => e);
      expect((error as ProvisioningError).code).toBe('QUEUE_UNAVAILABLE');
      expect(await db().query(`SELECT 1 FROM subscribers WHERE imsi = $1`, [subscriber.imsi])).toHaveLength(
        0,
      );
      expect(await db().query(`SELECT 1 FROM provisionings`)).toHaveLength(0);
      expect(await db().query(`SELECT 1 FROM audit_log WHERE action = 'provisioning.request'`)).toHaveLength(
        0,
      );
    });
  });
});
