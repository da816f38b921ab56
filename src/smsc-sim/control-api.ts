import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import Router from '@koa/router';
import { z } from 'zod';
import { BehaviourError } from './behaviour.ts';
import { dmControlRoutes } from './dm-control.ts';
import { DmHandsetError } from './dm-handset.ts';
import { MoError, USSD_SERVICE_OPS, type UssdServiceOp } from './mo.ts';
import { isLoopbackHost, type SmscSimulator } from './simulator.ts';

/** Bodies larger than this are refused; the control API only ever takes small JSON documents. */
const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ControlAppOptions {
  /** Every request must carry `Authorization: Bearer <token>`; absent: no authentication. */
  token?: string;
  /**
   * Host header names accepted besides the loopback ones (localhost, 127.x, [::1]): the address the
   * control API listens on when that is not loopback.
   */
  hosts?: readonly string[];
}

/** The name of a Host header without its port (`[::1]:2776` -> `::1`); undefined when malformed. */
function hostName(header: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(header.trim());
  return match ? match[1]!.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
}

/**
 * 421 unless the Host header names this machine: a web page the operator opens cannot reach the control
 * API through a DNS name it made point at 127.0.0.1 (DNS rebinding), as its requests carry that name.
 */
function requireLoopbackHost(extra: readonly string[]): Middleware {
  const allowed = new Set(extra.map((host) => host.toLowerCase()));
  return async (ctx, next) => {
    const name = hostName(ctx.get('Host'));
    if (name === undefined || !(isLoopbackHost(name) || allowed.has(name))) {
      throw new HttpError(421, 'HOST_NOT_ALLOWED', 'the control API answers only to loopback host names', {
        host: ctx.get('Host').slice(0, 100),
      });
    }
    await next();
  };
}

/** 415 for a request with a body that is not JSON: the control API takes nothing else (no forms). */
const requireJsonBodies: Middleware = async (ctx, next) => {
  const hasBody = Number(ctx.get('Content-Length') || 0) > 0 || ctx.get('Transfer-Encoding') !== '';
  if (hasBody && !ctx.is('application/json')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the control API takes application/json bodies only', {
      contentType: ctx.get('Content-Type').slice(0, 100),
    });
  }
  await next();
};

/** A control token nobody chose (no configured one): 192 random bits, base64url (RFC 6750 token characters). */
export function generatedControlToken(): string {
  return randomBytes(24).toString('base64url');
}

const REALM = 'Bearer realm="otagw-smsc-sim"';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** 401 UNAUTHENTICATED without a bearer token, 401 INVALID_CONTROL_TOKEN with another one. */
function requireToken(token: string): Middleware {
  const expected = digest(token);
  return async (ctx, next) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(ctx.get('Authorization'));
    if (!match) {
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        'the control API needs Authorization: Bearer <control token>',
        {},
        { 'WWW-Authenticate': REALM },
      );
    }
    // digests of equal length: the comparison takes as long for every wrong token
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(
        401,
        'INVALID_CONTROL_TOKEN',
        'the control token does not match',
        {},
        {
          'WWW-Authenticate': `${REALM}, error="invalid_token"`,
        },
      );
    }
    await next();
  };
}

const moSchema = z.strictObject({
  from: z.string().min(1).max(21),
  to: z.string().min(1).max(21),
  text: z.string(),
  coding: z.enum(['gsm7', 'latin1', 'ucs2']).optional(),
  ussd: z
    .strictObject({
      op: z
        .union([
          z.enum(Object.keys(USSD_SERVICE_OPS) as [UssdServiceOp, ...UssdServiceOp[]]),
          z.number().int().min(0).max(255),
        ])
        .optional(),
    })
    .optional(),
  systemId: z.string().optional(),
});
const dropSchema = z.strictObject({ systemId: z.string().optional() });
const restartSchema = z.strictObject({ messageIdsFromStart: z.boolean().optional() });
const subscriberSchema = z.strictObject({
  imsi: z
    .string()
    .regex(/^[0-9]{6,15}$/)
    .optional(),
  pin: z.string().min(1).optional(),
});
const submittedQuery = z.object({ limit: z.coerce.number().int().min(1).max(100_000).default(100) });

