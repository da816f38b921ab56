/**
 * An SMSC account's limits belong to the account, not to one worker: its submit_sm per second (`tps`)
 * and the number of binds it allows at once (`maxBinds`) are shared by every worker bound to it. The
 * connector sees them through these two interfaces, injected by the worker role (src/main.ts) and
 * backed by Redis (redis-limits.ts). Without them (tests, the simulator role, a lone process) the
 * connector paces alone, as before.
 */
import { TokenBucket } from '../smpp/token-bucket.ts';

/**
 * The right to hold one bind open. A bind connects only while its lease is held; the lease is renewed
 * while held and lost when it cannot be (the worker died, or Redis was unreachable for longer than the
 * lease lives), and another worker may then take it.
 */
export interface BindLease {
  readonly held: boolean;
  /** how long to wait before asking again when every lease of the account is taken */
  readonly retryMs: number;
  /** true when held after the call (taken now, or held already) */
  acquire(): Promise<boolean>;
  /** gives it back at once, so another worker's bind may open without waiting for it to expire */
  release(): Promise<void>;
  /** called when a held lease was lost; the bind must close */
  onLost(listener: (reason: string) => void): void;
}

export interface TokenGrant {
  /** tokens taken from the account's bucket: that many submit_sm may be sent */
  granted: number;
  /** when none was granted: milliseconds until the bucket has one again */
  waitMs: number;
  /** workers that took tokens over the last few seconds (this one included) */
  sharers: number;
}

/** The account's token bucket, refilled at its tps; tokens are taken a few at a time. */
export interface AccountTokens {
  /** the account's submit_sm per second */
  readonly rate: number;
  take(want: number): Promise<TokenGrant>;
}

export interface SharedAccountLimits {
  /** one lease per bind (a transmitter, receiver or transceiver is one bind); absent: no limit */
  leaseFor?(bindId: string): BindLease;
  /** absent: the account's tps is paced by this process alone */
  tokens?: AccountTokens;
}

export interface TokenStockOptions {
  /** at most this many tokens per round trip to Redis */
  batch: number;
  /** tokens unused for this long are dropped, so an idle worker cannot burst on tokens taken earlier */
  maxAgeMs: number;
  /** called when tokens may have come in: the connector pumps its queue again */
  onRefill(): void;
  /** the clock (tests) */
  now?: () => number;
}

/**
 * This worker's stock of the account's tokens: taken from the shared bucket in small batches (fewer
 * round trips), used one per submit_sm. While the bucket cannot be reached, tokens come from a local
 * bucket at the account's rate divided by the number of workers last seen sharing it, so the account
 * is not overrun and sending does not stop.
 */
export class SharedTokenStock {
  private stock = 0;
  private stockAt = 0;
  private pending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private sharers = 1;
  private fallback: TokenBucket | undefined;
  private readonly now: () => number;

  constructor(
    private readonly source: AccountTokens,
    private readonly options: TokenStockOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Takes one token; false: none now, and onRefill is called once there may be. */
  tryTake(wanted: number): boolean {
    const now = this.now();
    if (this.stock > 0 && now - this.stockAt > this.options.maxAgeMs) this.stock = 0;
    if (this.stock >= 1) {
      this.stock -= 1;
      return true;
    }
    this.refill(wanted);
    return false;
  }

  /** A token taken but not used (no bind could send): kept for the next submit. */
  giveBack(): void {
    this.stock += 1;
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private refill(wanted: number): void {
    if (this.pending || this.retryTimer) return;
    this.pending = true;
    const want = Math.max(1, Math.min(this.options.batch, Math.ceil(wanted)));
    this.source.take(want).then(
      (grant) => {
        this.fallback = undefined;
        this.sharers = Math.max(1, grant.sharers);
        this.settle(grant.granted, grant.waitMs);
      },
      () => this.settleLocally(want),
    );
  }

  private settle(granted: number, waitMs: number): void {
    this.pending = false;
    if (granted > 0) {
      this.stock += granted;
      this.stockAt = this.now();
      this.options.onRefill();
      return;
    }
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.options.onRefill();
      },
      Math.max(1, Math.ceil(waitMs)),
    );
    this.retryTimer.unref?.();
  }

  private settleLocally(want: number): void {
    const now = this.now();
    const rate = this.source.rate / this.sharers;
    this.fallback ??= new TokenBucket(rate, Math.max(1, this.options.batch), now);
    let granted = 0;
    while (granted < want && this.fallback.tryTake(now)) granted++;
    this.settle(granted, granted > 0 ? 0 : this.fallback.msUntilAvailable(now));
  }
}
