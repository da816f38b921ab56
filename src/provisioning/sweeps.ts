/**
 * Periodic sweeps that bring every provisioning to a final state:
 * - expiry: submitted pushes without their final receipts after receiptTimeoutMs -> expired; ask-first
 *   questions unanswered by confirm_by -> expired;
 * - recovery: provisionings still queued/submitting whose job vanished (Redis restarted without its data,
 *   a job removed by hand) are enqueued again; those whose job failed outside the processor (stalled too
 *   often) are failed with the job's reason.
 * - unmatched receipts: receipts that matched no segment and are older than receiptTimeoutMs are dropped
 *   (counted in otagw_unmatched_receipts_dropped_total): any push they could be for has expired by then.
 * All are safe to run in several workers at once: every change is a guarded transition, and a receipt
 * is deleted once (SKIP LOCKED).
 */
import { jobIdFor } from './service.ts';
import { failProvisioning } from './deliver.ts';
import { announceTransition, SYSTEM_ACTOR, type PipelineDeps } from './pipeline.ts';
import { dropUnmatchedReceiptsBefore } from './receipt-repository.ts';
import { appendEvent, listOverdue, listStalled, transitionMany } from './repository.ts';

const BATCH = 500;

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

/** Runs the sweeps on their intervals until stopped (the unmatched receipts on the expiry interval). */
export function startSweeps(deps: PipelineDeps): { stop(): Promise<void> } {
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
  expiry.unref();
  recovery.unref();
  unmatched.unref();
  return {
    stop: async () => {
      clearInterval(expiry);
      clearInterval(recovery);
      clearInterval(unmatched);
      await running;
    },
  };
}
