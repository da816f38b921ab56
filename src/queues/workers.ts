/**
 * The only place that creates BullMQ Workers (DESIGN house rule 7).
 *
 * Stalled-job recovery: a worker that dies mid-job stops renewing its lock; after lockDurationMs another
 * worker's stalled check moves the job back to waiting and it runs again (the processor resumes from the
 * stored state: a push caught in 'submitting' is resent and recorded as a resubmit after an unknown outcome).
 */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryDeps } from '../provisioning/deliver.ts';
import { PROVISION_QUEUE, type ProvisionJobData } from './names.ts';
import { processProvisionJob } from './processors/provision.ts';

export interface ProvisionWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** how often a job may stall before it fails (default 5: a crash loop ends eventually) */
  maxStalledCount?: number;
  autorun?: boolean;
}

export function createProvisionWorker(
  deps: DeliveryDeps,
  options: ProvisionWorkerOptions,
): Worker<ProvisionJobData> {
  const worker = new Worker<ProvisionJobData>(
    PROVISION_QUEUE,
    (job, token) => processProvisionJob(deps, job, token),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? 5,
      autorun: options.autorun ?? true,
    },
  );
  worker.on('error', (error) => deps.logger.warn({ err: error.message }, 'provision worker: Redis error'));
  worker.on('failed', (job, error) => {
    if (job)
      deps.logger.info(
        { provisioningId: job.data.provisioningId, err: error.message },
        'provision job failed',
      );
  });
  return worker;
}
