/**
 * The campaign feeder (worker role): moves a running campaign's pending targets to provisionings at the
 * campaign's pace, and watches its breaker and its end.
 *
 * - One feeder per campaign across processes: a Redis lease per campaign (SET NX PX, renewed by its
 *   holder); a process that dies loses it within `leaseMs` and another takes over.
 * - Exactly one push per (campaign, subscriber): each target's provisioning has the idempotency key
 *   `campaign.<campaign>.<subscriber>`, so a target fed again after a crash (its provisioning made, the
 *   target not yet linked) finds the same provisioning, and its job id is the same.
 * - Pace: a token bucket of pushes per second per lane (pacing.ts: one lane for `{ tps }`, one per SMSC
 *   for `{ shareOfSmsc }`, each target in the lane of the SMSC its number routes to), the SMS rate over the
 *   preview's SMS per push. Each lane reads the pending targets from a position of its own in the feed
 *   order and keeps only a few of its pushes waiting in the queue; nothing is fed while the live queue is
 *   deep: live traffic goes first (its jobs also have a higher priority, src/queues/names.ts jobPriority).
 * - Throughput: a round's requests run `requestsAtOnce` side by side; a bucket holds the tokens of a whole
 *   round, so a round slower than a tick loses none of its pace (it held half a second's: a round of a
 *   second fed at most half the pace).
 * - Campaign hours: only the groups whose window is open in their time zone are fed.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SmscRoutingConfig } from '../connectors/config.ts';
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
import { lanePlan, type LanePlan } from './pacing.ts';
import { smsPerPush } from './preview.ts';
import {
  breakerWindow,
  countCampaign,
  countInFlight,
  countSubmittedSince,
  countUnfinished,
  hasPendingTargets,
  linkTargets,
  listInFlightNumbers,
  listPendingTargets,
  listRunningCampaigns,
  skipTargets,
  type FeedPosition,
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
  /** provisioning requests in flight at once */
  requestsAtOnce?: number;
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
  /** the SMSCs and routes a `{ shareOfSmsc }` pacing takes its share of; else `config.smsc.routing` */
  smscRouting?: Pick<SmscRoutingConfig, 'smscs' | 'routes'>;
  config?: { smsc: { routing?: Pick<SmscRoutingConfig, 'smscs' | 'routes'> } };
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
 * Requests written at once, by default: each is a transaction whose job may start before it commits (the
 * worker then waits for the commit, holding a pooled connection). In the gateway (pool 10, the worker's 50
 * jobs beside) 16 at once fed less than 8 (bench:campaign --quick: 12.2 against 31.2 pushes/s); in a
 * test pipeline (pool 4) 24 at once fed more (31.5 against 19.5). `requestsAtOnce` sets it.
 */
const REQUESTS_AT_ONCE = 8;
/** Pending targets a lane reads per query when it looks for its own among the others'. */
const SCAN_ROWS = 1_000;
/** Reads per lane and round, at most. */
const SCANS_PER_ROUND = 3;
/** A lane that found nothing from the beginning to the end of the pending targets looks again after (at first). */
const EXHAUSTED_RECHECK_MS = 2_000;

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

/** One lane's token bucket and where it reads next. */
interface Lane {
  id: string;
  smsPerSecond: number;
  tokens: number;
  /** undefined: from the beginning of the feed order */
  cursor?: FeedPosition;
  /** a read from the beginning found none of the lane's targets then (ms) */
  exhaustedAt?: number;
  /** such reads in a row: a lane with no targets at all (an SMSC no target routes to) looks less often */
  emptyPasses: number;
}

interface Feed {
  plan: LanePlan;
  lanes: Map<string, Lane>;
  at: number;
  breakerCheckedAt: number;
  progressAt: number;
  /** how long a round of requests takes (s, a moving average) */
  roundSeconds: number;
}

export class CampaignFeeder {
  private readonly token = randomUUID();
  private readonly options: Required<FeederOptions>;
  private readonly buckets = new Map<string, Feed>();
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
      requestsAtOnce: options.requestsAtOnce ?? REQUESTS_AT_ONCE,
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

