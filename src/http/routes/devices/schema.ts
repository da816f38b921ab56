import { z } from 'zod';
import { operation } from '../../operation.ts';
import { imeiSchema } from '../../schemas.ts';

const shortText = z.string().min(1).max(256);
const MAX_REPORT_FIELDS = 100;

const tooMany = (record: Record<string, unknown>) => Object.keys(record).length <= MAX_REPORT_FIELDS;

export const deviceReport = operation({
  operationId: 'devices.report',
  tag: 'network',
  summary: 'What a handset reported about itself (capabilities, settings, software); kept with history',
  params: z.strictObject({ imei: imeiSchema }),
  body: z.strictObject({
    properties: z
      .object({
        manufacturer: shortText.optional(),
        model: shortText.optional(),
        firmware: shortText.optional(),
      })
      // DevInfo-like facts beyond the three the catalogue uses (language, OEM, ...): plain strings only.
      .catchall(z.string().max(1024))
      .refine(tooMany, `at most ${MAX_REPORT_FIELDS} properties`),
    configuration: z
      .record(z.string().min(1).max(128), z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]))
      .refine(tooMany, `at most ${MAX_REPORT_FIELDS} configuration entries`)
      .optional(),
    software: z
      .array(z.strictObject({ name: shortText, version: z.string().min(1).max(64) }))
      .max(500)
      .optional(),
    source: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'source: lower-case word')
      .optional(),
  }),
  response: {
    status: 201,
    description: 'stored',
    schema: z.object({ id: z.number(), subscriberId: z.string().nullable() }),
  },
});

export const listDevices = operation({
  operationId: 'devices.list',
  tag: 'admin',
  summary: 'The device catalogue: list, or search by manufacturer, text or TAC',
  query: z.strictObject({
    manufacturer: z.string().min(1).max(100).optional(),
    q: z.string().min(1).max(100).optional(),
    tac: z
      .string()
      .regex(/^[0-9]{6}([0-9]{2})?$/, 'tac: 6 or 8 digits')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  }),
  response: {
    status: 200,
    description: 'models with their TACs',
    schema: z.object({ models: z.array(z.looseObject({})) }),
  },
});

export const importDevices = operation({
  operationId: 'devices.import',
  tag: 'admin',
  summary: 'Import a device catalogue CSV (upsert; dryRun=true to preview)',
  bodyKind: 'csv',
  body: z.string().min(1, 'the CSV is empty'),
  query: z.strictObject({
    dryRun: z.enum(['true', 'false']).optional(),
    skipInvalid: z.enum(['true', 'false']).optional(),
    source: z.string().min(1).max(200).optional(),
  }),
  response: { status: 200, description: 'import report', schema: z.looseObject({ outcome: z.string() }) },
});
