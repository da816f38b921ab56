/**
 * A smooth token bucket: tokens accrue continuously at `ratePerSecond` and at most `capacity` are kept,
 * so sends are spread evenly instead of bursting at the start of each second. A rate of Infinity means
 * "no limit". The clock is passed in, which keeps this a pure piece.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private ratePerSecond: number,
    private capacity: number,
    now: number,
  ) {
    this.tokens = Math.min(1, capacity);
    this.updatedAt = now;
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  /** Changes the rate; tokens already earned are kept (up to the capacity). */
  setRate(ratePerSecond: number, capacity: number, now: number): void {
    this.refill(now);
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  tryTake(now: number): boolean {
    if (this.ratePerSecond === Infinity) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until one token is available (0 when one is available now). */
  msUntilAvailable(now: number): number {
    if (this.ratePerSecond === Infinity) return 0;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    if (this.ratePerSecond <= 0) return Infinity;
    return ((1 - this.tokens) * 1000) / this.ratePerSecond;
  }

  private refill(now: number): void {
    const elapsedMs = now - this.updatedAt;
    this.updatedAt = now;
    if (elapsedMs <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}

/**
 * Bucket capacity for a rate: enough tokens to cover `smoothingMs` of sending, so that timer lateness
 * does not lose throughput, but never a burst of more than that window (and at least one token).
 */
export function smoothCapacity(ratePerSecond: number, smoothingMs: number): number {
  if (ratePerSecond === Infinity) return Infinity;
  return Math.max(1, (ratePerSecond * smoothingMs) / 1000);
}
