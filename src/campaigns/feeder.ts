/**
 * The campaign feeder (worker role): moves a running campaign's pending targets to provisionings at the
 * campaign's pace, and watches its breaker and its end.
 *
 * - One feeder per campaign across processes: a Redis lease per campaign (SET NX PX, renewed by its
 *   holder); a process that dies loses it within `leaseMs` and another takes over.
 * - Exactly one push per (campaign, subscriber): each target's provisioning has the idempotency key
 *   `campaign.<campaign>.<subscriber>`, so a target fed again after a crash (its provisioning made, the
 *   target not yet linked) finds the same provisioning, and its job id is the same.
 * - Pace: a token bucket of pushes per second (the SMS rate over the preview's SMS per push). It keeps
 *   only a few of its pushes waiting in the queue, and feeds nothing while the live queue is deep: live
 *   traffic goes first (its jobs also have a higher priority, src/queues/names.ts jobPriority).
 * - Campaign hours: only the groups whose window is open in their time zone are fed.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventBus } from '../events/types.ts';
import type { Logger } from '../observability/logger.ts';
import {
  ProvisioningError,
  type Actor,
  type ProvisioningRequest,
  type ProvisioningService,
} from '../provisioning/types.ts';
import type { Db } from '../store/db.ts';
import type { GroupPolicies } from '../subscribers/group-policies.ts';
import { policyFor, policyTimeZone } from '../subscribers/policy.ts';
import { smsPerPush } from './preview.ts';
import {
  breakerWindow,
  countCampaign,
  countInFlight,
  countSubmittedSince,
  countUnfinished,
  hasPendingTargets,
  linkTargets,
  listPendingTargets,
  listRunningCampaigns,
  skipTargets,
  type PendingTarget,
} from './repository.ts';
import { contentRequest, type CampaignService } from './service.ts';
import { resolveContent } from './resolve.ts';
import type { Campaign } from './types.ts';
import { windowOpen } from './window.ts';

export interface FeederOptions {
  tickMs?: number;
  leaseMs?: number;
  /** how often a running campaign's counts go out as a campaign.progress event */
  progressMs?: number;
  /** live jobs waiting in the queue above which campaigns feed nothing */
  liveQueueYieldDepth?: number;
  /** most provisionings requested in one tick */
  maxBatch?: number;
}

export interface FeederDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  provisioning: ProvisioningService;
  campaigns: CampaignService;
  /** the provisioning queue's job counts (waiting, prioritized, ...) */
  queueCounts: () => Promise<Record<string, number>>;
  policies: GroupPolicies;
  events: EventBus;
  logger: Logger;
  now?: () => Date;
}

/** The feeder's own changes (breaker, completion) are audited under this actor. */
export const FEEDER_ACTOR: Actor = { name: 'campaign-feeder', role: 'system' };

/** Requests refused for the subscriber itself: the target is skipped with the code. */
const SKIPPING_CODES = new Set([
  'SUBSCRIBER_NOT_FOUND',
  'SUBSCRIBER_MISMATCH',
  'INVALID_REQUEST',
  'PROFILE_NOT_FOUND',
  // SL execute-high to a group whose policy does not allow it
  'CONTENT_NOT_ALLOWED',
]);

const RENEW_LEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Requests written at once: each is a transaction whose job may start before it commits (the worker
 * then waits for the commit); a few at a time keep the store's queue of transactions short.
 */
const REQUESTS_AT_ONCE = 8;

