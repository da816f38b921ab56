import { z } from 'zod';
import { pushContentSchemaWith } from '../../../provisioning/push-content.ts';
import { operation } from '../../operation.ts';
import { imsiSchema, msisdnSchema, reasonSchema } from '../../schemas.ts';

/**
 * The /v1/pushes body: the subscriber, the reason, and the content's own fields beside them (the same
 * names as a campaign's `content`, push-content.ts). Strict per kind: an SI field on an SL is refused.
 */
const pushBodySchema = pushContentSchemaWith({
  msisdn: msisdnSchema.optional(),
  imsi: imsiSchema.optional(),
  reason: reasonSchema,
}).refine((body) => body.msisdn !== undefined || body.imsi !== undefined, {
  message: 'give msisdn or imsi',
  path: ['msisdn'],
});

export const requestPush = operation({
  operationId: 'pushes.request',
  tag: 'care',
  summary: 'Send one subscriber a Service Indication or Service Loading (software download)',
  description:
    'An SI (a text and a link the user may open) or an SL (the handset loads the link) is a provisioning ' +
    'of its own: the same states, segments, receipts, timeline and audit as settings; ' +
    'GET /v1/provisionings/{id} shows its content. Handsets whose catalogue entry lists no si / sl ' +
    'capability are refused (the provisioning fails with UNSUPPORTED_CONTENT). SL execute-high (loads ' +
    "without asking the user) is refused unless the subscriber's group policy has allowSlExecuteHigh.",
  body: pushBodySchema,
  response: {
    status: 202,
    description: 'the provisioning that carries the push',
    schema: z.object({ provisioningId: z.string(), state: z.string() }),
  },
});
