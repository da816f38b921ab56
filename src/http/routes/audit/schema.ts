import { z } from 'zod';
import { idCursor } from '../../id-cursor.ts';
import { operation } from '../../operation.ts';
import { freeText, isoTimeSchema } from '../../schemas.ts';

export const AUDIT_CURSOR = idCursor('audit');

const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;

/** The filters the list and the export share; each narrows, none is required. */
const auditFilters = {
  actor: freeText(z.string().min(1).max(200)).optional(),
  action: freeText(z.string().min(1).max(200)).optional(),
  /** the subject's id (an MSISDN, a provisioning id, a file name ...) */
  subject: freeText(z.string().min(1).max(200)).optional(),
  /** the subject's kind: subscriber, provisioning, device-catalogue ... */
  subjectType: freeText(z.string().min(1).max(64)).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  since: isoTimeSchema.optional(),
  until: isoTimeSchema.optional(),
};

/** since after until can match nothing: a mistake, named on until. */
function sinceNotAfterUntil(query: { since?: string; until?: string }, context: z.RefinementCtx): void {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    context.addIssue({ code: 'custom', path: ['until'], message: 'until must not be before since' });
  }
}

const auditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  role: z.string().nullable(),
  action: z.string(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
});

export const listAuditEntries = operation({
  operationId: 'audit.list',
  tag: 'admin',
  summary: 'The audit log, newest first, filtered and paged with a cursor',
  description:
    'Every filter narrows: actor, action, subject (its id) and subjectType match exactly; since is ' +
    'inclusive, until exclusive. Anonymous 401s are one summary entry per minute (action http.unauthenticated).',
  query: z
    .strictObject({
      ...auditFilters,
      cursor: AUDIT_CURSOR.schema.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    })
    .superRefine(sinceNotAfterUntil),
  response: {
    status: 200,
    description: 'entries, newest first, and the cursor of the next page (null on the last)',
    schema: z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().nullable() }),
  },
});

export const exportAuditEntries = operation({
  operationId: 'audit.export',
  tag: 'admin',
  summary: 'The audit log as JSON lines (one entry per line, newest first), streamed',
  description:
    'The same filters as GET /v1/audit, without paging: every matching entry. The export is audited.',
  query: z.strictObject(auditFilters).superRefine(sinceNotAfterUntil),
  response: {
    status: 200,
    description: 'one JSON audit entry per line',
    contentType: 'application/x-ndjson',
  },
  auditRead: true,
});
