import { z } from 'zod';
import { idCursor } from '../../id-cursor.ts';
import { operation } from '../../operation.ts';
import { freeText, isoTimeSchema } from '../../schemas.ts';

export const MESSAGE_STATES = ['pending', 'submitted', 'rejected', 'delivered', 'failed', 'expired'] as const;

export const listMessages = operation({
  operationId: 'messages.list',
  tag: 'operator',
  summary: 'SMS segments by state since a time (newest first)',
  query: z.strictObject({
    state: z.enum(MESSAGE_STATES).optional(),
    since: isoTimeSchema.optional(),
    smsc: freeText(z.string().min(1).max(64)).optional(),
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

export const UNMATCHED_CURSOR = idCursor('unmatched');

export const listUnmatchedReceipts = operation({
  operationId: 'messages.unmatched',
  tag: 'operator',
  summary: 'Delivery receipts that matched no segment, newest first',
  description:
    'Receipts wait here until a segment with their message id is stored (they are applied then), or until ' +
    'they are older than provisioning.receiptTimeoutMs, when a sweep drops them. Page with nextCursor.',
  query: z.strictObject({
    smsc: freeText(z.string().min(1).max(64)).optional(),
    cursor: UNMATCHED_CURSOR.schema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  response: {
    status: 200,
    description: 'unmatched receipts, newest first, and the cursor of the next page (null on the last)',
    schema: z.object({
      receipts: z.array(
        z.looseObject({
          id: z.number(),
          smsc: z.string(),
          messageId: z.string(),
          stat: z.string(),
          receivedAt: z.string(),
        }),
      ),
      nextCursor: z.string().nullable(),
    }),
  },
});
