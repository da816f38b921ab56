import { z } from 'zod';
import { operation } from '../../operation.ts';
import { freeText, imeiSchema, imsiSchema, isoTimeSchema, msisdnSchema } from '../../schemas.ts';

const sourceSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'source: lower-case word (hlr, eir, probe ...)');

const triggerOutcome = z.object({
  outcome: z.enum([
    'queued',
    'unchanged',
    'debounced',
    'awaiting-confirmation',
    'unsupported-device',
    'current',
  ]),
  provisioningId: z.string().optional(),
});

export const firstUse = operation({
  operationId: 'triggers.firstUse',
  tag: 'network',
  summary: 'A SIM was seen in a handset (HLR/EIR/probe): provision it when this is a first use',
  body: z.strictObject({
    imsi: imsiSchema,
    msisdn: msisdnSchema,
    imei: imeiSchema,
    imeisv: z
      .string()
      .regex(/^[0-9]{16}$/, 'IMEISV must be 16 digits')
      .optional(),
    observedAt: isoTimeSchema.optional(),
    source: sourceSchema.optional(),
  }),
  response: { status: 202, description: 'accepted; the push may still be queued', schema: triggerOutcome },
});

export const dialRequest = operation({
  operationId: 'triggers.dialRequest',
  tag: 'network',
  summary: 'The subscriber asked for settings (IVR short code, USSD)',
  body: z.strictObject({
    msisdn: msisdnSchema,
    code: z
      .string()
      .regex(/^[0-9*#]{1,20}$/, 'code: the dialled digits, * and #')
      .optional(),
    imsi: imsiSchema.optional(),
  }),
  response: { status: 202, description: 'accepted', schema: triggerOutcome },
});

export const staleConfig = operation({
  operationId: 'triggers.staleConfig',
  tag: 'network',
  summary: 'A handset used old settings: re-provision when they are older than its current profile version',
  body: z
    .strictObject({
      imsi: imsiSchema.optional(),
      msisdn: msisdnSchema.optional(),
      observed: z.strictObject({
        apn: freeText(z.string().min(1).max(100)).optional(),
        proxy: freeText(z.string().min(1).max(255)).optional(),
        mmsc: freeText(z.string().min(1).max(1024)).optional(),
      }),
    })
    .refine((body) => body.imsi !== undefined || body.msisdn !== undefined, {
      message: 'give imsi or msisdn',
      path: ['msisdn'],
    }),
  response: { status: 202, description: 'accepted', schema: triggerOutcome },
});
