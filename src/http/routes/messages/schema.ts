import { z } from 'zod';
import { operation } from '../../operation.ts';
import { isoTimeSchema } from '../../schemas.ts';

export const MESSAGE_STATES = ['pending', 'submitted', 'rejected', 'delivered', 'failed', 'expired'] as const;

export const listMessages = operation({
  operationId: 'messages.list',
  tag: 'operator',
  summary: 'SMS segments by state since a time (newest first)',
  query: z.strictObject({
    state: z.enum(MESSAGE_STATES).optional(),
    since: isoTimeSchema.optional(),
    smsc: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  response: {
    status: 200,
    description: 'segments',
    schema: z.object({
      messages: z.array(z.looseObject({ provisioningId: z.string(), segmentNumber: z.number() })),
    }),
  },
});
