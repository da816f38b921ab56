/**
 * Adding jobs. A producer fails fast: when Redis does not take the job within `timeoutMs`, the caller
 * gets QUEUE_UNAVAILABLE (HTTP 503) and rolls back what it recorded.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ProvisioningError } from '../provisioning/types.ts';
import { JOB_PROVISION, PROVISION_QUEUE, type ProvisionJobData, type ProvisionJobName } from './names.ts';

export interface ProvisionQueueOptions {
  connection: Redis;
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** how long an add may take before it counts as Redis being down */
  timeoutMs?: number;
}

export interface EnqueueOptions {
  jobId: string;
  priority: number;
  /** run no earlier than this */
  delayMs?: number;
  name?: ProvisionJobName;
}

export class ProvisionQueue {
  readonly queue: Queue<ProvisionJobData, void, ProvisionJobName>;
  private readonly timeoutMs: number;

  constructor(private readonly options: ProvisionQueueOptions) {
    this.queue = new Queue(PROVISION_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
      skipWaitingForReady: true,
    });
    // The error is reported where a command fails; without a listener Node would crash the process.
    this.queue.on('error', () => undefined);
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  jobOptions(options: EnqueueOptions): JobsOptions {
    return {
      jobId: options.jobId,
      priority: options.priority,
      delay: options.delayMs && options.delayMs > 0 ? options.delayMs : undefined,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  /** Adds a provisioning job; throws ProvisioningError('QUEUE_UNAVAILABLE') when Redis does not take it. */
  async add(data: ProvisionJobData, options: EnqueueOptions): Promise<void> {
    await this.bounded(() => this.queue.add(options.name ?? JOB_PROVISION, data, this.jobOptions(options)));
  }

  /**
   * Adds several jobs in one Redis transaction (all or none); throws ProvisioningError('QUEUE_UNAVAILABLE')
   * when Redis does not take them.
   */
  async addBulk(jobs: ReadonlyArray<{ data: ProvisionJobData; options: EnqueueOptions }>): Promise<void> {
    if (jobs.length === 0) return;
    if (jobs.length === 1) return this.add(jobs[0]!.data, jobs[0]!.options);
    await this.bounded(() =>
      this.queue.addBulk(
        jobs.map((job) => ({
          name: job.options.name ?? JOB_PROVISION,
          data: job.data,
          opts: this.jobOptions(job.options),
        })),
      ),
    );
  }

  private async bounded(command: () => Promise<unknown>): Promise<void> {
    const connection = this.options.connection;
    if (connection.status !== 'ready') {
      throw new ProvisioningError(
        'QUEUE_UNAVAILABLE',
        `the job queue (Redis) is not reachable (${connection.status})`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        command(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      if (error instanceof ProvisioningError) throw error;
      throw new ProvisioningError(
        'QUEUE_UNAVAILABLE',
        `the job queue (Redis) did not take the job: ${(error as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.options.connection.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
