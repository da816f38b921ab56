/**
 * Delivery receipts -> segment states -> the provisioning's outcome: every segment delivered makes it
 * delivered; a failed, expired, rejected or deleted segment fails it with the SMSC's reason.
 *
 * A receipt can overtake the write of its segment's message id (the SMSC answers submit_sm_resp and sends
 * the receipt at once). The receipt then waits in unmatched_receipts and is applied by the processor right
 * after it stores the ids; both sides hold the provisioning's row lock, so none slips between them.
 */
import type { DeliveryReport, DeliveryState } from '../connectors/types.ts';
import { asJson, type Db } from '../store/db.ts';
import { announceTransition, type PipelineDeps } from './pipeline.ts';
import {
  isUuid,
  lockProvisioning,
  transition,
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

interface SegmentKey {
  provisioning_id: string;
  segment_number: number;
}

/** The segment with this message id, its provisioning's row locked (one round trip). */
async function findSegment(db: Db, smsc: string, messageId: string): Promise<SegmentKey | undefined> {
  return db.one<SegmentKey>(
    `SELECT s.provisioning_id, s.segment_number FROM segments s JOIN provisionings p ON p.id = s.provisioning_id
     WHERE s.smsc = $1 AND s.message_id_normalised = $2 ORDER BY s.updated_at DESC LIMIT 1 FOR UPDATE OF p`,
    [smsc, messageId],
  );
}

export interface ReceiptOutcome {
  matched: boolean;
  provisioningId?: string;
  segmentNumber?: number;
  change?: Transitioned;
}

/** Applies one receipt from a connector. */
export async function handleReceipt(deps: PipelineDeps, report: DeliveryReport): Promise<ReceiptOutcome> {
  // Texts (PIN, confirmation questions) go out under '<provisioning id>:<kind>': their receipts are not segments.
  if (report.pushId !== undefined && !isUuid(report.pushId)) return { matched: false };
  const stat = statOf(report);
  const outcome = await deps.db.transaction(async (tx): Promise<ReceiptOutcome> => {
    let segment = await findSegment(tx, report.smscId, report.messageId);
    if (!segment && report.pushId !== undefined) {
      // Not stored yet? Wait for the processor's transaction that stores the ids, then look again.
      await lockProvisioning(tx, report.pushId);
      segment = await findSegment(tx, report.smscId, report.messageId);
    }
    if (!segment) {
      await tx.query(
        `INSERT INTO unmatched_receipts (smsc, message_id_normalised, receipt_state, receipt_error, details)
         VALUES ($1, $2, $3, $4, $5::jsonb)`,
        [
          report.smscId,
          report.messageId,
          stat,
          report.error ?? null,
          asJson({
            pushId: report.pushId,
            segmentIndex: report.segmentIndex,
            destination: report.destination,
          }),
        ],
      );
      return { matched: false };
    }
    await applySegmentReceipt(tx, segment, stat, report.error ?? null, report.doneAt ?? deps.now());
    const change = await settle(tx, segment.provisioning_id, deps.now());
    return {
      matched: true,
      provisioningId: segment.provisioning_id,
      segmentNumber: segment.segment_number,
      change,
    };
  });
  deps.metrics.receipts.inc({ state: stat, matched: String(outcome.matched) });
  if (outcome.matched && outcome.provisioningId !== undefined) {
    deps.events.publish({
      type: 'segment.receipt',
      provisioningId: outcome.provisioningId,
      segmentNumber: outcome.segmentNumber ?? 0,
      smscId: report.smscId,
      messageId: report.messageId,
      state: report.state,
      error: report.error,
      at: deps.now().toISOString(),
    });
  }
  if (outcome.change)
    announceTransition(
      deps,
      outcome.change,
      outcome.change.provisioning.state === 'delivered' ? 'receipts' : 'receipt',
    );
  return outcome;
}

async function applySegmentReceipt(
  tx: Db,
  segment: SegmentKey,
  stat: string,
  error: string | null,
  at: Date,
): Promise<void> {
  // A final receipt is not overwritten by a late intermediate one (ENROUTE/ACCEPTD after DELIVRD).
  await tx.query(
    `UPDATE segments SET receipt_state = $3, receipt_error = $4, receipt_at = $5, updated_at = now()
     WHERE provisioning_id = $1 AND segment_number = $2
       AND (receipt_state IS NULL OR receipt_state IN ('ENROUTE', 'ACCEPTD') OR $3 NOT IN ('ENROUTE', 'ACCEPTD'))`,
    [segment.provisioning_id, segment.segment_number, stat, error, at],
  );
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
  const settled = new Map<string, Transitioned | undefined>();
  if (provisioningIds.length === 0) return settled;
  const parked = await tx.query<{
    id: number;
    provisioning_id: string;
    segment_number: number;
    receipt_state: string;
    receipt_error: string | null;
    received_at: Date;
  }>(
    `SELECT u.id, s.provisioning_id, s.segment_number, u.receipt_state, u.receipt_error, u.received_at
     FROM unmatched_receipts u JOIN segments s
       ON s.smsc = u.smsc AND s.message_id_normalised = u.message_id_normalised
     WHERE s.provisioning_id = ANY($1::uuid[]) ORDER BY u.id`,
    [[...provisioningIds]],
  );
  if (parked.length === 0) return settled;
  for (const receipt of parked) {
    await applySegmentReceipt(
      tx,
      { provisioning_id: receipt.provisioning_id, segment_number: receipt.segment_number },
      receipt.receipt_state,
      receipt.receipt_error,
      receipt.received_at,
    );
  }
  await tx.query(`DELETE FROM unmatched_receipts WHERE id = ANY($1::bigint[])`, [
    parked.map((row) => row.id),
  ]);
  for (const id of new Set(parked.map((row) => row.provisioning_id))) {
    settled.set(id, await settle(tx, id, now));
  }
  return settled;
}

interface SegmentReceiptRow {
  provisioning_id: string;
  segment_number: number;
  submit_status: string;
  receipt_state: string | null;
  receipt_error: string | null;
}

/** Decides the provisioning's outcome from its segments' receipts, when they decide it. */
async function settle(tx: Db, provisioningId: string, now: Date): Promise<Transitioned | undefined> {
  const segments = await tx.query<SegmentReceiptRow>(
    `SELECT provisioning_id, segment_number, submit_status, receipt_state, receipt_error FROM segments
     WHERE provisioning_id = $1 ORDER BY segment_number`,
    [provisioningId],
  );
  return settleFrom(tx, provisioningId, segments, now);
}

async function settleFrom(
  tx: Db,
  provisioningId: string,
  segments: readonly SegmentReceiptRow[],
  now: Date,
): Promise<Transitioned | undefined> {
  const settlement = settlementOf(provisioningId, segments, now);
  return settlement && transition(tx, settlement);
}

/**
 * The transition the segments' receipts call for: failed when one failed, delivered when every segment
 * was submitted and delivered, none while receipts are still missing.
 */
function settlementOf(
  provisioningId: string,
  segments: readonly SegmentReceiptRow[],
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

const INTERMEDIATE_STATS = new Set(['ENROUTE', 'ACCEPTD']);

/**
 * Applies a batch of receipts in one transaction: one query finds (and locks, in id order, so batches
 * running side by side cannot deadlock) the provisionings of all matched segments, one statement updates
 * the segments, one reads them back to settle the provisionings. Receipts that match nothing yet but
 * name their push go through handleReceipt one by one (it waits for the ids to be stored); the others are
 * kept in unmatched_receipts.
 */
export async function handleReceipts(deps: PipelineDeps, reports: readonly DeliveryReport[]): Promise<void> {
  const relevant = reports.filter((report) => report.pushId === undefined || isUuid(report.pushId));
  if (relevant.length === 0) return;
  const now = deps.now();
  const changes: Transitioned[] = [];
  const matchedReports: Array<{ report: DeliveryReport; provisioningId: string; segmentNumber: number }> = [];
  const retryOneByOne: DeliveryReport[] = [];
  await deps.db.transaction(async (tx) => {
    const found = await tx.query<{
      provisioning_id: string;
      segment_number: number;
      smsc: string;
      message_id_normalised: string;
      updated_at: Date;
    }>(
      `SELECT s.provisioning_id, s.segment_number, s.smsc, s.message_id_normalised, s.updated_at
       FROM segments s
       JOIN unnest($1::text[], $2::text[]) AS k(smsc, message_id)
         ON s.smsc = k.smsc AND s.message_id_normalised = k.message_id
       JOIN provisionings p ON p.id = s.provisioning_id
       ORDER BY p.id FOR UPDATE OF p`,
      [relevant.map((report) => report.smscId), relevant.map((report) => report.messageId)],
    );
    const newest = new Map<string, (typeof found)[number]>();
    for (const row of found) {
      const key = `${row.smsc}\u0000${row.message_id_normalised}`;
      const known = newest.get(key);
      if (!known || row.updated_at > known.updated_at) newest.set(key, row);
    }
    // One update per segment: a final state wins over an intermediate one, else the later receipt.
    const updates = new Map<
      string,
      { pid: string; n: number; stat: string; error: string | null; at: Date }
    >();
    const unmatched: DeliveryReport[] = [];
    for (const report of relevant) {
      const row = newest.get(`${report.smscId}\u0000${report.messageId}`);
      if (!row) {
        if (report.pushId !== undefined) retryOneByOne.push(report);
        else unmatched.push(report);
        continue;
      }
      matchedReports.push({ report, provisioningId: row.provisioning_id, segmentNumber: row.segment_number });
      const stat = statOf(report);
      const key = `${row.provisioning_id}/${row.segment_number}`;
      const previous = updates.get(key);
      if (previous && !INTERMEDIATE_STATS.has(previous.stat) && INTERMEDIATE_STATS.has(stat)) continue;
      updates.set(key, {
        pid: row.provisioning_id,
        n: row.segment_number,
        stat,
        error: report.error ?? null,
        at: report.doneAt ?? now,
      });
    }
    if (unmatched.length > 0) {
      await tx.query(
        `INSERT INTO unmatched_receipts (smsc, message_id_normalised, receipt_state, receipt_error, details)
         SELECT x.smsc, x.message_id, x.stat, x.error, x.details
         FROM jsonb_to_recordset($1::jsonb) AS x(smsc text, message_id text, stat text, error text, details jsonb)`,
        [
          asJson(
            unmatched.map((report) => ({
              smsc: report.smscId,
              message_id: report.messageId,
              stat: statOf(report),
              error: report.error ?? null,
              details: { destination: report.destination },
            })),
          ),
        ],
      );
    }
    if (updates.size === 0) return;
    await tx.query(
      `UPDATE segments s SET receipt_state = x.stat, receipt_error = x.error, receipt_at = x.at, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS x(pid uuid, n int, stat text, error text, at timestamptz)
       WHERE s.provisioning_id = x.pid AND s.segment_number = x.n
         AND (s.receipt_state IS NULL OR s.receipt_state IN ('ENROUTE', 'ACCEPTD') OR x.stat NOT IN ('ENROUTE', 'ACCEPTD'))`,
      [asJson([...updates.values()])],
    );
    const ids = [...new Set([...updates.values()].map((update) => update.pid))].sort();
    const segments = await tx.query<SegmentReceiptRow>(
      `SELECT provisioning_id, segment_number, submit_status, receipt_state, receipt_error FROM segments
       WHERE provisioning_id = ANY($1::uuid[]) ORDER BY provisioning_id, segment_number`,
      [ids],
    );
    const byProvisioning = new Map<string, SegmentReceiptRow[]>();
    for (const segment of segments) {
      const list = byProvisioning.get(segment.provisioning_id) ?? [];
      list.push(segment);
      byProvisioning.set(segment.provisioning_id, list);
    }
    const settlements = ids.flatMap((id) => settlementOf(id, byProvisioning.get(id) ?? [], now) ?? []);
    for (const change of await transitionMany(tx, settlements)) if (change) changes.push(change);
  });
  for (const { report, provisioningId, segmentNumber } of matchedReports) {
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
  for (const change of changes) {
    announceTransition(deps, change, change.provisioning.state === 'delivered' ? 'receipts' : 'receipt');
  }
  for (const report of retryOneByOne) await handleReceipt(deps, report);
}