  /** The campaign's lanes and buckets (made on its first round here), refilled for the time since. */
  private feedOf(campaign: Campaign): Feed | undefined {
    const now = Date.now();
    let feed = this.buckets.get(campaign.id);
    if (!feed) {
      const routing = this.deps.smscRouting ?? this.deps.config?.smsc.routing;
      const plan = lanePlan(campaign.pacing, routing);
      if (!plan) {
        this.deps.logger.warn(
          { campaignId: campaign.id },
          'campaign feeder: a share of the SMSCs, but no SMSC with a tps is configured here',
        );
        return undefined;
      }
      const lanes = plan.lanes.map((lane): [string, Lane] => [
        lane.id,
        { ...lane, tokens: 0, emptyPasses: 0 },
      ]);
      feed = {
        plan,
        lanes: new Map(lanes),
        at: now,
        breakerCheckedAt: 0,
        progressAt: 0,
        roundSeconds: 0,
      };
      this.buckets.set(campaign.id, feed);
    }
    const perPush = smsPerPush(campaign.preview);
    // At most half a second of pushes at once (a campaign that waited, for a closed window or a deep live
    // queue, does not burst), or a round and a half when rounds take longer: no pace is lost to them.
    const holds = Math.max(0.5, 1.5 * feed.roundSeconds);
    for (const lane of feed.lanes.values()) {
      const pushesPerSecond = lane.smsPerSecond / perPush;
      const capacity = Math.max(1, pushesPerSecond * holds);
      lane.tokens = Math.min(capacity, lane.tokens + ((now - feed.at) / 1000) * pushesPerSecond);
    }
    feed.at = now;
    return feed;
  }

  private async feed(campaign: Campaign): Promise<void> {
    const feed = this.feedOf(campaign);
    if (!feed) return;
    if (await this.tripped(campaign, feed)) return;
    await this.progress(campaign, feed);
    const now = Date.now();
    const lanes = [...feed.lanes.values()];
    const ready = lanes.filter((lane) => lane.tokens >= 1 && !exhausted(lane, now));
    if (ready.length === 0) {
      if (lanes.every((lane) => exhausted(lane, now))) await this.completeIfDone(campaign);
      return;
    }
    const inFlight = await this.inFlightByLane(campaign, feed);
    if (await this.liveQueueDeep(inFlight.total)) return;
    const groups = await this.openGroups(campaign);
    if (groups?.length === 0) {
      await this.completeIfDone(campaign); // every group's hours closed: done only if nothing is left
      return;
    }
    const perPush = smsPerPush(campaign.preview);
    const targets: PendingTarget[] = [];
    for (const lane of ready) {
      // A few seconds of pushes waiting in the queue keep the SMSC busy without crowding it.
      const room =
        Math.max(10, Math.ceil((lane.smsPerSecond / perPush) * 2)) - (inFlight.byLane.get(lane.id) ?? 0);
      const wanted = Math.min(Math.floor(lane.tokens), room, this.options.maxBatch);
      if (wanted > 0) targets.push(...(await this.pendingOf(campaign.id, feed, lane, groups, wanted)));
    }
    if (targets.length === 0) {
      if (lanes.every((lane) => exhausted(lane, Date.now()))) await this.completeIfDone(campaign);
      return;
    }
    const handled = await this.request(campaign, feed, targets);
    for (const target of handled) feed.lanes.get(feed.plan.laneOf(target.msisdn ?? ''))!.tokens -= 1;
  }

  /**
   * Up to `wanted` pending targets of the lane, read from where it stopped (the feed order; groups
   * given: those only). At the end it starts again from the beginning; a read from the beginning to the
   * end that finds none marks the lane exhausted for a while.
   */
  private async pendingOf(
    campaignId: string,
    feed: Feed,
    lane: Lane,
    groups: string[] | null,
    wanted: number,
  ): Promise<PendingTarget[]> {
    const found: PendingTarget[] = [];
    const alone = feed.lanes.size === 1;
    for (let scan = 0; scan < SCANS_PER_ROUND && found.length < wanted; scan++) {
      const fromStart = lane.cursor === undefined;
      const size = alone ? wanted - found.length : SCAN_ROWS;
      const rows = await listPendingTargets(this.deps.db, campaignId, groups, size, lane.cursor);
      let read = 0;
      for (const row of rows) {
        if (found.length >= wanted) break;
        read++;
        if (alone || feed.plan.laneOf(row.msisdn ?? '') === lane.id) found.push(row);
      }
      if (read === rows.length && rows.length < size) {
        lane.cursor = undefined; // the end: the next read starts from the beginning
        if (fromStart && found.length === 0) {
          lane.exhaustedAt = Date.now();
          lane.emptyPasses++;
        }
        if (fromStart) break;
      } else {
        const last = rows[read - 1]!;
        lane.cursor = { groupName: last.groupName, subscriberId: last.subscriberId };
      }
    }
    if (found.length > 0) {
      lane.exhaustedAt = undefined;
      lane.emptyPasses = 0;
    }
    return found;
  }

