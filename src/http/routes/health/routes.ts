import { pingStore } from '../../../store/repositories/health.ts';
import type { RouteKit } from '../../route-kit.ts';
import { ApiError } from '../../errors.ts';
import { healthz, metrics, readyz } from './schema.ts';

/** How long a readiness probe waits for each dependency before calling it down. */
const READY_CHECK_TIMEOUT_MS = 1000;

async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Check {
  ok: boolean;
  detail: string;
}

async function probe(run: () => Promise<string>): Promise<Check> {
  try {
    return { ok: true, detail: await within(run(), READY_CHECK_TIMEOUT_MS) };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export function healthRoutes({ api, open, auth, validate, context, options }: RouteKit): void {
  api.get('/healthz', open({ probe: true }), validate(healthz), async (ctx) => {
    ctx.body = { status: 'ok' };
  });

  api.get('/readyz', open(), validate(readyz), async (ctx) => {
    const [store, redis] = await Promise.all([
      probe(() => pingStore(context.db)),
      probe(async () => {
        if (!(await context.queues.ping())) throw new Error('Redis does not answer');
        return 'pong';
      }),
    ]);
    const binds = context.smsc?.status() ?? [];
    const bound = binds.filter((bind) => bind.state === 'bound' && bind.mode !== 'rx');
    // In the api role the binds live in the worker processes; there is nothing here to check.
    const smsc: Check = !context.smsc
      ? { ok: true, detail: 'not checked: no SMSC connector in this process (api role)' }
      : bound.length > 0
        ? { ok: true, detail: `${bound.length} of ${binds.length} binds bound` }
        : { ok: false, detail: `no bound transmitter among ${binds.length} binds` };
    const checks = { store, redis, smsc };
    if (!store.ok || !redis.ok || !smsc.ok) {
      throw new ApiError(
        503,
        'NOT_READY',
        'not ready: ' +
          Object.entries(checks)
            .filter(([, c]) => !c.ok)
            .map(([name]) => name)
            .join(', '),
        { checks },
      );
    }
    ctx.body = { status: 'ready', checks };
  });

  api.get(
    '/metrics',
    options.metricsAccess === 'operator' ? auth('operator') : open(),
    validate(metrics),
    async (ctx) => {
      ctx.type = context.metrics.contentType;
      ctx.body = await context.metrics.metrics();
    },
  );
}
