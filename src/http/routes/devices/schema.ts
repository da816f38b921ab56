import { z } from 'zod';
import { csvImportBody, csvImportQuery } from '../../csv-import.ts';
import {
  CAPABILITY_PATTERN,
  DEVICE_FORMATS,
  DEVICE_MODEL_STATUSES,
  DEVICE_SECURITY_METHODS,
  MAX_CONCATENATED_SEGMENTS,
} from '../../../devices/catalogue.ts';
import { operation } from '../../operation.ts';
import { freeText, imeiSchema } from '../../schemas.ts';

const shortText = freeText(z.string().min(1).max(256));
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
      .catchall(freeText(z.string().max(1024)))
      .refine(tooMany, `at most ${MAX_REPORT_FIELDS} properties`),
    // The entries `apn`, `proxy` and `mmsc` are the settings in use: compared with the last delivered
    // profile version (applied) and the latest one (stale: re-provisioned), as the stale-config trigger's.
    configuration: z
      .record(
        freeText(z.string().min(1).max(128)),
        z.union([freeText(z.string().max(4096)), z.number(), z.boolean(), z.null()]),
      )
      .refine(tooMany, `at most ${MAX_REPORT_FIELDS} configuration entries`)
      .optional(),
    software: z
      .array(z.strictObject({ name: shortText, version: freeText(z.string().min(1).max(64)) }))
      .max(500)
      .optional(),
    source: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'source: lower-case word')
      .optional(),
  }),
  response: {
    status: 201,
    description: 'stored, with what it set off',
    schema: z.object({
      id: z.number(),
      subscriberId: z.string().nullable(),
      addedModel: z.object({ id: z.number(), status: z.literal('unverified') }).nullable(),
      applied: z.object({ provisioningId: z.string(), appliedAt: z.string() }).nullable(),
      reprovision: z
        .object({ provisioningId: z.string(), state: z.string(), alreadyOpen: z.boolean() })
        .nullable(),
    }),
  },
});

const CURSOR_PREFIX = 'report:';

/** The opaque cursor after a report: where the next page starts. */
export function reportCursor(id: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

const reportCursorSchema = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const decoded = Buffer.from(text, 'base64url').toString();
    const id = Number(decoded.slice(CURSOR_PREFIX.length));
    if (!decoded.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(id) || id < 1) {
      ctx.addIssue({ code: 'custom', message: 'cursor: not a cursor this list gave' });
      return z.NEVER;
    }
    return id;
  });

export const listDeviceReports = operation({
  operationId: 'devices.reports',
  tag: 'care',
  summary: "A handset's reports, newest first (its IMEI, IMEI without check digit and IMEISV alike)",
  params: z.strictObject({ imei: imeiSchema }),
  query: z.strictObject({
    cursor: reportCursorSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  }),
  // Reports carry the subscriber and the handset's settings: who read them is recorded.
  auditRead: true,
  response: {
    status: 200,
    description: 'one page of reports; nextCursor null on the last',
    schema: z.object({
      reports: z.array(z.looseObject({ id: z.number() })),
      nextCursor: z.string().nullable(),
    }),
  },
});

export const confirmDeviceModel = operation({
  operationId: 'devices.confirm',
  tag: 'admin',
  summary: 'Confirm a model added unverified from a device report, with what it takes (left out: inherited)',
  params: z.strictObject({ modelId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
  body: z.strictObject({
    format: z.enum(DEVICE_FORMATS).optional(),
    securityMethods: z.array(z.enum(DEVICE_SECURITY_METHODS)).min(1).max(5).optional(),
    maxSegments: z.number().int().min(1).max(MAX_CONCATENATED_SEGMENTS).optional(),
    capabilities: z
      .array(z.string().regex(CAPABILITY_PATTERN, 'capability: lower-case word'))
      .max(50)
      .optional(),
    notes: freeText(z.string().max(1000)).optional(),
  }),
  response: {
    status: 200,
    description: 'the model, verified',
    schema: z.looseObject({ status: z.string() }),
  },
});

export const listDevices = operation({
  operationId: 'devices.list',
  tag: 'admin',
  summary:
    'The device catalogue: list, or search by manufacturer, status (unverified: reported), text or TAC',
  query: z.strictObject({
    manufacturer: freeText(z.string().min(1).max(100)).optional(),
    status: z.enum(DEVICE_MODEL_STATUSES).optional(),
    q: freeText(z.string().min(1).max(100)).optional(),
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
  body: csvImportBody,
  query: csvImportQuery,
  response: { status: 200, description: 'import report', schema: z.looseObject({ outcome: z.string() }) },
});
