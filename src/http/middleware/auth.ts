import { timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import {
  hashApiKey,
  looksLikeApiKey,
  touchApiKeys,
  verifyApiKey,
  type ApiKeyRecord,
} from '../../auth/api-keys.ts';
import { roleAllows, type Role } from '../../auth/roles.ts';
import type { ClientAuth } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { ApiError } from '../errors.ts';
import {
  DEFAULT_UNAUTHENTICATED_RATE_LIMIT,
  limitForKey,
  type RateLimitOptions,
  type TokenBucketLimiter,
} from './rate-limit.ts';

/** Who is calling, once authenticated. */
export interface Principal {
  /** The API key id ('local-cli' for the local admin secret). */
  id: string;
  /** The key's name: the actor in the audit log. */
  name: string;
  role: Role;
}

export interface AuthOptions {
  /**
   * Also accept the local admin secret from a loopback peer (the `otagw keys` command while the server
   * runs); it stands in for a client certificate too, as only the server's own host can read it.
   */
  local?: boolean;
}

export interface OpenOptions {
  /**
   * A liveness probe (/healthz): answered without a client certificate even under clientAuth all, since
   * load balancers and Docker HEALTHCHECK probes hold none.
   */
  probe?: boolean;
}

/** A route's guard; `role` null means the route is open to everyone. */
export interface AuthGuard extends Middleware {
  readonly role: Role | null;
  readonly options: AuthOptions;
  /** The http.tls.clientAuth settings under which this route asks for a client certificate. */
  readonly clientCertUnder: readonly ClientAuth[];
}

/** Network routes (triggers, device reports) under network and all; probes never; the rest under all. */
export function clientCertUnder(role: Role | null, probe: boolean): readonly ClientAuth[] {
  if (probe) return [];
  return role === 'network' ? ['network', 'all'] : ['all'];
}

/** Header carrying the local admin secret (see src/auth/local-admin.ts). */
export const LOCAL_ADMIN_HEADER = 'X-Otagw-Local-Admin';

/**
 * Verified keys are remembered for a few seconds so a busy key costs no store round trip per request.
 * A key revoked through this process is forgotten at once; one revoked through another process stops
 * working here within KEY_CACHE_TTL_MS.
 */
export const KEY_CACHE_TTL_MS = 5000;

export class ApiKeyCache {
  private readonly entries = new Map<string, { record: ApiKeyRecord; untilMs: number }>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly ttlMs = KEY_CACHE_TTL_MS,
  ) {}

  async lookup(presented: string): Promise<ApiKeyRecord | undefined> {
    if (!looksLikeApiKey(presented)) return undefined;
    const hash = hashApiKey(presented);
    const now = Date.now();
    const cached = this.entries.get(hash);
    if (cached && cached.untilMs > now) {
      const expiresAt = cached.record.expiresAt;
      return expiresAt === null || expiresAt.getTime() > now ? cached.record : undefined;
    }
    this.entries.delete(hash);
    const record = await verifyApiKey(this.db, presented);
    if (!record) return undefined;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(hash, { record, untilMs: now + this.ttlMs });
    // last_used_at is therefore accurate to the cache lifetime; failure to record it must not fail the call.
    touchApiKeys(this.db, [record.id]).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'api key touch failed'),
    );
    return record;
  }

  /** Forget a key (after revocation) so that it stops working at once in this process. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.record.id === keyId) this.entries.delete(hash);
  }
}

export interface GuardDependencies {
  keys: ApiKeyCache;
  /** Buckets per key id (limits: limitForKey) and, apart, per remote address before authentication. */
  limiter: TokenBucketLimiter;
  /** http.rateLimit; absent: the limiter's own rate for every key and no limit before authentication */
  limits?: RateLimitOptions;
  /** Which routes ask for a client certificate (see clientCertUnder). */
  clientAuth: ClientAuth;
  /** Throws a 401 unless the connection presented a valid client certificate (middleware/client-cert.ts). */
  checkClientCert: (socket: Context['req']['socket']) => void;
  /** Secret accepted from loopback peers on routes declared with `local`. */
  localAdminSecret?: string;
  /**
   * Told of each 401 the guard gives before it accepted a key, the local secret or (open routes) a client
   * certificate, and of each 429 of the per-address limit before authentication: counted and summarised
   * instead of audited one by one (audit-writer.ts).
   */
  onUnauthenticated?: (code: string, remoteAddress: string | undefined) => void;
}

/**
 * The guard, reporting its own 401s to onUnauthenticated: only the guard's (not those of the route after
 * it), and only while no principal is set (a key that was accepted is audited as its call).
 */
function reportingUnauthenticated(guard: Middleware, deps: GuardDependencies): Middleware {
  const report = deps.onUnauthenticated;
  if (!report) return guard;
  return async (ctx, next) => {
    let passed = false;
    try {
      await guard(ctx, () => {
        passed = true;
        return next();
      });
    } catch (error) {
      if (!passed && !ctx.state.principal && isRefusalBeforeAuthentication(error)) {
        report(error.code, ctx.req.socket.remoteAddress);
      }
      throw error;
    }
  };
}

/** A 401, or the 429 of the per-address limit: what anyone can make the guard answer without a key. */
export function isRefusalBeforeAuthentication(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    (error.status === 401 || (error.status === 429 && error.details.scope === 'address'))
  );
}

/** The key prefix of per-address buckets in the shared limiter (key ids are UUIDs: never this shape). */
const ADDRESS_BUCKET = 'address:';

