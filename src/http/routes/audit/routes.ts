import { Readable } from 'node:stream';
import { allAuditEntries, listAudit, type AuditFilter } from '../../../store/repositories/audit.ts';
import { pageOf } from '../../id-cursor.ts';
import type { RouteKit } from '../../route-kit.ts';
import { AUDIT_CURSOR, exportAuditEntries, listAuditEntries } from './schema.ts';

interface AuditQuery {
  actor?: string;
  action?: string;
  subject?: string;
  subjectType?: string;
  outcome?: AuditFilter['outcome'];
  since?: string;
  until?: string;
}

/** The API query as the repository's filter (the console's audit page reads it the same way). */
export function filterOf(query: AuditQuery): AuditFilter {
  return {
    actor: query.actor,
    action: query.action,
    subjectId: query.subject,
    subjectType: query.subjectType,
    outcome: query.outcome,
    since: query.since ? new Date(query.since) : undefined,
    until: query.until ? new Date(query.until) : undefined,
  };
}

export function auditRoutes({ api, auth, validate, context }: RouteKit): void {
  api.get('/v1/audit', auth('admin'), validate(listAuditEntries), async (ctx, { query }) => {
    const { cursor, limit, ...filters } = query;
    const rows = await listAudit(context.db, { ...filterOf(filters), beforeId: cursor, limit: limit + 1 });
    const page = pageOf(rows, limit, AUDIT_CURSOR);
    ctx.body = { entries: page.items, nextCursor: page.nextCursor };
  });

  api.get('/v1/audit/export', auth('admin'), validate(exportAuditEntries), async (ctx, { query }) => {
    ctx.state.audit = { subjectType: 'audit-log', details: { filters: query } };
    const entries = allAuditEntries(context.db, filterOf(query));
    const lines = Readable.from(
      (async function* () {
        for await (const entry of entries) yield JSON.stringify(entry) + '\n';
      })(),
    );
    // Headers are sent with the first line: a store failure later can only cut the stream short.
    lines.on('error', (error) =>
      context.logger.error({ err: error, requestId: ctx.state.requestId }, 'audit export failed'),
    );
    ctx.type = 'application/x-ndjson';
    ctx.set('Content-Disposition', 'attachment; filename="audit.jsonl"');
    ctx.body = lines;
  });
}
