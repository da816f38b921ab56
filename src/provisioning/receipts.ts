/**
 * Delivery receipts -> segment states -> the provisioning's outcome: every segment delivered makes it
 * delivered; a failed, expired, rejected or deleted segment fails it with the SMSC's reason.
 *
 * A receipt can overtake the write of its segment's message id (the SMSC answers submit_sm_resp and sends
 * the receipt at once). The receipt then waits in unmatched_receipts and is applied by the processor right
 * after it stores the ids; both sides hold the provisioning's row lock, so none slips between them.
 *
 * Receipts are handled in batches (one is a batch of one), each in three steps: matching (the segments of
 * the receipts, their provisionings locked), settlement (the segments' receipt states, then the outcome of
 * each provisioning they decide) and, after the commit, the events.
 */
import type { DeliveryReport, DeliveryState } from '../connectors/types.ts';
import type { Db } from '../store/db.ts';
import { announceTransition, type PipelineDeps } from './pipeline.ts';
import {
  INTERMEDIATE_STATS,
  listSegmentReceiptStates,
  lockSegmentsByMessageId,
  parkReceipts,
  storeSegmentReceipts,
  takeParkedReceipts,
  type MatchedSegment,
  type SegmentReceipt,
  type SegmentReceiptState,
} from './receipt-repository.ts';
import {
  isUuid,
  lockProvisionings,
  transitionMany,
  type TransitionInput,
  type Transitioned,
} from './repository.ts';
import type { Actor } from './types.ts';

const RECEIPT_ACTOR: Actor = { name: 'smsc', role: 'system' };

/** The receipt stat word of each state (SMPP 3.4 appendix B; docs/protocol.md §6.6). */
const STAT_OF_STATE: Readonly<Record<DeliveryState, string>> = {
  delivered: 'DELIVRD',
  failed: 'UNDELIV',
  expired: 'EXPIRED',
  rejected: 'REJECTD',
  deleted: 'DELETED',
  unknown: 'UNKNOWN',
  enroute: 'ENROUTE',
  accepted: 'ACCEPTD',
};

const FAILING_STATS = new Set(['UNDELIV', 'EXPIRED', 'REJECTD', 'DELETED', 'UNKNOWN']);
/** A receipt fails only a push that went out (the state machine fails others too, by their jobs). */
const RECEIPTS_FAIL_FROM = ['submitting', 'submitted'] as const;

export function statOf(report: Pick<DeliveryReport, 'state' | 'stat'>): string {
  const stat = report.stat?.toUpperCase();
  return stat && /^[A-Z]{5,8}$/.test(stat) ? stat : STAT_OF_STATE[report.state];
}

// ---- matching -------------------------------------------------------------------------------------

interface MatchedReceipt {
  report: DeliveryReport;
  provisioningId: string;
  segmentNumber: number;
}

interface Matching {
  matched: MatchedReceipt[];
  unmatched: DeliveryReport[];
}

/**
 * How far a receipt's receive time may come before its segment's stored submit time: the submit's
 * outcome is stored after the SMSC answered, and the receipt can overtake that (runtime.ts waits for it).
 */
const RECEIPT_OVERTAKES_SUBMIT_MS = 60_000;

/**
 * Of the segments that had a receipt's message id (the SMSC used it again: a restart numbering from the
 * start), the one submitted last before the receipt came; else the newest. Never an older message's
 * segment just because its row changed later (issue #15 item 7).
 */
function newestSubmitBefore(rows: readonly MatchedSegment[], receivedAt: Date): MatchedSegment | undefined {
  const limit = receivedAt.getTime() + RECEIPT_OVERTAKES_SUBMIT_MS;
  const submittedAt = (row: MatchedSegment) => row.submitted_at?.getTime() ?? -Infinity;
  let best: MatchedSegment | undefined;
  for (const row of rows) {
    const before = submittedAt(row) <= limit;
    const bestBefore = best !== undefined && submittedAt(best) <= limit;
    if (
      best === undefined ||
      (before && !bestBefore) ||
      (before === bestBefore && submittedAt(row) > submittedAt(best))
    )
      best = row;
  }
  return best;
}

