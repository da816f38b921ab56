/**
 * Per-key rate limiting with a token bucket held in memory. It is per process: with N api processes
 * behind a load balancer a key gets up to N times the rate. That is deliberate (no Redis round trip on
 * the hot path); put a shared limiter in front when the sum matters.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  ratePerSecond: number;
  /** Requests a key may send at once after being idle. */
  burst: number;
}

/** The default of http.rateLimit (src/config.ts; config/default.yaml sets it too). */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 5000, burst: 10_000 };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Idle buckets are dropped after this long (they are full again by then anyway). */
const IDLE_BUCKET_MS = 60_000;

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = 0;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key`: 0 when allowed, otherwise the seconds until the next token. */
  take(key: string): number {
    const now = this.nowMs();
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.options.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      const refill = ((now - bucket.updatedMs) / 1000) * this.options.ratePerSecond;
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + refill);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.options.ratePerSecond;
  }

  private sweep(now: number): void {
    if (now - this.lastSweepMs < IDLE_BUCKET_MS) return;
    this.lastSweepMs = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedMs > IDLE_BUCKET_MS) this.buckets.delete(key);
    }
  }
}
