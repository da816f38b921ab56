/**
 * Periodic sweeps that bring every provisioning to a final state:
 * - expiry: submitted pushes without their final receipts after receiptTimeoutMs -> expired; ask-first
 *   questions unanswered by confirm_by -> expired;
 * - recovery: provisionings still queued/submitting whose job vanished (Redis restarted without its data,
 *   a job removed by hand) are enqueued again; those whose job failed outside the processor (stalled too
 *   often) are failed with the job's reason.
 * - unmatched receipts: receipts that matched no segment and are older than receiptTimeoutMs are dropped
 *   (counted in otagw_unmatched_receipts_dropped_total): any push they could be for has expired by then.
 * - status queries: segments of submitted pushes still without a final receipt statusQueryAfterMs after
 *   their submit are asked about with query_sm, where the SMSC answers it; a final answer settles the
 *   segment as its receipt would (issue #15 item 2). Pushes still unknown keep their expiry.
 * All are safe to run in several workers at once: every change is a guarded transition, and a receipt
 * is deleted once (SKIP LOCKED).
 */
import type { DeliveryReport, SmscConnector, StatusAnswer } from '../connectors/types.ts';
import { jobIdFor } from './service.ts';
import { failProvisioning } from './deliver.ts';
import { announceTransition, SYSTEM_ACTOR, type PipelineDeps } from './pipeline.ts';
import {
  claimSegmentsToQuery,
  dropUnmatchedReceiptsBefore,
  type SegmentToQuery,
} from './receipt-repository.ts';
import { handleReceipts } from './receipts.ts';
import { appendEvent, listOverdue, listStalled, transitionMany } from './repository.ts';

const BATCH = 500;
/** query_sm sent at a time: a sweep's questions must not crowd out the submits on the binds */
const QUERIES_AT_ONCE = 10;

export async function expireOverdue(deps: PipelineDeps): Promise<number> {
  const now = deps.now();
  const overdue = await listOverdue(deps.db, now, BATCH);
  const changes = await transitionMany(
    deps.db,
    overdue.map((row) => {
      const receipts = row.state === 'submitted';
      return {
        id: row.id,
        // only from the state it was found overdue in: the cause and the failure code say which timeout
        from: [row.state],
        to: 'expired' as const,
        cause: receipts ? 'receipt-timeout' : 'confirmation-timeout',
        actor: SYSTEM_ACTOR,
        patch: {
          failure_code: receipts ? 'RECEIPT_TIMEOUT' : 'CONFIRMATION_TIMEOUT',
          failure_reason: receipts
            ? `no final delivery receipt within ${deps.config.provisioning.receiptTimeoutMs} ms`
            : 'the subscriber did not answer in time',
          finished_at: now,
        },
      };
    }),
  );
  let expired = 0;
  for (const change of changes) {
    if (!change) continue;
    expired += 1;
    announceTransition(deps, change, change.provisioning.failureCode ?? 'expired');
  }
  return expired;
}

export async function recoverLostJobs(deps: PipelineDeps): Promise<number> {
  const now = deps.now();
  const staleBefore = new Date(now.getTime() - deps.config.provisioning.recoveryStaleMs);
  const stuck = await listStalled(deps.db, staleBefore, now, BATCH);
  let recovered = 0;
  for (const row of stuck) {
    const jobId = jobIdFor(row.idempotency_key ?? row.id);
    const job = await deps.queue.queue.getJob(jobId);
    const jobState = job ? await job.getState() : 'missing';
    if (jobState === 'failed') {
      await failProvisioning(deps, row.id, 'JOB_FAILED', job?.failedReason ?? 'the job failed');
      continue;
    }
    if (
      jobState === 'waiting' ||
      jobState === 'active' ||
      jobState === 'delayed' ||
      jobState === 'prioritized'
    ) {
      continue;
    }
    // Missing (or completed without a final state): enqueue again; a finished job of the same id is
    // removed first, else BullMQ would take the add for a duplicate and drop it.
    if (job) await job.remove().catch(() => undefined);
    await deps.queue.add({ provisioningId: row.id }, { jobId, priority: row.priority });
    await appendEvent(deps.db, row, 'recovered', SYSTEM_ACTOR, {
      jobState,
    });
    recovered += 1;
  }
  return recovered;
}

/**
 * Drops unmatched receipts received more than receiptTimeoutMs ago (the push they might belong to has
 * expired, so none can settle anything); how many went.
 */
export async function dropStaleUnmatchedReceipts(deps: PipelineDeps): Promise<number> {
  const cutoff = new Date(deps.now().getTime() - deps.config.provisioning.receiptTimeoutMs);
  const dropped = await dropUnmatchedReceiptsBefore(deps.db, cutoff, BATCH);
  let total = 0;
  for (const [smsc, count] of Object.entries(dropped)) {
    deps.metrics.unmatchedReceiptsDropped.inc({ smsc }, count);
    total += count;
  }
  return total;
}

/** What a query_sm answer says of a segment, for its status-query event. */
function answerDetails(segment: SegmentToQuery, answer: StatusAnswer): Record<string, unknown> {
  const details: Record<string, unknown> = { segment: segment.segment_number, outcome: answer.outcome };
  if (answer.outcome === 'state') Object.assign(details, { state: answer.state, final: answer.final });
  if (answer.outcome === 'no-answer') details.reason = answer.reason;
  return details;
}

