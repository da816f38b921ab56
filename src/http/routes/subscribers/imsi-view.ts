import { maskImsi } from '../../../observability/logger.ts';
import type { Subscriber } from '../../../subscribers/repository.ts';
import { ApiError } from '../../errors.ts';
import type { ApiContext } from '../../operation.ts';

/**
 * How an answer shows the IMSI. It is the NETWPIN key (docs/protocol.md §3.3: the MAC of a push is keyed
 * with it), so care only ever sees it masked, and so do admins unless they ask for `?reveal=imsi`; that
 * read's audit entry then says it revealed the IMSI. Call it after the handler has set its audit note.
 */
export function imsiShown(ctx: ApiContext, reveal: 'imsi' | undefined): (imsi: string) => string {
  if (reveal === undefined) return maskImsi;
  const role = ctx.state.principal?.role;
  if (role !== 'admin') {
    throw new ApiError(403, 'REVEAL_FORBIDDEN', 'query.reveal: only an admin key may see the IMSI in full', {
      field: 'query.reveal',
      required: 'admin',
      role: role ?? null,
    });
  }
  const note = ctx.state.audit ?? {};
  ctx.state.audit = {
    ...note,
    details: {
      ...note.details,
      revealed: 'imsi',
      reason: 'the answer showed the IMSI in full (?reveal=imsi)',
    },
  };
  return (imsi) => imsi;
}

/** A subscriber as the admin routes answer: its columns, the IMSI as `showImsi` shows it. */
export function subscriberView(subscriber: Subscriber, showImsi: (imsi: string) => string) {
  return {
    id: subscriber.id,
    imsi: showImsi(subscriber.imsi),
    msisdn: subscriber.msisdn,
    group: subscriber.groupName,
    currentImei: subscriber.currentImei,
    firmwareVersion: subscriber.firmwareVersion,
    seenAt: subscriber.seenAt,
    createdAt: subscriber.createdAt,
  };
}

/** An IMSI prefix as the audit log keeps it: at most the digits the mask shows, and its length. */
export function auditedImsiPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  return prefix.length <= CARE_IMSI_PREFIX_DIGITS
    ? prefix
    : `${prefix.slice(0, CARE_IMSI_PREFIX_DIGITS)}…(${prefix.length})`;
}

/** The IMSI digits a care key may search by: the ones maskImsi shows (MCC + MNC), so search reveals nothing more. */
export const CARE_IMSI_PREFIX_DIGITS = 5;