  /** This campaign's pushes about to go out, per lane (one lane: just their count). */
  private async inFlightByLane(
    campaign: Campaign,
    feed: Feed,
  ): Promise<{ total: number; byLane: Map<string, number> }> {
    if (feed.lanes.size === 1) {
      const total = await countInFlight(this.deps.db, campaign.id);
      return { total, byLane: new Map([[feed.lanes.keys().next().value!, total]]) };
    }
    const numbers = await listInFlightNumbers(this.deps.db, campaign.id, 10_000);
    const byLane = new Map<string, number>();
    for (const msisdn of numbers) {
      const lane = feed.plan.laneOf(msisdn);
      byLane.set(lane, (byLane.get(lane) ?? 0) + 1);
    }
    return { total: numbers.length, byLane };
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

  /** What each request of the campaign carries for its content (fixed at creation, so kept). */
  private async contentOf(campaign: Campaign): Promise<ReturnType<typeof contentRequest>> {
    let content = this.contents.get(campaign.id);
    if (!content) {
      content = contentRequest(await resolveContent(this.deps.db, campaign.content));
      this.contents.set(campaign.id, content);
    }
    return content;
  }

  /** Hands the targets to the provisioning service; returns those it made or found a push for, or skipped. */
  private async request(
    campaign: Campaign,
    feed: Feed,
    targets: readonly PendingTarget[],
  ): Promise<PendingTarget[]> {
    const content = await this.contentOf(campaign);
    const actor: Actor = { name: `campaign:${campaign.id}`, role: 'system' };
    const started = performance.now();
    const outcomes = await settleEach(targets, this.options.requestsAtOnce, (target) => {
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
    const handled: PendingTarget[] = [];
    outcomes.forEach((outcome, index) => {
      const target = targets[index]!;
      const { subscriberId } = target;
      if (outcome.status === 'fulfilled') links.push({ subscriberId, provisioningId: outcome.value.id });
      else if (outcome.reason instanceof ProvisioningError && SKIPPING_CODES.has(outcome.reason.code))
        skips.push({ subscriberId, reason: outcome.reason.code });
      else {
        this.deps.logger.warn(
          { err: (outcome.reason as Error).message, campaignId: campaign.id },
          'campaign push not requested; retried',
        );
        return;
      }
      handled.push(target);
    });
    await linkTargets(this.deps.db, campaign.id, links);
    await skipTargets(this.deps.db, campaign.id, skips);
    feed.roundSeconds = movingAverage(feed.roundSeconds, (performance.now() - started) / 1000);
    return handled;
  }

  /** Once a second: pause the campaign when the receipts' failure rate crossed its breaker. */
  private async tripped(campaign: Campaign, bucket: Feed): Promise<boolean> {
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

  private async progress(campaign: Campaign, bucket: Feed): Promise<void> {
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

/** A lane that recently found nothing to read, from the beginning to the end (2 s, doubling to a minute). */
function exhausted(lane: Lane, now: number): boolean {
  if (lane.exhaustedAt === undefined) return false;
  const backoff = EXHAUSTED_RECHECK_MS * 2 ** Math.min(Math.max(0, lane.emptyPasses - 1), 5);
  return now - lane.exhaustedAt < backoff;
}

/** A moving average that follows a change within a few rounds (the first figure: itself). */
function movingAverage(average: number, figure: number): number {
  return average === 0 ? figure : average * 0.7 + figure * 0.3;
}