/** The segment of each receipt (newestSubmitBefore), their provisionings locked. */
async function matchReceipts(tx: Db, reports: readonly DeliveryReport[], now: Date): Promise<Matching> {
  const found = await lockSegmentsByMessageId(
    tx,
    reports.map((report) => ({ smsc: report.smscId, messageId: report.messageId })),
  );
  const byId = new Map<string, MatchedSegment[]>();
  for (const row of found) {
    const key = `${row.smsc}\u0000${row.message_id_normalised}`;
    byId.set(key, [...(byId.get(key) ?? []), row]);
  }
  const matching: Matching = { matched: [], unmatched: [] };
  for (const report of reports) {
    const rows = byId.get(`${report.smscId}\u0000${report.messageId}`) ?? [];
    // A status query's answer is about the segment it asked for, even when an SMSC that restarted gave
    // its id to a newer segment since (issue #15 item 7): the newest would take the answer for itself.
    const asked =
      report.source === 'query'
        ? rows.find(
            (row) => row.provisioning_id === report.pushId && row.segment_number === report.segmentIndex,
          )
        : undefined;
    const row = asked ?? newestSubmitBefore(rows, report.receivedAt ?? now);
    if (row) {
      matching.matched.push({
        report,
        provisioningId: row.provisioning_id,
        segmentNumber: row.segment_number,
      });
    } else {
      matching.unmatched.push(report);
    }
  }
  return matching;
}

async function park(tx: Db, reports: readonly DeliveryReport[], now: Date): Promise<void> {
  await parkReceipts(
    tx,
    reports.map((report) => ({
      smsc: report.smscId,
      messageId: report.messageId,
      stat: statOf(report),
      error: report.error ?? null,
      details: { pushId: report.pushId, segmentIndex: report.segmentIndex, destination: report.destination },
      ...receiptTimes(report, now),
    })),
  );
}

/**
 * Our receive time (the connector's, else this batch's) and the SMSC's own dates, kept apart: the SMSC's
 * are minute-precise and in its clock (receipt text, docs/protocol.md §6.6), so never the receipt time.
 */
function receiptTimes(
  report: DeliveryReport,
  now: Date,
): { receivedAt: Date; smscSubmitDate: Date | null; smscDoneDate: Date | null } {
  return {
    receivedAt: report.receivedAt ?? now,
    smscSubmitDate: report.submittedAt ?? null,
    smscDoneDate: report.doneAt ?? null,
  };
}

// ---- settlement -----------------------------------------------------------------------------------

/** One receipt state per segment: a final state wins over an intermediate one, else the later receipt. */
function latestPerSegment(receipts: readonly SegmentReceipt[]): SegmentReceipt[] {
  const latest = new Map<string, SegmentReceipt>();
  for (const receipt of receipts) {
    const key = `${receipt.provisioningId}/${receipt.segmentNumber}`;
    const previous = latest.get(key);
    if (previous && !INTERMEDIATE_STATS.has(previous.stat) && INTERMEDIATE_STATS.has(receipt.stat)) continue;
    latest.set(key, receipt);
  }
  return [...latest.values()];
}

/**
 * Stores the segments' receipt states and moves each provisioning they decide (one statement each);
 * the state changes, by provisioning id. The caller holds the provisionings' row locks.
 */
async function settle(
  tx: Db,
  receipts: readonly SegmentReceipt[],
  now: Date,
): Promise<Map<string, Transitioned | undefined>> {
  const settled = new Map<string, Transitioned | undefined>();
  if (receipts.length === 0) return settled;
  await storeSegmentReceipts(tx, latestPerSegment(receipts));
  const ids = [...new Set(receipts.map((receipt) => receipt.provisioningId))].sort();
  const segments = await listSegmentReceiptStates(tx, ids);
  const settlements = ids.flatMap((id) => settlementOf(id, segments.get(id) ?? [], now) ?? []);
  const changes = await transitionMany(tx, settlements);
  settlements.forEach((settlement, index) => settled.set(settlement.id, changes[index]));
  return settled;
}

/**
 * The transition the segments' receipts call for: failed when one failed, delivered when every segment
 * was submitted and delivered, none while receipts are still missing.
 */
function settlementOf(
  provisioningId: string,
  segments: readonly SegmentReceiptState[],
  now: Date,
): TransitionInput | undefined {
  const failing = segments.find(
    (segment) => segment.receipt_state && FAILING_STATS.has(segment.receipt_state),
  );
  if (failing) {
    const stat = failing.receipt_state!;
    return {
      id: provisioningId,
      from: RECEIPTS_FAIL_FROM,
      to: 'failed',
      cause: 'receipt',
      actor: RECEIPT_ACTOR,
      details: { segment: failing.segment_number, stat, error: failing.receipt_error },
      patch: {
        failure_code: `SMSC_${stat}`,
        failure_reason:
          `segment ${failing.segment_number}: receipt ${stat}` +
          (failing.receipt_error ? ` (err ${failing.receipt_error})` : ''),
        finished_at: now,
      },
    };
  }
  const allDelivered =
    segments.length > 0 &&
    segments.every((segment) => segment.submit_status === 'submitted' && segment.receipt_state === 'DELIVRD');
  if (!allDelivered) return undefined;
  return {
    id: provisioningId,
    to: 'delivered',
    cause: 'receipts',
    actor: RECEIPT_ACTOR,
    details: { segments: segments.length },
    patch: { finished_at: now },
  };
}

