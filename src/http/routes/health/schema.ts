import { z } from 'zod';
import { operation } from '../../operation.ts';

export const healthz = operation({
  operationId: 'health.live',
  tag: 'operations',
  summary: 'Liveness: the process answers',
  response: { status: 200, description: 'alive', schema: z.object({ status: z.literal('ok') }) },
});

const check = z.object({ ok: z.boolean(), detail: z.string() });

export const readyz = operation({
  operationId: 'health.ready',
  tag: 'operations',
  summary: 'Readiness: Redis, the store and at least one SMSC bind (503 NOT_READY otherwise)',
  response: {
    status: 200,
    description: 'ready',
    schema: z.object({ status: z.literal('ready'), checks: z.record(z.string(), check) }),
  },
});

export const metrics = operation({
  operationId: 'health.metrics',
  tag: 'operations',
  summary: 'Prometheus metrics (text exposition format)',
  response: { status: 200, description: 'metrics', contentType: 'text/plain; version=0.0.4' },
});
