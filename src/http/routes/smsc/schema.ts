import { z } from 'zod';
import { operation } from '../../operation.ts';

export const smscStatus = operation({
  operationId: 'smsc.status',
  tag: 'operator',
  summary:
    "SMSC binds of every worker: state, window use, allowed and actual rate, RTT; each worker's counters; errors by status; queue depth",
  query: z.strictObject({ windowMinutes: z.coerce.number().int().min(1).max(1440).default(60) }),
  response: {
    status: 200,
    description: 'binds',
    schema: z.object({
      binds: z.array(
        z.looseObject({
          smscId: z.string(),
          bindId: z.string(),
          state: z.string(),
          /** the worker process the bind lives in */
          workerId: z.string(),
          currentTps: z.number().nullable(),
        }),
      ),
      workers: z.array(
        z.object({
          workerId: z.string(),
          publishedAt: z.string(),
          binds: z.number(),
          counters: z.record(z.string(), z.unknown()),
        }),
      ),
      /** false: Redis did not answer, only this process's own binds are listed */
      workersComplete: z.boolean(),
      errorsByStatus: z.array(
        z.object({ smsc: z.string().nullable(), status: z.string(), count: z.number() }),
      ),
      receiptsByState: z.array(
        z.object({ smsc: z.string().nullable(), state: z.string(), count: z.number() }),
      ),
      queue: z.record(z.string(), z.number()).nullable(),
    }),
  },
});