/**
 * Receipts that arrived before the message ids of this provisioning were stored: applied now (the caller
 * holds the provisioning's row lock and has just stored the ids).
 */
export async function applyParkedReceipts(
  tx: Db,
  provisioningId: string,
  now: Date,
): Promise<Transitioned | undefined> {
  return (await applyParkedReceiptsOf(tx, [provisioningId], now)).get(provisioningId);
}

/**
 * applyParkedReceipts for several provisionings (their rows locked by the caller): one query finds the
 * parked receipts of all of them; the outcome of each one that had some, by id.
 */
export async function applyParkedReceiptsOf(
  tx: Db,
  provisioningIds: readonly string[],
  now: Date,
): Promise<Map<string, Transitioned | undefined>> {
  return settle(tx, await takeParkedReceipts(tx, provisioningIds), now);
}

// ---- a batch of receipts --------------------------------------------------------------------------

interface AppliedReceipts {
  matched: MatchedReceipt[];
  parked: DeliveryReport[];
  /** unmatched receipts that name their push: looked for again once its row lock is free */
  lookAgain: DeliveryReport[];
  changes: Transitioned[];
}

/** Matching and settlement of one batch, in the caller's transaction. */
async function applyReceipts(
  tx: Db,
  reports: readonly DeliveryReport[],
  now: Date,
  options: { lookAgainForPushes: boolean },
): Promise<AppliedReceipts> {
  const { matched, unmatched } = await matchReceipts(tx, reports, now);
  const lookAgain = options.lookAgainForPushes
    ? unmatched.filter((report) => report.pushId !== undefined)
    : [];
  const parked =
    lookAgain.length === 0 ? unmatched : unmatched.filter((report) => report.pushId === undefined);
  await park(tx, parked, now);
  const settled = await settle(
    tx,
    matched.map(({ report, provisioningId, segmentNumber }) => {
      const { receivedAt, smscSubmitDate, smscDoneDate } = receiptTimes(report, now);
      return {
        provisioningId,
        segmentNumber,
        stat: statOf(report),
        error: report.error ?? null,
        at: receivedAt,
        smscSubmitDate,
        smscDoneDate,
      };
    }),
    now,
  );
  const changes = [...settled.values()].filter((change): change is Transitioned => change !== undefined);
  return { matched, parked, lookAgain, changes };
}

/** The events of an applied batch, once it is committed. */
function announceReceipts(deps: PipelineDeps, applied: AppliedReceipts, now: Date): void {
  for (const report of applied.parked) deps.metrics.receipts.inc({ state: statOf(report), matched: 'false' });
  for (const { report, provisioningId, segmentNumber } of applied.matched) {
    deps.metrics.receipts.inc({ state: statOf(report), matched: 'true' });
    deps.events.publish({
      type: 'segment.receipt',
      provisioningId,
      segmentNumber,
      smscId: report.smscId,
      messageId: report.messageId,
      state: report.state,
      error: report.error,
      at: now.toISOString(),
    });
  }
  for (const change of applied.changes) {
    announceTransition(deps, change, change.provisioning.state === 'delivered' ? 'receipts' : 'receipt');
  }
}

/**
 * Applies a batch of receipts in one transaction: one query finds (and locks, in id order, so batches
 * running side by side cannot deadlock) the provisionings of all matched segments, one statement updates
 * the segments, one reads them back to settle the provisionings. Receipts that match nothing are kept in
 * unmatched_receipts; but those that name their push may have overtaken the write of its message ids by
 * another process: they are looked for again in a second transaction that first waits for their pushes'
 * row locks (the processor holds them until the ids are stored). Not in the first: it would take those
 * locks after others, out of id order.
 */
export async function handleReceipts(deps: PipelineDeps, reports: readonly DeliveryReport[]): Promise<void> {
  // Texts (PIN, confirmation questions) go out under '<provisioning id>:<kind>': their receipts are not segments.
  const relevant = reports.filter((report) => report.pushId === undefined || isUuid(report.pushId));
  if (relevant.length === 0) return;
  const now = deps.now();
  const applied = await deps.db.transaction((tx) =>
    applyReceipts(tx, relevant, now, { lookAgainForPushes: true }),
  );
  announceReceipts(deps, applied, now);
  if (applied.lookAgain.length === 0) return;
  const pushes = [...new Set(applied.lookAgain.map((report) => report.pushId!))];
  const appliedAgain = await deps.db.transaction(async (tx) => {
    await lockProvisionings(tx, pushes);
    return applyReceipts(tx, applied.lookAgain, now, { lookAgainForPushes: false });
  });
  announceReceipts(deps, appliedAgain, now);
}
