import type { RouteKit } from '../../route-kit.ts';
import { smscStatus } from './schema.ts';

export function smscRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/smsc', auth('operator'), validate(smscStatus), async (ctx, { query }) => {
    const since = new Date(Date.now() - query.windowMinutes * 60_000);
    const [errorsByStatus, receiptsByState, queue] = await Promise.all([
      context.db.query<{ smsc: string | null; status: string; count: number }>(
        `SELECT smsc, submit_error AS status, count(*)::int AS count FROM segments
          WHERE submit_status = 'rejected' AND updated_at >= $1 GROUP BY smsc, submit_error ORDER BY count DESC`,
        [since],
      ),
      context.db.query<{ smsc: string | null; state: string; count: number }>(
        `SELECT smsc, receipt_state AS state, count(*)::int AS count FROM segments
          WHERE receipt_state IS NOT NULL AND receipt_at >= $1 GROUP BY smsc, receipt_state ORDER BY count DESC`,
        [since],
      ),
      // Queue depth is informative here; Redis being down must not hide the binds.
      context.queues.counts().catch(() => null),
    ]);
    const binds = (context.smsc?.status() ?? []).map((bind) => ({
      ...bind,
      currentTps: Number.isFinite(bind.currentTps) ? bind.currentTps : null,
    }));
    ctx.body = { binds, errorsByStatus, receiptsByState, queue };
  });
}
