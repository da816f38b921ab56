import { z } from 'zod';
import { operation } from '../../operation.ts';
import { imsiSchema, msisdnSchema, reasonSchema, uuidSchema } from '../../schemas.ts';

/** A profile by id (uuid) or by name (the seed key). */
export const profileRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'profile: a profile id or name');

/** Care pushes without asking the subscriber first where the group's ask-first policy names care (audited). */
const skipConfirmationSchema = z
  .boolean()
  .optional()
  .describe(
    "push without asking the subscriber first, where the group's ask-first policy asks care's requests",
  );

const provisioningSchema = z.looseObject({
  id: z.string(),
  state: z.string(),
  source: z.string(),
  resendOf: z.string().nullable(),
});

export const requestProvisioning = operation({
  operationId: 'provisionings.request',
  tag: 'care',
  summary: 'Push settings to a subscriber now (customer care)',
  body: z
    .strictObject({
      msisdn: msisdnSchema.optional(),
      imsi: imsiSchema.optional(),
      profile: profileRefSchema.optional(),
      reason: reasonSchema,
      skipConfirmation: skipConfirmationSchema,
    })
    .refine((body) => body.msisdn !== undefined || body.imsi !== undefined, {
      message: 'give msisdn or imsi',
      path: ['msisdn'],
    }),
  response: { status: 202, description: 'the new provisioning', schema: provisioningSchema },
});

export const resendProvisioning = operation({
  operationId: 'provisionings.resend',
  tag: 'care',
  summary: 'Send a provisioning again as a care request: a new provisioning linked to the old one',
  params: z.strictObject({ id: uuidSchema }),
  body: z.strictObject({
    reason: reasonSchema,
    version: z
      .enum(['current', 'same'])
      .optional()
      .describe(
        "'current' (default): the latest version of the profile sent before; 'same': that version again",
      ),
    skipConfirmation: skipConfirmationSchema,
  }),
  response: { status: 202, description: 'the new provisioning', schema: provisioningSchema },
});

export const getProvisioning = operation({
  operationId: 'provisionings.get',
  tag: 'care',
  summary: 'One provisioning with its state changes and segments',
  params: z.strictObject({ id: uuidSchema }),
  response: { status: 200, description: 'the provisioning', schema: provisioningSchema },
});
