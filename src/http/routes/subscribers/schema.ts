import { z } from 'zod';
import { operation } from '../../operation.ts';
import { msisdnSchema } from '../../schemas.ts';

export const subscriberTimeline = operation({
  operationId: 'subscribers.timeline',
  tag: 'care',
  summary: 'A subscriber with device, group and the timeline of every provisioning (audited read)',
  params: z.strictObject({ msisdn: msisdnSchema }),
  query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
  auditRead: true,
  response: {
    status: 200,
    description: 'subscriber and timeline',
    schema: z.object({
      subscriber: z.looseObject({ msisdn: z.string().nullable(), imsi: z.string(), group: z.string() }),
      device: z.looseObject({}).nullable(),
      group: z.looseObject({}).nullable(),
      timeline: z.array(z.looseObject({ id: z.string(), state: z.string() })),
    }),
  },
});
