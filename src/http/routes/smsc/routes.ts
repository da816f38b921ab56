import { listSmscBinds } from '../../../smsc/worker-binds.ts';
import { countReceiptStates, countSubmitErrors } from '../../../store/repositories/segments.ts';
import type { RouteKit } from '../../route-kit.ts';
import { smscStatus } from './schema.ts';

export function smscRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/smsc', auth('operator'), validate(smscStatus), async (ctx, { query }) => {
    const since = new Date(Date.now() - query.windowMinutes * 60_000);
    const [errorsByStatus, receiptsByState, queue, listing] = await Promise.all([
      countSubmitErrors(context.db, since),
      countReceiptStates(context.db, since),
      // Queue depth is informative here; Redis being down must not hide the binds.
      context.queues.counts().catch(() => null),
      // Every worker's binds (this process's own once); without Redis, this process's own.
      listSmscBinds(context),
    ]);
    const { binds, workers, complete } = listing;
    ctx.body = { binds, workers, workersComplete: complete, errorsByStatus, receiptsByState, queue };
  });
}
