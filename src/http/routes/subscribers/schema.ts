import { z } from 'zod';
import { csvImportBody, csvImportQuery } from '../../csv-import.ts';
import { operation } from '../../operation.ts';
import { freeText, imeiSchema, imsiSchema, msisdnSchema } from '../../schemas.ts';
import { groupNameSchema } from '../groups/schema.ts';
import { decodeCursor } from './cursor.ts';

/** `?reveal=imsi`: an admin asks for the IMSI in full (audited); without it every answer masks it. */
const revealSchema = z.enum(['imsi']).optional();

/** The IMSI is the NETWPIN key (docs/protocol.md §3.3): shown masked unless an admin reveals it. */
const IMSI_DESCRIPTION = 'masked (23415*******789) unless an admin asked for ?reveal=imsi';

const subscriberView = z.looseObject({
  id: z.string(),
  imsi: z.string().describe(IMSI_DESCRIPTION),
  msisdn: z.string().nullable(),
  group: z.string(),
});

export const subscriberTimeline = operation({
  operationId: 'subscribers.timeline',
  tag: 'care',
  summary: 'A subscriber with device, group and the timeline of every provisioning (audited read)',
  params: z.strictObject({ msisdn: msisdnSchema }),
  query: z.strictObject({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    reveal: revealSchema,
  }),
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

export const listSubscribers = operation({
  operationId: 'subscribers.list',
  tag: 'care',
  summary:
    'Find subscribers: by part of the number, IMSI prefix, group, handset model, last profile (audited read)',
  description:
    'Every filter given must match. Pages in a stable order: pass nextCursor as cursor for the next page; ' +
    'nextCursor is null on the last. A care key may give at most the first 5 IMSI digits (the part the mask shows).',
  query: z
    .strictObject({
      msisdn: z
        .string()
        .regex(/^\+?[0-9]{1,15}$/, 'msisdn: 1 to 15 digits (part of the number)')
        .transform((value) => value.replace(/^\+/, ''))
        .optional(),
      imsiPrefix: z
        .string()
        .regex(/^[0-9]{1,15}$/, 'imsiPrefix: 1 to 15 digits')
        .optional(),
      group: groupNameSchema.optional(),
      model: freeText(z.string().trim().min(1).max(200)).optional(),
      profile: freeText(z.string().min(1).max(200)).optional(),
      profileVersion: z.coerce.number().int().min(1).max(1_000_000).optional(),
      cursor: z
        .string()
        .max(200)
        .transform((value, ctx) => {
          const after = decodeCursor(value);
          if (after === undefined) ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave' });
          return after ?? '';
        })
        .optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      reveal: revealSchema,
    })
    .refine((query) => query.profileVersion === undefined || query.profile !== undefined, {
      message: 'profileVersion needs profile',
      path: ['profileVersion'],
    }),
  auditRead: true,
  response: {
    status: 200,
    description: 'one page of subscribers',
    schema: z.object({ subscribers: z.array(subscriberView), nextCursor: z.string().nullable() }),
  },
});

export const createSubscriber = operation({
  operationId: 'subscribers.create',
  tag: 'admin',
  summary: 'Add a subscriber (409 when the IMSI or MSISDN is taken, 422 for an unknown group)',
  body: z.strictObject({
    imsi: imsiSchema,
    msisdn: msisdnSchema,
    group: groupNameSchema,
    imei: imeiSchema.optional(),
  }),
  response: { status: 201, description: 'the new subscriber', schema: subscriberView },
});

export const changeSubscriber = operation({
  operationId: 'subscribers.change',
  tag: 'admin',
  summary: 'Move a subscriber to another group, or to a new number (number porting); audited before/after',
  description: "The group's policy applies from the subscriber's next request on.",
  params: z.strictObject({ msisdn: msisdnSchema }),
  body: z
    .strictObject({ group: groupNameSchema.optional(), msisdn: msisdnSchema.optional() })
    .refine((body) => body.group !== undefined || body.msisdn !== undefined, {
      message: 'give group or msisdn',
      path: ['group'],
    }),
  response: { status: 200, description: 'the subscriber as it is now', schema: subscriberView },
});

export const importSubscribers = operation({
  operationId: 'subscribers.import',
  tag: 'admin',
  summary:
    'Import subscribers from CSV: imsi,msisdn,group[,imei] with a header line (dryRun=true to preview)',
  description:
    'Adds new IMSIs, moves known ones to the number and group of the file. Any bad line imports nothing ' +
    '(422 SUBSCRIBERS_REFUSED with the lines) unless skipInvalid=true.',
  bodyKind: 'csv',
  body: csvImportBody,
  query: csvImportQuery,
  response: { status: 200, description: 'import report', schema: z.looseObject({ outcome: z.string() }) },
});
