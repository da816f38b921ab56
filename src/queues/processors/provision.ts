/**
 * The provision queue's processor: a plain async function (DESIGN house rule 7). It maps the outcome of
 * the work onto BullMQ: a PermanentFailure (or an error that would come out the same on every attempt,
 * deliver.ts deterministicFailure) ends the provisioning as failed and the job with an UnrecoverableError
 * (no retries); anything else is retried with backoff, and the last attempt's error
 * ends the provisioning as failed.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  askConfirmation,
  deliverProvisioning,
  deterministicFailure,
  failProvisioning,
  TransientFailure,
  type DeliveryDeps,
} from '../../provisioning/deliver.ts';
import { JOB_ASK_CONFIRMATION, type ProvisionJobData } from '../names.ts';

export async function processProvisionJob(
  deps: DeliveryDeps,
  job: Job<ProvisionJobData>,
  token?: string,
): Promise<void> {
  const { provisioningId } = job.data;
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  try {
    if (job.name === JOB_ASK_CONFIRMATION) {
      await askConfirmation(deps, provisioningId);
      return;
    }
    await deliverProvisioning(deps, provisioningId, {
      attemptsMade: job.attemptsMade,
      lastAttempt,
      delayUntil: async (at) => {
        await job.moveToDelayed(at.getTime(), token);
        throw new DelayedError();
      },
    });
  } catch (error) {
    if (error instanceof DelayedError) throw error;
    // an unsupported device, a profile that cannot render for it: the same on every attempt
    const permanent = deterministicFailure(error);
    if (permanent) {
      await failProvisioning(deps, provisioningId, permanent.code, permanent.message, permanent.details);
      throw new UnrecoverableError(`${permanent.code}: ${permanent.message}`);
    }
    const code = error instanceof TransientFailure ? error.code : 'PROCESSING_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    if (lastAttempt && code !== 'PROVISIONING_NOT_VISIBLE') {
      await failProvisioning(
        deps,
        provisioningId,
        code,
        `gave up after ${job.attemptsMade + 1} attempts: ${message}`,
      );
      throw new UnrecoverableError(`${code}: ${message}`);
    }
    deps.logger.warn(
      { provisioningId, attempt: job.attemptsMade + 1, code, err: message },
      'provisioning attempt failed; retrying',
    );
    throw error;
  }
}
