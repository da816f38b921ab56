import { listUnmatchedReceipts as readUnmatchedReceipts } from '../../../provisioning/receipt-repository.ts';
import { listMessages as readMessages } from '../../../store/repositories/segments.ts';
import { pageOf } from '../../id-cursor.ts';
import type { RouteKit } from '../../route-kit.ts';
import { listMessages, listUnmatchedReceipts, UNMATCHED_CURSOR } from './schema.ts';

export function messageRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/messages', auth('operator'), validate(listMessages), async (ctx, { query }) => {
    const messages = await readMessages(context.db, {
      since: query.since,
      smsc: query.smsc,
      state: query.state,
      limit: query.limit,
    });
    ctx.body = { messages };
  });

  api.get(
    '/v1/messages/unmatched',
    auth('operator'),
    validate(listUnmatchedReceipts),
    async (ctx, { query }) => {
      const rows = await readUnmatchedReceipts(context.db, {
        smsc: query.smsc,
        beforeId: query.cursor,
        limit: query.limit + 1,
      });
      const page = pageOf(rows, query.limit, UNMATCHED_CURSOR);
      ctx.body = { receipts: page.items, nextCursor: page.nextCursor };
    },
  );
}
