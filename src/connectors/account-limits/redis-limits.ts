/**
 * The account limits of limits.ts kept in Redis, so every worker bound to one SMSC account obeys them
 * together:
 * - bind leases: `<prefix>:smsc:<smscId>:lease:<1..maxBinds>`, each holding `<workerId>/<bindId>` with a
 *   TTL; taken with SET NX, renewed (PEXPIRE only while it is still ours) every third of the TTL, deleted
 *   on release. A worker that dies stops renewing and its lease expires after the TTL.
 * - the token bucket: `<prefix>:smsc:<smscId>:tokens` (tokens, last refill in Redis's own clock, so the
 *   workers' clocks do not matter), refilled at the account's tps up to a small capacity, tokens taken a
 *   few at a time in one Lua call; `<prefix>:smsc:<smscId>:takers` remembers who took tokens lately
 *   (how many workers share the account, for the local fallback while Redis is away).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SmscConfig } from '../config.ts';
import { smoothCapacity } from '../smpp/token-bucket.ts';
import type { AccountTokens, BindLease, SharedAccountLimits, TokenGrant } from './limits.ts';

/** KEYS: the lease keys; ARGV: owner, ttl ms. Returns the slot held (1-based), 0 when all are taken. */
const ACQUIRE_LEASE = `
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    return i
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then return i end
end
return 0`;

/** KEYS[1]: the lease; ARGV: owner, ttl ms. 1 when renewed, 0 when it is no longer ours. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS[1]: the lease; ARGV[1]: owner. Deletes it only when it is ours. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * KEYS: bucket, takers; ARGV: rate per second, capacity, tokens wanted, taker id, taker memory ms.
 * Returns { granted, ms until a token when none was granted, takers seen lately }.
 */
const TAKE_TOKENS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
redis.call('PEXPIRE', KEYS[2], 60000)
local wait = 0
if granted == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return { granted, wait, redis.call('ZCARD', KEYS[2]) }`;

export interface RedisLimitsOptions {
  /** a connection that fails fast (producerConnection): a bind must not wait on a Redis that is away */
  redis: Redis;
  prefix: string;
  /** names this process in lease values and among the token takers */
  workerId: string;
  /** how long a lease lives without renewal */
  leaseTtlMs: number;
  /** how long a bind without a lease waits before asking again */
  leaseRetryMs: number;
  logger?: Logger;
}

function accountKey(options: RedisLimitsOptions, smscId: string, what: string): string {
  return `${options.prefix}:smsc:${smscId}:${what}`;
}

class RedisBindLease implements BindLease {
  held = false;
  readonly retryMs: number;
  private slotKey: string | undefined;
  private validUntil = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<(reason: string) => void> = [];

  constructor(
    private readonly options: RedisLimitsOptions,
    private readonly slotKeys: string[],
    private readonly owner: string,
  ) {
    this.retryMs = options.leaseRetryMs;
  }

  async acquire(): Promise<boolean> {
    if (this.held) return true;
    const { redis, leaseTtlMs } = this.options;
    const askedAt = Date.now();
    const slot = Number(
      await redis.eval(ACQUIRE_LEASE, this.slotKeys.length, ...this.slotKeys, this.owner, leaseTtlMs),
    );
    if (slot < 1) return false;
    this.slotKey = this.slotKeys[slot - 1];
    this.held = true;
    this.validUntil = askedAt + leaseTtlMs;
    const renewEveryMs = Math.max(1, Math.floor(leaseTtlMs / 3));
    this.renewTimer = setInterval(() => void this.renew(renewEveryMs), renewEveryMs);
    this.renewTimer.unref();
    return true;
  }

  async release(): Promise<void> {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    const key = this.slotKey;
    const wasHeld = this.held;
    this.held = false;
    this.slotKey = undefined;
    if (!wasHeld || key === undefined) return;
    await this.options.redis.eval(RELEASE_LEASE, 1, key, this.owner).catch(() => undefined);
  }

  onLost(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  private async renew(renewEveryMs: number): Promise<void> {
    const key = this.slotKey;
    if (!this.held || key === undefined) return;
    const askedAt = Date.now();
    try {
      const renewed = await this.options.redis.eval(RENEW_LEASE, 1, key, this.owner, this.options.leaseTtlMs);
      if (Number(renewed) !== 1) return this.lose('bind lease taken over by another worker');
      this.validUntil = askedAt + this.options.leaseTtlMs;
    } catch {
      // Redis away: the lease may expire there while we cannot tell; give it up before it does.
      if (Date.now() >= this.validUntil - renewEveryMs) this.lose('bind lease not renewed in time');
    }
  }

  private lose(reason: string): void {
    if (!this.held) return;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.held = false;
    this.slotKey = undefined;
    this.options.logger?.warn({ owner: this.owner, reason }, 'bind lease lost');
    for (const listener of this.listeners) listener(reason);
  }
}

class RedisAccountTokens implements AccountTokens {
  readonly rate: number;
  private readonly capacity: number;

  constructor(
    private readonly options: RedisLimitsOptions,
    private readonly smsc: SmscConfig,
  ) {
    this.rate = smsc.tps;
    this.capacity = smoothCapacity(smsc.tps, smsc.pacingSmoothingMs);
  }

  async take(want: number): Promise<TokenGrant> {
    const { redis, workerId } = this.options;
    const reply = (await redis.eval(
      TAKE_TOKENS,
      2,
      accountKey(this.options, this.smsc.id, 'tokens'),
      accountKey(this.options, this.smsc.id, 'takers'),
      this.rate,
      this.capacity,
      want,
      workerId,
      5_000,
    )) as [number, number, number];
    return { granted: Number(reply[0]), waitMs: Number(reply[1]), sharers: Number(reply[2]) };
  }
}

/**
 * The limits of one SMSC account as the worker role injects them: leases when the SMSC says `maxBinds`,
 * the shared bucket when it says `tps`; undefined when it says neither.
 */
export function redisAccountLimits(
  options: RedisLimitsOptions,
  smsc: SmscConfig,
): SharedAccountLimits | undefined {
  const limits: SharedAccountLimits = {};
  const maxBinds = smsc.maxBinds;
  if (maxBinds !== undefined) {
    const slotKeys = Array.from({ length: maxBinds }, (_, i) =>
      accountKey(options, smsc.id, `lease:${i + 1}`),
    );
    limits.leaseFor = (bindId) => new RedisBindLease(options, slotKeys, `${options.workerId}/${bindId}`);
  }
  if (smsc.tps > 0) limits.tokens = new RedisAccountTokens(options, smsc);
  return limits.leaseFor || limits.tokens ? limits : undefined;
}
