import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { ApiError } from '../errors.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { ApiKeyError } from '../../auth/api-keys.ts';
import { ProfileError } from '../../profiles/errors.ts';
import { ProvisioningError } from '../../provisioning/types.ts';
import { sqlState } from '../../store/db.ts';

/** Codes of errors thrown by the queue producers or Redis clients when Redis cannot be reached. */
const DEPENDENCY_DOWN_CODES = new Set([
  'QUEUE_UNAVAILABLE',
  'REDIS_UNAVAILABLE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTCONN',
  'EPIPE',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The status logged (never sent) for a request whose client went away before its answer, as nginx's 499:
 * nobody is there to read a 503, and the fault is not a backing service's.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The client closed the connection while we read its body: Node ends the request stream with
 * `Error('aborted')` code ECONNRESET (the same code a Redis socket reset has, hence the message check).
 */
export function isClientAbort(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = errorCode(error);
  return code === 'ECONNABORTED' || (code === 'ECONNRESET' && error.message === 'aborted');
}

/** The client's connection is gone: nothing we write reaches it. */
function clientGone(ctx: Context): boolean {
  return ctx.req.socket.destroyed || ctx.req.aborted;
}

/** Redis, the queue or the store is unreachable: the client may retry, nothing of ours is broken. */
export function isDependencyDown(error: unknown): boolean {
  if (!(error instanceof Error) || isClientAbort(error)) return false;
  const code = errorCode(error);
  if (code !== undefined && DEPENDENCY_DOWN_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (/Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(error.message)) return true;
  // node-postgres: the store's connection died mid-statement, or a client it broke is used again
  if (/Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(error.message)) {
    return true;
  }
  const state = sqlState(error);
  // SQLSTATE class 08 (connection exception) and 57P0x (server shutting down).
  return state !== undefined && (state.startsWith('08') || state.startsWith('57P0'));
}

const PROFILE_ERROR_STATUS: Record<string, number> = {
  UNKNOWN_REFERENCE: 404,
};

const PROVISIONING_ERROR_STATUS: Record<string, number> = {
  SUBSCRIBER_NOT_FOUND: 404,
  PROVISIONING_NOT_FOUND: 404,
  PROFILE_NOT_FOUND: 422,
  INVALID_REQUEST: 422,
  SUBSCRIBER_MISMATCH: 409,
  // Nothing was recorded: the caller retries (house rule 8).
  QUEUE_UNAVAILABLE: 503,
};

/** Errors the domain modules throw for caller mistakes, turned into ApiErrors; undefined for the rest. */
function fromDomainError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (isClientAbort(error)) {
    return new ApiError(CLIENT_CLOSED_REQUEST, 'CLIENT_CLOSED_REQUEST', 'the client closed the connection');
  }
  if (error instanceof ProfileError) {
    return new ApiError(PROFILE_ERROR_STATUS[error.code] ?? 422, error.code, error.message, error.details);
  }
  if (error instanceof ApiKeyError) return new ApiError(400, error.code, error.message);
  // A preview asked for something the codecs refuse (e.g. USERPIN without a PIN): the request's fault.
  if (error instanceof CodecError) return new ApiError(422, error.code, error.message);
  if (error instanceof ProvisioningError) {
    return new ApiError(
      PROVISIONING_ERROR_STATUS[error.code] ?? 422,
      error.code,
      error.message,
      error.details,
      error.code === 'QUEUE_UNAVAILABLE' ? { 'Retry-After': '1' } : {},
    );
  }
  if (isDependencyDown(error)) {
    return new ApiError(
      503,
      'DEPENDENCY_UNAVAILABLE',
      'a backing service (queue or store) is unavailable; retry later',
      {},
      { 'Retry-After': '1' },
    );
  }
  const state = sqlState(error);
  if (state === '23505') return new ApiError(409, 'CONFLICT', 'this already exists');
  if (state === '23503')
    return new ApiError(409, 'REFERENCE_CONFLICT', 'a referenced record is missing or still in use');
  // Class 22 (data exception): a value the column refuses, e.g. out of range; 23514: a CHECK constraint.
  if (state !== undefined && (state.startsWith('22') || state === '23514')) {
    return new ApiError(422, 'VALUE_REJECTED', 'a value was rejected by the store');
  }
  // Domain errors that say they are a caller's mistake (e.g. a service's `{ status: 409, code }`).
  const status = (error as { status?: unknown } | null)?.status;
  const code = errorCode(error);
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    code !== undefined &&
    error instanceof Error
  ) {
    const details = (error as { details?: unknown }).details;
    return new ApiError(
      status,
      code,
      error.message,
      typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {},
    );
  }
  return undefined;
}

export function renderError(error: unknown): ApiError {
  const known = fromDomainError(error);
  if (known) return known;
  // Koa/http-errors thrown by the framework itself (e.g. a malformed URL) expose a 4xx status.
  const status = (error as { status?: unknown; expose?: unknown } | null)?.status;
  const expose = (error as { expose?: unknown } | null)?.expose;
  if (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    expose === true &&
    error instanceof Error
  ) {
    return new ApiError(status, 'BAD_REQUEST', error.message);
  }
  return new ApiError(500, 'INTERNAL', 'internal error; the request id identifies it in the logs');
}

/** One line per request: at debug level, or warn for a 5xx; a client that went away at info, as 499. */
function logRequest(logger: Logger, ctx: Context, elapsedMs: number, wentAway: boolean): void {
  const status = wentAway ? CLIENT_CLOSED_REQUEST : ctx.status;
  const level = wentAway ? 'info' : ctx.status >= 500 ? 'warn' : 'debug';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      requestId: ctx.state.requestId,
      method: ctx.method,
      // The path may carry an MSISDN or IMEI, never an IMSI (IMSIs travel in bodies only).
      path: ctx.path,
      status,
      // what we would have answered (a 202 means it was recorded although the client never saw it)
      ...(wentAway ? { unsentStatus: ctx.status } : {}),
      actor: ctx.state.principal?.name,
      elapsedMs: Math.round(elapsedMs * 10) / 10,
    },
    wentAway ? 'http: client went away' : 'http',
  );
}

/**
 * The one place errors become responses. Handlers never catch; whatever they throw lands here.
 * Also renders the router's 404/405 in the same envelope, and logs one line per request. A request
 * whose client went away is answered nothing and logged as such (499), whatever the handler threw.
 */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, 'NOT_FOUND', `no route ${ctx.method} ${ctx.path}`);
      }
      if (ctx.status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (error) {
      const rendered = renderError(error);
      if (rendered.status === CLIENT_CLOSED_REQUEST || clientGone(ctx)) {
        ctx.respond = false;
        logRequest(logger, ctx, elapsedSince(started), true);
        return;
      }
      if (rendered.status >= 500 && rendered.code === 'INTERNAL') {
        logger.error(
          { err: error, requestId: ctx.state.requestId, method: ctx.method, path: ctx.path },
          'request failed',
        );
      }
      ctx.status = rendered.status;
      for (const [name, value] of Object.entries(rendered.headers)) ctx.set(name, value);
      ctx.body = { error: { code: rendered.code, message: rendered.message, details: rendered.details } };
    }
    logRequest(logger, ctx, elapsedSince(started), clientGone(ctx));
  };
}

function elapsedSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
