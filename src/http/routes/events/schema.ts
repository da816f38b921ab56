import { z } from 'zod';
import { operation } from '../../operation.ts';

export const EVENT_TYPES = [
  'provisioning.state',
  'segment.receipt',
  'smsc.bind-state',
  'campaign.state',
  'campaign.progress',
] as const;

export const eventStream = operation({
  operationId: 'events.stream',
  tag: 'operator',
  summary: 'Server-sent events: provisioning state changes, receipts and bind changes as they happen',
  description:
    'Each event is `event: <type>` and `data: <JSON>`; a comment line keeps idle connections open.',
  query: z.strictObject({
    types: z
      .string()
      .max(200)
      .refine(
        (value) => value.split(',').every((type) => (EVENT_TYPES as readonly string[]).includes(type)),
        `types: comma-separated list of ${EVENT_TYPES.join(', ')}`,
      )
      .optional(),
  }),
  response: { status: 200, description: 'an endless event stream', contentType: 'text/event-stream' },
});
