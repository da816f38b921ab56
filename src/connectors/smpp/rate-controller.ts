/**
 * AIMD pacing for one bind. ESME_RTHROTTLED / ESME_RMSGQFUL (docs/protocol.md §6.8–6.9) cut the rate
 * multiplicatively and remember a ceiling just under the rate that was too much: the rate actually
 * sustained before the answer (SendRateMeter, over the time the bind has been sending, so a burst after
 * idle is not taken for a low limit), never the allowed one alone. The rate then climbs back to the
 * ceiling within recoveryMs and probes above it by a few percent a second, so an SMSC limit is found again
 * within seconds (issue #15 item 5); it never falls below a floor (minRate, and a tenth of a configured
 * rate). One congestion event (a window full of throttled responses) counts once.
 *
 * A throttle is taken for a rate limit only when a large share of the recent answers were throttles
 * (AnswerShare, rateLimitShare): an SMSC that refuses a share of submits whatever the rate (the chaos
 * run's 10% random ESME_RTHROTTLED) is answered by sending the refused segments again, not by slowing
 * down, which would not make those throttles fewer and held the chaos run's bind at ~14/s. Against a
 * real limit the share grows with the overshoot, and the cut is based on the rate the SMSC accepted
 * (sent x (1 - share)), so one cut lands just under the limit. Pure: the clock is passed in.
 */
export interface AimdOptions {
  /** configured throughput; Infinity = none configured (the limit is then learnt from throttling) */
  maxRate: number;
  minRate: number;
  /** rate multiplier on throttling (0 < f < 1) */
  decreaseFactor: number;
  /** the ceiling remembered after throttling, as a fraction of the rate that was throttled */
  ceilingFactor: number;
  /** time to climb from the decreased rate back to the ceiling */
  recoveryMs: number;
  /** growth of the ceiling while nothing is throttled, as a fraction of itself per second */
  probeFractionPerSecond: number;
  /** throttling responses within this time after a decrease belong to the same congestion event */
  holdMs: number;
  /** with a configured rate, never below this fraction of it (one cut too many must not crawl) */
  floorFractionOfMax: number;
  /**
   * below this share of throttles among the recent answers, a throttle is not a rate limit: the rate
   * stays (the segment is sent again). Judged once AnswerShare.MIN_ANSWERS answers came; with no
   * answer recorded at all (a caller that does not record them), every throttle cuts.
   */
  rateLimitShare: number;
}

/** The pacing's defaults: the SMSC config's defaults (connectors/config.ts) and the floor no config sets. */
export const DEFAULT_AIMD: Readonly<Omit<AimdOptions, 'maxRate'>> = {
  minRate: 1,
  decreaseFactor: 0.5,
  ceilingFactor: 0.95,
  recoveryMs: 1000,
  probeFractionPerSecond: 0.1,
  holdMs: 200,
  floorFractionOfMax: 0.1,
  // 10% random throttles reach 32 of the last 128 answers about once in 10^7 answers (binomial tail)
  rateLimitShare: 0.25,
};

/** a throttle at no less than this share of the ceiling counts as hitting it */
const NEAR_CEILING = 0.8;

export class AimdRateController {
  private rate: number;
  private ceiling: number;
  private updatedAt: number;
  private lastDecreaseAt = -Infinity;
  private throttleEvents = 0;
  private ignoredThrottles = 0;
  private readonly answers = new AnswerShare();

  constructor(
    private readonly options: AimdOptions,
    now: number,
  ) {
    this.rate = options.maxRate;
    this.ceiling = options.maxRate;
    this.updatedAt = now;
  }

  /** the rate allowed now (Infinity while nothing limits it) */
  currentRate(now: number): number {
    this.advance(now);
    return this.rate;
  }

  get congestionEvents(): number {
    return this.throttleEvents;
  }

  /** throttles taken for an SMSC's random refusals, not a rate limit (the rate was left as it was) */
  get randomThrottles(): number {
    return this.ignoredThrottles;
  }

  /** One submit_sm_resp: `throttled` when it said ESME_RTHROTTLED. Feeds the share onThrottle reads. */
  recordAnswer(throttled: boolean): void {
    this.answers.record(throttled);
  }

  /**
   * The SMSC said "too fast". `observedRate` is what the bind actually sent over the last second; it
   * matters when no rate is configured or when sending was slower than allowed.
   * Returns true when this started a new congestion event (the rate was cut).
   */
  onThrottle(now: number, observedRate: number): boolean {
    this.advance(now);
    if (now - this.lastDecreaseAt < this.options.holdMs) return false;
    const share = this.answers.share();
    if (share !== undefined && (share < this.options.rateLimitShare || !this.answers.judgeable)) {
      this.ignoredThrottles++;
      return false;
    }
    const { decreaseFactor, ceilingFactor } = this.options;
    const floor = this.floor;
    // what the SMSC took of what was sent: against a limit, the limit itself
    const accepted = observedRate * (1 - (share ?? 0));
    const base = accepted > 0 ? Math.min(this.rate, accepted) : this.rate;
    const throttledAt = Number.isFinite(base) ? base : floor;
    // A large share of throttles (share known) is a rate limit wherever the rate is: the ceiling goes to
    // just under what the SMSC accepted, or the rate would climb back into the limit within recoveryMs.
    // Without answers to judge by, only a throttle that came while sending at (or near) the ceiling says
    // where the limit is; one well below it cuts the rate but keeps the ceiling, since lowering it to
    // what was sent then would ratchet it down throttle by throttle (the chaos run's 10% random
    // throttling held a bind at ~2/s that way).
    const nearCeiling =
      share !== undefined || !Number.isFinite(this.ceiling) || throttledAt >= this.ceiling * NEAR_CEILING;
    if (nearCeiling) this.ceiling = Math.max(floor, throttledAt * ceilingFactor);
    this.rate = Math.max(floor, throttledAt * decreaseFactor);
    this.lastDecreaseAt = now;
    this.updatedAt = now;
    this.throttleEvents++;
    return true;
  }