async function readJson(ctx: Context): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'BODY_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new HttpError(400, 'VALIDATION_FAILED', 'the request does not match its schema', details);
}

/** One place that turns errors into `{ error: { code, message, details } }`. */
async function renderErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    if (error instanceof HttpError) {
      ctx.set(error.headers);
      ctx.status = error.status;
      ctx.body = { error: { code: error.code, message: error.message, details: error.details } };
    } else if (error instanceof BehaviourError) {
      ctx.status = 400;
      ctx.body = { error: { code: error.code, message: error.message, details: error.details } };
    } else if (error instanceof DmHandsetError) {
      ctx.status = error.code === 'DM_HANDSET_UNKNOWN' ? 404 : 409;
      ctx.body = { error: { code: error.code, message: error.message } };
    } else if (error instanceof MoError) {
      ctx.status = error.code === 'NO_RECEIVER_BIND' ? 409 : error.code.startsWith('MO_NOT_') ? 400 : 502;
      ctx.body = { error: { code: error.code, message: error.message } };
    } else {
      ctx.status = 500;
      ctx.body = {
        error: { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) },
      };
    }
  }
}

/** The simulator's HTTP control API (JSON). Returned unstarted; the simulator listens with it. */
export function createControlApp(sim: SmscSimulator, options: ControlAppOptions = {}): Koa {
  const router = new Router();

  router.get('/behaviour', (ctx) => {
    ctx.body = sim.behaviour();
  });
  router.patch('/behaviour', async (ctx) => {
    sim.setBehaviour((await readJson(ctx)) as never);
    ctx.body = sim.behaviour();
  });
  router.get('/counters', (ctx) => {
    ctx.body = sim.counters();
  });
  router.get('/binds', (ctx) => {
    ctx.body = sim.binds();
  });
  router.get('/submitted', (ctx) => {
    const { limit } = validate(submittedQuery, ctx.query);
    ctx.body = sim
      .submitted()
      .slice(-limit)
      .map((segment) => ({
        ...segment,
        shortMessage: segment.shortMessage ? Buffer.from(segment.shortMessage).toString('hex') : null,
        udh: segment.udh ? Buffer.from(segment.udh).toString('hex') : null,
      }));
  });
  router.post('/mo', async (ctx) => {
    await sim.injectMo(validate(moSchema, await readJson(ctx)));
    ctx.body = { delivered: true };
  });
  router.post('/drop', async (ctx) => {
    const { systemId } = validate(dropSchema, await readJson(ctx));
    const before = sim.binds().filter((bind) => systemId === undefined || bind.systemId === systemId).length;
    sim.dropConnections(systemId);
    ctx.body = { dropped: before };
  });
  router.post('/restart', async (ctx) => {
    const options = validate(restartSchema, await readJson(ctx));
    const dropped = sim.binds().length;
    sim.restart(options);
    ctx.body = { dropped, messageIdsFromStart: options.messageIdsFromStart ?? false };
  });
  router.put('/subscribers/:msisdn', async (ctx) => {
    sim.registerSubscriber(ctx.params.msisdn, validate(subscriberSchema, await readJson(ctx)));
    ctx.status = 204;
  });
  router.get('/handsets', (ctx) => {
    ctx.body = sim.handsets();
  });
  router.get('/handsets/:msisdn', (ctx) => {
    const inbox = sim.handset(ctx.params.msisdn);
    ctx.body = {
      msisdn: inbox.msisdn,
      received: inbox.count(),
      pushes: inbox.pushes(),
      texts: inbox.texts(),
    };
  });
  dmControlRoutes(router, sim.dm(), { readJson, validate });

  const app = new Koa();
  app.use(renderErrors);
  // Host first: a page that rebound a name to loopback learns nothing, not even whether a token is asked.
  app.use(requireLoopbackHost(options.hosts ?? []));
  if (options.token !== undefined) app.use(requireToken(options.token));
  app.use(requireJsonBodies);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use((ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = { error: { code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}` } };
    }
  });
  return app;
}
