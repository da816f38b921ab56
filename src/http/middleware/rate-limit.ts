import type { Role } from '../../auth/roles.ts';

/**
 * Rate limiting with token buckets held in memory. It is per process: with N api processes behind a
 * load balancer a key gets up to N times the rate. That is deliberate (no Redis round trip on the hot
 * path); put a shared limiter in front when the sum matters.
 */
export interface RateLimit {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Requests at once after being idle. */
  burst: number;
}

/**
 * http.rateLimit (issue 15 #11). A key's limit is the one of its name in `keys`, else its role's in
 * `roles` capped by ratePerSecond/burst (limitForKey). `unauthenticated` is each remote address's budget of refusals
 * before authentication (issue 15 #10): every 401 it earns takes a token, and an address whose bucket
 * is empty is answered 429 before its key is even looked at.
 */
export interface RateLimitOptions extends RateLimit {
  roles?: Partial<Record<Role, RateLimit>>;
  /** By API key name: a key's own limit, whatever its role. */
  keys?: Record<string, RateLimit>;
  unauthenticated?: RateLimit;
}

/** The default of http.rateLimit for a role or key without one of its own (src/config.ts). */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 5000, burst: 10_000 };

/**
 * Per role, per key and process: people (care, operators) click and script, 200/s is far above either;
 * network elements carry the traffic; admins import and export.
 */
export const DEFAULT_ROLE_RATE_LIMITS: Readonly<Record<Role, RateLimit>> = Object.freeze({
  care: { ratePerSecond: 200, burst: 1000 },
  operator: { ratePerSecond: 200, burst: 1000 },
  admin: { ratePerSecond: 1000, burst: 2000 },
  network: { ratePerSecond: 5000, burst: 10_000 },
});

/** Refusals before authentication one address may earn: a client with a typo sees its 401s, a flood its 429s. */
export const DEFAULT_UNAUTHENTICATED_RATE_LIMIT: RateLimit = { ratePerSecond: 10, burst: 300 };

/**
 * The limit of one key: its own by name, as given; else its role's, capped by ratePerSecond/burst (the
 * most any key gets unless named: a deployment that lowers those lowers every role).
 */
export function limitForKey(options: RateLimitOptions, key: { name: string; role: Role }): RateLimit {
  const own = options.keys?.[key.name];
  if (own) return own;
  const role = options.roles?.[key.role];
  if (!role) return options;
  return {
    ratePerSecond: Math.min(role.ratePerSecond, options.ratePerSecond),
    burst: Math.min(role.burst, options.burst),
  };
}

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
    private readonly options: RateLimit,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key` (at `limit`, default the limiter's): 0 when allowed, else seconds until the next token. */
  take(key: string, limit: RateLimit = this.options): number {
    const bucket = this.refilled(key, limit);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / limit.ratePerSecond;
  }

  /** Like take, without taking: 0 while `key` has a token left. */
  wait(key: string, limit: RateLimit = this.options): number {
    const bucket = this.refilled(key, limit);
    return bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / limit.ratePerSecond;
  }

  private refilled(key: string, limit: RateLimit): Bucket {
    const now = this.nowMs();
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      const refill = ((now - bucket.updatedMs) / 1000) * limit.ratePerSecond;
      bucket.tokens = Math.min(limit.burst, bucket.tokens + refill);
      bucket.updatedMs = now;
    }
    return bucket;
  }

  private sweep(now: number): void {
    if (now - this.lastSweepMs < IDLE_BUCKET_MS) return;
    this.lastSweepMs = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedMs > IDLE_BUCKET_MS) this.buckets.delete(key);
    }
  }
}