  /** the lowest rate a cut goes to */
  private get floor(): number {
    const { minRate, maxRate, floorFractionOfMax } = this.options;
    return Number.isFinite(maxRate) ? Math.max(minRate, maxRate * floorFractionOfMax) : minRate;
  }

  private advance(now: number): void {
    const elapsedSeconds = (now - this.updatedAt) / 1000;
    this.updatedAt = now;
    if (elapsedSeconds <= 0 || this.rate === Infinity) return;
    const { maxRate, recoveryMs, probeFractionPerSecond } = this.options;
    // probing above the ceiling starts once the rate is back at it: first recover, then look for more
    if (this.ceiling < maxRate && this.rate >= this.ceiling) {
      this.ceiling = Math.min(maxRate, this.ceiling * (1 + probeFractionPerSecond * elapsedSeconds));
    }
    if (this.rate < this.ceiling) {
      const climbPerSecond = (this.ceiling * 1000) / recoveryMs;
      this.rate = Math.min(this.ceiling, this.rate + climbPerSecond * elapsedSeconds);
    } else {
      this.rate = this.ceiling;
    }
  }
}

/**
 * The share of throttles among the last ANSWERS submit_sm_resp of a bind (a count, not a time window, so
 * that a bind sending slowly still has a share to judge by); undefined before the first answer, and
 * not judgeable before MIN_ANSWERS (two throttles among the first five answers say nothing).
 */
export class AnswerShare {
  private static readonly ANSWERS = 128;
  private static readonly MIN_ANSWERS = 16;
  private readonly throttledAt = new Array<boolean>(AnswerShare.ANSWERS).fill(false);
  private count = 0;
  private throttled = 0;

  record(throttled: boolean): void {
    const slot = this.count % AnswerShare.ANSWERS;
    if (this.count >= AnswerShare.ANSWERS && this.throttledAt[slot]) this.throttled--;
    this.throttledAt[slot] = throttled;
    if (throttled) this.throttled++;
    this.count++;
  }

  get judgeable(): boolean {
    return this.count >= AnswerShare.MIN_ANSWERS;
  }

  share(): number | undefined {
    if (this.count === 0) return undefined;
    return this.throttled / Math.min(this.count, AnswerShare.ANSWERS);
  }
}

/**
 * Sends per second over the last second, in ten 100 ms slots (a sliding window cheap enough to call per
 * PDU). Until the bind has been sending for a full second (since binding, or since a second or more of
 * idle), the rate is over the time it has been sending (at least one slot), so a burst right after
 * binding or after idle is not mistaken for a low rate: that mistake took 11 sends after idle for an
 * SMSC's limit (issue #15 item 5).
 */
export class SendRateMeter {
  private static readonly SLOT_MS = 100;
  private static readonly SLOTS = 10;
  private readonly counts = new Array<number>(SendRateMeter.SLOTS).fill(0);
  private currentSlot = 0;
  /** the slot sending (re)started in: the first send, or the first after a second without one */
  private activeSlot: number | undefined;
  private lastSlot = -Infinity;

  record(now: number): void {
    this.roll(now);
    if (this.currentSlot - this.lastSlot >= SendRateMeter.SLOTS) this.activeSlot = this.currentSlot;
    this.lastSlot = this.currentSlot;
    this.counts[this.currentSlot % SendRateMeter.SLOTS]++;
  }

  /** sends per second over the last second (over the time sending has gone on, when that is shorter) */
  rate(now: number): number {
    this.roll(now);
    let total = 0;
    for (const count of this.counts) total += count;
    if (this.activeSlot === undefined) return 0;
    const slotsSeen = Math.min(SendRateMeter.SLOTS, this.currentSlot - this.activeSlot + 1);
    return (total * SendRateMeter.SLOTS) / slotsSeen;
  }

  private roll(now: number): void {
    const slot = Math.floor(now / SendRateMeter.SLOT_MS);
    if (slot === this.currentSlot) return;
    const advance = Math.min(slot - this.currentSlot, SendRateMeter.SLOTS);
    for (let i = 1; i <= advance; i++) this.counts[(this.currentSlot + i) % SendRateMeter.SLOTS] = 0;
    this.currentSlot = slot;
  }
}

/** Exponential backoff with equal jitter: half the delay fixed, half random (AWS architecture blog). */
export function reconnectDelayMs(
  attempt: number,
  minMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const exponential = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return exponential / 2 + random() * (exponential / 2);
}