/**
 * Before authentication (issue 15 #10): an address that earned its budget of 401s (limits.unauthenticated)
 * is answered 429 at once, without a key lookup, until its bucket refills.
 */
function refuseFloodingAddress(deps: GuardDependencies, address: string): void {
  if (!deps.limits) return;
  const limit = deps.limits.unauthenticated ?? DEFAULT_UNAUTHENTICATED_RATE_LIMIT;
  const waitSeconds = deps.limiter.wait(ADDRESS_BUCKET + address, limit);
  if (waitSeconds > 0)
    throw tooManyRequests('too many refused requests from this address', 'address', waitSeconds);
}

/** A 401 earned by this address: one token off its bucket. */
function chargeAddress(deps: GuardDependencies, address: string): void {
  if (!deps.limits) return;
  deps.limiter.take(
    ADDRESS_BUCKET + address,
    deps.limits.unauthenticated ?? DEFAULT_UNAUTHENTICATED_RATE_LIMIT,
  );
}

function tooManyRequests(message: string, scope: 'address' | 'key', waitSeconds: number): ApiError {
  return new ApiError(
    429,
    'RATE_LIMITED',
    message,
    { scope, retryAfterSeconds: waitSeconds },
    { 'Retry-After': String(Math.max(1, Math.ceil(waitSeconds))) },
  );
}

function bearerToken(ctx: Context): string | undefined {
  const header = ctx.get('Authorization');
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new ApiError(
      401,
      'UNAUTHENTICATED',
      'use Authorization: Bearer <api key>',
      {},
      { 'WWW-Authenticate': 'Bearer' },
    );
  }
  return match[1];
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The API key of the Bearer token: a 401 without one, or for a key unknown, revoked or expired. */
async function presentedKey(ctx: Context, keys: ApiKeyCache): Promise<ApiKeyRecord> {
  const token = bearerToken(ctx);
  if (token === undefined) {
    throw new ApiError(
      401,
      'UNAUTHENTICATED',
      'an API key is required: Authorization: Bearer <key>',
      {},
      { 'WWW-Authenticate': 'Bearer' },
    );
  }
  const record = await keys.lookup(token);
  if (!record) {
    throw new ApiError(
      401,
      'INVALID_API_KEY',
      'the API key is unknown, revoked or expired',
      {},
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    );
  }
  return record;
}

/** One request off the key's rate limit (its own, its role's, the default): a 429 with Retry-After when empty. */
function takeRequestToken(deps: GuardDependencies, record: ApiKeyRecord): void {
  const waitSeconds = deps.limits
    ? deps.limiter.take(record.id, limitForKey(deps.limits, record))
    : deps.limiter.take(record.id);
  if (waitSeconds > 0) throw tooManyRequests('too many requests for this API key', 'key', waitSeconds);
}

const LOCAL_PRINCIPAL: Principal = { id: 'local-cli', name: 'local-cli', role: 'admin' };

export function createGuards(deps: GuardDependencies): {
  auth: (role: Role, options?: AuthOptions) => AuthGuard;
  open: (options?: OpenOptions) => AuthGuard;
} {
  function auth(role: Role, options: AuthOptions = {}): AuthGuard {
    const certUnder = clientCertUnder(role, false);
    const needsClientCert = certUnder.includes(deps.clientAuth);
    const authenticate: Middleware = async (ctx, next) => {
      const localSecret = ctx.get(LOCAL_ADMIN_HEADER);
      if (options.local && localSecret && deps.localAdminSecret && isLoopback(ctx.req.socket.remoteAddress)) {
        if (!sameSecret(localSecret, deps.localAdminSecret)) {
          throw new ApiError(401, 'INVALID_LOCAL_SECRET', 'the local admin secret does not match');
        }
        ctx.state.principal = LOCAL_PRINCIPAL;
        await next();
        return;
      }
      // Before the API key: a caller without the certificate learns nothing about its key.
      if (needsClientCert) deps.checkClientCert(ctx.req.socket);
      const record = await presentedKey(ctx, deps.keys);
      const principal: Principal = { id: record.id, name: record.name, role: record.role };
      ctx.state.principal = principal;
      if (!roleAllows(record.role, role)) {
        throw new ApiError(
          403,
          'FORBIDDEN',
          `this route needs the ${role} role; the key has ${record.role}`,
          {
            required: role,
            role: record.role,
          },
        );
      }
      takeRequestToken(deps, record);
      await next();
    };
    const guard: Middleware = async (ctx, next) => {
      const address = ctx.req.socket.remoteAddress ?? 'unknown';
      refuseFloodingAddress(deps, address);
      try {
        await authenticate(ctx, next);
      } catch (error) {
        if (!ctx.state.principal && error instanceof ApiError && error.status === 401)
          chargeAddress(deps, address);
        throw error;
      }
    };
    return Object.assign(reportingUnauthenticated(guard, deps), {
      role,
      options,
      clientCertUnder: certUnder,
    });
  }

  function open(options: OpenOptions = {}): AuthGuard {
    const certUnder = clientCertUnder(null, options.probe === true);
    const needsClientCert = certUnder.includes(deps.clientAuth);
    const guard: Middleware = async (ctx, next) => {
      if (needsClientCert) deps.checkClientCert(ctx.req.socket);
      await next();
    };
    return Object.assign(reportingUnauthenticated(guard, deps), {
      role: null,
      options: {},
      clientCertUnder: certUnder,
    });
  }

  return { auth, open };
}