/** A final query_sm answer as the receipt it stands for (receipts.ts settles it the same way). */
function reportOfAnswer(
  segment: SegmentToQuery,
  answer: StatusAnswer,
  now: Date,
): DeliveryReport | undefined {
  if (answer.outcome !== 'state' || !answer.final) return undefined;
  const report: DeliveryReport = {
    smscId: segment.smsc,
    messageId: segment.message_id_normalised,
    rawMessageId: segment.message_id,
    state: answer.state,
    source: 'query',
    receivedAt: now,
    pushId: segment.provisioning_id,
    segmentIndex: segment.segment_number,
  };
  if (answer.errorCode !== undefined) report.error = String(answer.errorCode).padStart(3, '0');
  if (answer.finalDate) report.doneAt = answer.finalDate;
  return report;
}

const OUTCOME_LABEL = { state: 'pending', 'unknown-message': 'unknown', 'no-answer': 'error' } as const;

/** Asks the SMSC about each segment, a few at a time. */
async function askAbout(connector: Required<Pick<SmscConnector, 'queryStatus'>>, segments: SegmentToQuery[]) {
  const answers: StatusAnswer[] = [];
  for (let start = 0; start < segments.length; start += QUERIES_AT_ONCE) {
    const chunk = segments.slice(start, start + QUERIES_AT_ONCE);
    answers.push(
      ...(await Promise.all(
        chunk.map((segment) =>
          connector.queryStatus({ smscId: segment.smsc, rawMessageId: segment.message_id }),
        ),
      )),
    );
  }
  return answers;
}

/**
 * Status queries: the segments of each SMSC that answers query_sm, submitted longer than its
 * statusQueryAfterMs ago without a final receipt (and not asked within that time), are asked about; each
 * push asked about gets a `status-query` event (its answers), and the final answers are settled as
 * receipts with source `query`. How many segments were settled.
 */
export async function queryOverdueSegments(
  deps: PipelineDeps & { connector?: SmscConnector },
): Promise<number> {
  const connector = deps.connector;
  if (!connector?.statusQueries || !connector.queryStatus) return 0;
  const querying = { queryStatus: connector.queryStatus.bind(connector) };
  const now = deps.now();
  let settled = 0;
  for (const { smscId, afterMs } of connector.statusQueries()) {
    const cutoff = new Date(now.getTime() - afterMs);
    const due = await claimSegmentsToQuery(
      deps.db,
      smscId,
      { submittedBefore: cutoff, askedBefore: cutoff, now },
      BATCH,
    );
    if (due.length === 0) continue;
    const answers = await askAbout(querying, due);
    const byPush = new Map<string, Record<string, unknown>[]>();
    const reports: DeliveryReport[] = [];
    due.forEach((segment, index) => {
      const answer = answers[index];
      const final = answer.outcome === 'state' && answer.final;
      deps.metrics.statusQueries.inc({ outcome: final ? 'final' : OUTCOME_LABEL[answer.outcome] });
      byPush.set(segment.provisioning_id, [
        ...(byPush.get(segment.provisioning_id) ?? []),
        answerDetails(segment, answer),
      ]);
      const report = reportOfAnswer(segment, answer, now);
      if (report) reports.push(report);
    });
    for (const [id, segments] of byPush) {
      await appendEvent(deps.db, { id, state: 'submitted' }, 'status-query', SYSTEM_ACTOR, {
        smsc: smscId,
        segments,
      });
    }
    if (reports.length > 0) await handleReceipts(deps, reports);
    settled += reports.length;
  }
  return settled;
}

/** Runs the sweeps on their intervals until stopped (the unmatched receipts on the expiry interval). */
export function startSweeps(deps: PipelineDeps & { connector?: SmscConnector }): { stop(): Promise<void> } {
  let running = Promise.resolve();
  const guard = (name: string, sweep: () => Promise<number>) => () => {
    running = running
      .then(async () => {
        const count = await sweep();
        if (count > 0) deps.logger.info({ sweep: name, count }, 'sweep acted');
      })
      .catch((error: unknown) =>
        deps.logger.warn({ sweep: name, err: (error as Error).message }, 'sweep failed'),
      );
  };
  const expiry = setInterval(
    guard('expiry', () => expireOverdue(deps)),
    deps.config.provisioning.expirySweepIntervalMs,
  );
  const recovery = setInterval(
    guard('recovery', () => recoverLostJobs(deps)),
    deps.config.provisioning.recoverySweepIntervalMs,
  );
  const unmatched = setInterval(
    guard('unmatched-receipts', () => dropStaleUnmatchedReceipts(deps)),
    deps.config.provisioning.expirySweepIntervalMs,
  );
  const statusQueries = setInterval(
    guard('status-queries', () => queryOverdueSegments(deps)),
    deps.config.provisioning.expirySweepIntervalMs,
  );
  expiry.unref();
  recovery.unref();
  unmatched.unref();
  statusQueries.unref();
  return {
    stop: async () => {
      clearInterval(expiry);
      clearInterval(recovery);
      clearInterval(unmatched);
      clearInterval(statusQueries);
      await running;
    },
  };
}