/** `run` over the items, at most `limit` at a time; the outcomes in the items' order. */
async function settleEach<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      outcomes[index] = await run(items[index]!).then(
        (value): PromiseSettledResult<R> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<R> => ({ status: 'rejected', reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return outcomes;
}

export function campaignIdempotencyKey(campaignId: string, subscriberId: string): string {
  return `campaign.${campaignId}.${subscriberId}`;
}

interface Bucket {
  tokens: number;
  at: number;
  breakerCheckedAt: number;
  progressAt: number;
}

export class CampaignFeeder {
  private readonly token = randomUUID();
  private readonly options: Required<FeederOptions>;
  private readonly buckets = new Map<string, Bucket>();
  private readonly contents = new Map<string, ReturnType<typeof contentRequest>>();
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: FeederDeps,
    options: FeederOptions = {},
  ) {
    this.options = {
      tickMs: options.tickMs ?? 200,
      leaseMs: options.leaseMs ?? 5_000,
      progressMs: options.progressMs ?? 5_000,
      liveQueueYieldDepth: options.liveQueueYieldDepth ?? 200,
      maxBatch: options.maxBatch ?? 200,
    };
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, this.options.tickMs);
  }

  /** Stops feeding and hands the leases back, so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled(
      [...this.buckets.keys()].map((id) =>
        this.deps.redis.eval(RELEASE_LEASE, 1, this.leaseKey(id), this.token),
      ),
    );
    this.buckets.clear();
  }

  /** One round over the running campaigns (exported for tests through `tick`). */
  async tick(): Promise<void> {
    let running: Campaign[];
    try {
      running = await listRunningCampaigns(this.deps.db);
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'campaign feeder: cannot list campaigns');
      return;
    }
    const ids = new Set(running.map((campaign) => campaign.id));
    for (const id of this.buckets.keys()) if (!ids.has(id)) this.buckets.delete(id);
    for (const id of this.contents.keys()) if (!ids.has(id)) this.contents.delete(id);
    for (const campaign of running) {
      if (this.stopped) return;
      try {
        if (await this.lease(campaign.id)) await this.feed(campaign);
        else this.buckets.delete(campaign.id);
      } catch (error) {
        this.deps.logger.warn(
          { err: (error as Error).message, campaignId: campaign.id },
          'campaign feeder: round failed',
        );
      }
    }
  }

  private leaseKey(campaignId: string): string {
    return `${this.deps.prefix}:campaign:${campaignId}:feeder`;
  }

  private async lease(campaignId: string): Promise<boolean> {
    const key = this.leaseKey(campaignId);
    const taken = await this.deps.redis.set(key, this.token, 'PX', this.options.leaseMs, 'NX');
    if (taken === 'OK') return true;
    return (await this.deps.redis.eval(RENEW_LEASE, 1, key, this.token, this.options.leaseMs)) === 1;
  }

  private bucketOf(campaign: Campaign, pushesPerSecond: number): Bucket {
    const now = Date.now();
    let bucket = this.buckets.get(campaign.id);
    if (!bucket) {
      bucket = { tokens: 0, at: now, breakerCheckedAt: 0, progressAt: 0 };
      this.buckets.set(campaign.id, bucket);
    }
    // At most half a second of pushes at once: a campaign that waited (a closed window, a deep live
    // queue) does not burst.
    const capacity = Math.max(1, pushesPerSecond / 2);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * pushesPerSecond);
    bucket.at = now;
    return bucket;
  }

  private async feed(campaign: Campaign): Promise<void> {
    const pushesPerSecond = campaign.ratePerSecond / smsPerPush(campaign.preview);
    const bucket = this.bucketOf(campaign, pushesPerSecond);
    if (await this.tripped(campaign, bucket)) return;
    await this.progress(campaign, bucket);
    if (bucket.tokens < 1) return;
    const inFlight = await countInFlight(this.deps.db, campaign.id);
    if (await this.liveQueueDeep(inFlight)) return;
    // A few seconds of pushes waiting in the queue keep the SMSC busy without crowding it.
    const room = Math.max(10, Math.ceil(pushesPerSecond * 2)) - inFlight;
    const wanted = Math.min(Math.floor(bucket.tokens), room, this.options.maxBatch);
    if (wanted <= 0) return;
    const groups = await this.openGroups(campaign);
    const targets =
      groups?.length === 0 ? [] : await listPendingTargets(this.deps.db, campaign.id, groups, wanted);
    if (targets.length === 0) {
      await this.completeIfDone(campaign);
      return;
    }
    bucket.tokens -= await this.request(campaign, targets);
  }

  /** Live jobs waiting (all waiting jobs but this campaign's own) above the yield depth. */
  private async liveQueueDeep(ownInFlight: number): Promise<boolean> {
    const counts = await this.deps.queueCounts();
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    return waiting - ownInFlight > this.options.liveQueueYieldDepth;
  }

  /** The groups whose campaign hours are open now; null: the campaign has no window. */
  private async openGroups(campaign: Campaign): Promise<string[] | null> {
    if (campaign.window === null) return null;
    const policies = await this.deps.policies.all();
    const now = this.now();
    return campaign.preview.byGroup
      .map((entry) => entry.key)
      .filter((group) => windowOpen(now, campaign.window, policyTimeZone(policyFor(policies, group))));
  }

  /** Hands the targets to the provisioning service; returns how many pushes it made or found. */
  /** What each request of the campaign carries for its content (fixed at creation, so kept). */
  private async contentOf(campaign: Campaign): Promise<ReturnType<typeof contentRequest>> {
    let content = this.contents.get(campaign.id);
    if (!content) {
      content = contentRequest(await resolveContent(this.deps.db, campaign.content));
      this.contents.set(campaign.id, content);
    }
    return content;
  }

  private async request(campaign: Campaign, targets: readonly PendingTarget[]): Promise<number> {
    const content = await this.contentOf(campaign);
    const actor: Actor = { name: `campaign:${campaign.id}`, role: 'system' };
    const outcomes = await settleEach(targets, REQUESTS_AT_ONCE, (target) => {
      const request: ProvisioningRequest = {
        msisdn: target.msisdn ?? undefined,
        reason: `campaign ${campaign.name}`,
        source: 'campaign',
        actor,
        idempotencyKey: campaignIdempotencyKey(campaign.id, target.subscriberId),
        campaignId: campaign.id,
        ...content,
      };
      return this.deps.provisioning.request(request);
    });
    const links: Array<{ subscriberId: string; provisioningId: string }> = [];
    const skips: Array<{ subscriberId: string; reason: string }> = [];
    outcomes.forEach((outcome, index) => {
      const subscriberId = targets[index]!.subscriberId;
      if (outcome.status === 'fulfilled') links.push({ subscriberId, provisioningId: outcome.value.id });
      else if (outcome.reason instanceof ProvisioningError && SKIPPING_CODES.has(outcome.reason.code))
        skips.push({ subscriberId, reason: outcome.reason.code });
      else
        this.deps.logger.warn(
          { err: (outcome.reason as Error).message, campaignId: campaign.id },
          'campaign push not requested; retried',
        );
    });
    await linkTargets(this.deps.db, campaign.id, links);
    await skipTargets(this.deps.db, campaign.id, skips);
    return links.length + skips.length;
  }

  /** Once a second: pause the campaign when the receipts' failure rate crossed its breaker. */
  private async tripped(campaign: Campaign, bucket: Bucket): Promise<boolean> {
    const now = Date.now();
    if (now - bucket.breakerCheckedAt < 1_000) return false;
    bucket.breakerCheckedAt = now;
    const { threshold, window } = campaign.breaker;
    // Only pushes that ended since the campaign last (re)started: a resume is a fresh start.
    const recent = await breakerWindow(this.deps.db, campaign.id, window, campaign.updatedAt);
    if (recent.finished < window || recent.failed / recent.finished <= threshold) return false;
    const figures = { ...recent, window, threshold, failureRate: recent.failed / recent.finished };
    await this.deps.campaigns.trip(campaign, figures, FEEDER_ACTOR);
    this.buckets.delete(campaign.id);
    return true;
  }

  private async completeIfDone(campaign: Campaign): Promise<void> {
    if (await hasPendingTargets(this.deps.db, campaign.id)) return;
    if ((await countUnfinished(this.deps.db, campaign.id)) > 0) return;
    await this.deps.campaigns.complete(campaign, FEEDER_ACTOR);
    this.buckets.delete(campaign.id);
  }

  private async progress(campaign: Campaign, bucket: Bucket): Promise<void> {
    const now = Date.now();
    if (now - bucket.progressAt < this.options.progressMs) return;
    bucket.progressAt = now;
    const [counts, recent] = await Promise.all([
      countCampaign(this.deps.db, campaign.id),
      countSubmittedSince(this.deps.db, campaign.id, 10),
    ]);
    this.deps.events.publish({
      type: 'campaign.progress',
      campaignId: campaign.id,
      state: campaign.state,
      counts: { ...counts },
      smsPerSecond: (recent / 10) * smsPerPush(campaign.preview),
      at: this.now().toISOString(),
    });
  }
}
