/**
 * `pacing.shareOfSmsc` per SMSC (issue 12: "campaigns use at most that share of each SMSC's
 * throughput"): two simulator SMSCs of different tps behind the router, each number routed by its prefix;
 * the campaign's SMS at each SMSC, timed by that simulator, come to the share of that SMSC's tps (within
 * 10%), not a share of the summed tps split however the targets fall.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CampaignFeeder } from '../../src/campaigns/feeder.ts';
import { CampaignService } from '../../src/campaigns/service.ts';
import { workerConnection } from '../../src/queues/connection.ts';
import { TEST_REDIS_URL } from '../provisioning/harness.ts';
import type { SmscRoutingConfig } from '../../src/connectors/config.ts';
import { createSmscConnectors, type SmscRouter } from '../../src/connectors/index.ts';
import { simulatorRouting } from '../../src/main.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { smscRoutingSchema } from '../../src/connectors/config.ts';
import { describeEachStore } from '../support/stores.ts';
import { seedBase } from './base.ts';
import { ADMIN, FAST_FEEDER, GROUPS, PROFILE, startCampaignRun, type CampaignRun } from './run-harness.ts';

const SLOW = { id: 'slow', tps: 40, prefix: '49181' };
const FAST = { id: 'fast', tps: 120, prefix: '49182' };
const SHARE = 0.5;
const COUNT = 400;

/** SMS per second between the first and the last of these times, leaving out the first second. */
function steadyRate(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const from = sorted[0]! + 1_000;
  const measured = sorted.filter((time) => time >= from);
  return measured.length / ((measured[measured.length - 1]! - from) / 1000);
}

describeEachStore('campaign pacing: a share of each SMSC (%s)', (kind) => {
  let run: CampaignRun;
  let sims: SmscSimulator[] = [];
  let router: SmscRouter;
  let routing: SmscRoutingConfig;
  let feeder: CampaignFeeder | undefined;
  let redis: Redis | undefined;

  beforeAll(async () => {
    // No worker of the harness's own: the worker below sends through the two SMSCs.
    run = await startCampaignRun(kind, {
      count: COUNT,
      prefix: SLOW.prefix,
      feeder: false,
      harness: { workers: 0, provisioning: { workerConcurrency: 50 } },
    });
    await seedBase(run.harness.store.db, {
      count: COUNT,
      prefix: FAST.prefix,
      groups: GROUPS,
      profile: PROFILE,
    });
    sims = await Promise.all(
      [SLOW, FAST].map(() =>
        startSmscSimulator({ port: 0, behaviour: { receiptDelayMs: 5, handsetEnabled: false } }),
      ),
    );
    const smscs = [SLOW, FAST].map((smsc, index) => ({
      ...simulatorRouting('127.0.0.1', sims[index]!.port).smscs[0]!,
      id: smsc.id,
      tps: smsc.tps,
      responseTimeoutMs: 10_000,
      queueTimeoutMs: 30_000,
    }));
    routing = smscRoutingSchema.parse({
      smscs,
      routes: [
        { prefix: SLOW.prefix, smscIds: [SLOW.id] },
        { prefix: '', smscIds: [FAST.id] },
      ],
    });
    router = createSmscConnectors(routing);
    await router.start();
    run.harness.startWorker(router);
  }, 60_000);
  afterAll(async () => {
    await feeder?.stop();
    redis?.disconnect();
    await run?.close();
    await router?.stop().catch(() => undefined);
    await Promise.all(sims.map((sim) => sim.close().catch(() => undefined)));
  });

  it('sends each SMSC at most the share of its own tps', async () => {
    // The gateway's configuration names the two SMSCs: the share is taken of theirs.
    const { harness } = run;
    const config = { ...harness.config, smsc: { ...harness.config.smsc, routing } };
    const campaigns = new CampaignService({ ...harness.deps, config });
    redis = workerConnection({ url: TEST_REDIS_URL });
    redis.on('error', () => undefined);
    feeder = new CampaignFeeder(
      {
        ...harness.deps,
        config,
        redis,
        prefix: harness.prefix,
        provisioning: harness.service,
        campaigns,
        queueCounts: () => harness.queue.counts(),
        policies: harness.deps.policies!,
      },
      FAST_FEEDER,
    );
    feeder.start();
    // Half the targets route to each SMSC; one model, so every push takes the same SMS.
    const created = await campaigns.create(
      {
        name: 'share',
        selector: { models: ['N95'] },
        content: { kind: 'profile', profile: PROFILE },
        pacing: { shareOfSmsc: SHARE },
      },
      ADMIN,
    );
    expect(created.ratePerSecond).toBe(SHARE * (SLOW.tps + FAST.tps));
    await campaigns.start(created.id, ADMIN);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await campaigns.pause(created.id, ADMIN);
    const [slow, fast] = sims.map((sim) =>
      sim
        .submitted()
        .filter((segment) => segment.shortMessage !== null)
        .map((segment) => segment.receivedAt),
    );
    // Each number went to the SMSC of its prefix.
    for (const segment of sims[0]!.submitted())
      expect(segment.destinationAddr.startsWith(SLOW.prefix)).toBe(true);
    for (const segment of sims[1]!.submitted())
      expect(segment.destinationAddr.startsWith(FAST.prefix)).toBe(true);
    const slowRate = steadyRate(slow!);
    const fastRate = steadyRate(fast!);
    expect(slowRate).toBeGreaterThan(SHARE * SLOW.tps * 0.9);
    expect(slowRate).toBeLessThan(SHARE * SLOW.tps * 1.1);
    expect(fastRate).toBeGreaterThan(SHARE * FAST.tps * 0.9);
    expect(fastRate).toBeLessThan(SHARE * FAST.tps * 1.1);
  }, 60_000);
});
