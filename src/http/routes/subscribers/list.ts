import { searchSubscribers, type SubscriberListing } from '../../../subscribers/repository.ts';
import { ApiError } from '../../errors.ts';
import type { ApiContext, OperationInput } from '../../operation.ts';
import type { AppContext } from '../../../app-context.ts';
import { encodeCursor } from './cursor.ts';
import { auditedImsiPrefix, CARE_IMSI_PREFIX_DIGITS, imsiShown } from './imsi-view.ts';
import type { listSubscribers } from './schema.ts';

type ListInput = OperationInput<typeof listSubscribers>;

/** More IMSI digits than the mask shows would let a care key find the rest of an IMSI digit by digit. */
function refuseLongImsiPrefix(ctx: ApiContext, prefix: string | undefined): void {
  if (prefix === undefined || prefix.length <= CARE_IMSI_PREFIX_DIGITS) return;
  if (ctx.state.principal?.role === 'admin') return;
  throw new ApiError(
    403,
    'IMSI_PREFIX_TOO_LONG',
    `query.imsiPrefix: a care key may give at most ${CARE_IMSI_PREFIX_DIGITS} digits (the part the mask shows)`,
    { field: 'query.imsiPrefix', maxDigits: CARE_IMSI_PREFIX_DIGITS },
  );
}

function listingView(listing: SubscriberListing, showImsi: (imsi: string) => string) {
  return {
    id: listing.id,
    msisdn: listing.msisdn,
    imsi: showImsi(listing.imsi),
    group: listing.groupName,
    currentImei: listing.currentImei,
    model: listing.model,
    lastDelivered: listing.lastDelivered,
    seenAt: listing.seenAt,
    createdAt: listing.createdAt,
  };
}

/** GET /v1/subscribers: one page of matches; one row more than the page is read to know whether it is the last. */
export async function listSubscribersHandler(context: AppContext, ctx: ApiContext, { query }: ListInput) {
  const { cursor, limit, reveal, ...filters } = query;
  ctx.state.audit = {
    subjectType: 'subscribers',
    details: { filters: { ...filters, imsiPrefix: auditedImsiPrefix(filters.imsiPrefix) } },
  };
  refuseLongImsiPrefix(ctx, filters.imsiPrefix);
  const showImsi = imsiShown(ctx, reveal);
  const rows = await searchSubscribers(context.db, { ...filters, afterId: cursor, limit: limit + 1 });
  const page = rows.slice(0, limit);
  ctx.state.audit.details!.count = page.length;
  ctx.body = {
    subscribers: page.map((listing) => listingView(listing, showImsi)),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}
