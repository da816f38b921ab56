/**
 * A campaign over the whole pipeline: the provisioning harness (store, real Redis, the SMSC simulator
 * over real SMPP, workers), the subscriber base of base.ts, the campaign service and its feeder.
 */
import type { Redis } from 'ioredis';
import { CampaignFeeder, type FeederOptions } from '../../src/campaigns/feeder.ts';
import { CampaignService } from '../../src/campaigns/service.ts';
import type { CampaignDocument, CampaignStatus } from '../../src/campaigns/types.ts';
import { workerConnection } from '../../src/queues/connection.ts';
import type { SubmittedSegment } from '../../src/smsc-sim/index.ts';
import type { DbKind } from '../../src/store/db.ts';
import { startHarness, TEST_REDIS_URL, type Harness, type HarnessOptions } from '../provisioning/harness.ts';
import { seedBase } from './base.ts';

export const PROFILE = 'northwind-standard';
export const GROUPS = ['default', 'postpaid', 'corporate'] as const;
/** Every group sends at once: no quiet hours, no caps, no question first. */
export const OPEN_GROUPS = {
  default: { priority: 10 },
  // Six hours ahead of UTC all year (no DST): campaign hours open in UTC are closed here.
  postpaid: { priority: 20, timeZone: 'Asia/Dhaka' },
  corporate: { priority: 5 },
};
export const ADMIN = { name: 'test-admin', role: 'admin' };

export interface CampaignRun {
  harness: Harness;
  campaigns: CampaignService;
  /** the feeder of this process (started), unless told not to start one */
  feeder: CampaignFeeder | undefined;
  startFeeder(options?: FeederOptions): CampaignFeeder;
  create(document: Omit<CampaignDocument, 'name' | 'content'> & Partial<CampaignDocument>): Promise<string>;
  waitForState(id: string, states: readonly string[], timeoutMs?: number): Promise<CampaignStatus>;
  /** binary segments (pushes, not texts) the simulator took for these numbers, in order */
  pushSegments(msisdns?: ReadonlySet<string>): SubmittedSegment[];
  close(): Promise<void>;
}

export const FAST_FEEDER: FeederOptions = { tickMs: 25, leaseMs: 1_000, progressMs: 300 };

export async function startCampaignRun(
  kind: DbKind,
  /** feeder false: no feeder in this process (another process feeds) */
  options: { count: number; prefix: string; harness?: HarnessOptions; feeder?: FeederOptions | false },
): Promise<CampaignRun> {
  // Timeouts nearer the shipped ones than the provisioning harness's: on a busy machine a 2 s SMSC
  // timeout, or a lost-job sweep after 1 s in the queue (a campaign keeps a short queue of its own),
  // sends whole pushes again, which is the pipeline's retry and not what these tests are about.
  const harness = await startHarness(kind, {
    groups: OPEN_GROUPS,
    ...options.harness,
    smsc: { responseTimeoutMs: 10_000, queueTimeoutMs: 30_000, ...options.harness?.smsc },
    // Job locks as shipped too: a 1 s lock lapses while a busy PGlite keeps a job waiting, and the
    // job's second run resends its push.
    provisioning: {
      recoveryStaleMs: 60_000,
      lockDurationMs: 30_000,
      stalledIntervalMs: 15_000,
      ...options.harness?.provisioning,
    },
  });
  await seedBase(harness.store.db, {
    count: options.count,
    prefix: options.prefix,
    groups: GROUPS,
    profile: PROFILE,
  });
  const campaigns = new CampaignService(harness.deps);
  const connections: Redis[] = [];
  const feeders: CampaignFeeder[] = [];
  const startFeeder = (feederOptions: FeederOptions = options.feeder || FAST_FEEDER): CampaignFeeder => {
    const redis = workerConnection({ url: TEST_REDIS_URL });
    redis.on('error', () => undefined);
    connections.push(redis);
    const feeder = new CampaignFeeder(
      {
        ...harness.deps,
        redis,
        prefix: harness.prefix,
        provisioning: harness.service,
        campaigns,
        queueCounts: () => harness.queue.counts(),
        policies: harness.deps.policies!,
      },
      feederOptions,
    );
    feeder.start();
    feeders.push(feeder);
    return feeder;
  };
  const feeder = options.feeder === false ? undefined : startFeeder();
  return {
    harness,
    campaigns,
    feeder,
    startFeeder,
    create: async (document) => {
      const campaign = await campaigns.create(
        { name: 'run', content: { kind: 'profile', profile: PROFILE }, ...document },
        ADMIN,
      );
      return campaign.id;
    },
    waitForState: async (id, states, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await campaigns.get(id);
        if (states.includes(status.state)) return status;
        if (Date.now() > deadline)
          throw new Error(
            `campaign ${id} is ${status.state}, not ${states.join('|')}: ${JSON.stringify(status.counts)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    pushSegments: (msisdns) =>
      harness.sim
        .submitted()
        .filter(
          (segment) => segment.shortMessage !== null && (!msisdns || msisdns.has(segment.destinationAddr)),
        ),
    close: async () => {
      await Promise.allSettled(feeders.map((each) => each.stop()));
      for (const connection of connections) connection.disconnect();
      await harness.close();
    },
  };
}

/** Pushes (reassembled messages) each virtual handset holds. */
export function pushesPerHandset(harness: Harness, msisdns: readonly string[]): Map<string, number> {
  return new Map(msisdns.map((msisdn) => [msisdn, harness.sim.handset(msisdn).pushes().length]));
}
