/**
 * A smooth token bucket: tokens refill continuously at `ratePerSecond`, up to `capacity`. Unlike a
 * counter reset every second, it never lets a whole second's worth through in one burst.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Refills for the time since the last call; true when at least one whole token is there (not taken). */
  hasToken(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}

/** Bucket depth for a rate: `burstMs` worth of tokens, at least one. */
export function bucketCapacity(ratePerSecond: number, burstMs: number): number {
  return Math.max(1, (ratePerSecond * burstMs) / 1000);
}
