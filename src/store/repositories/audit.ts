import { asJson, genericPlan, type Db, type SqlParam } from '../db.ts';

/** The audit log: append-only, one row per action. */

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditEntryInput {
  /** Who: an API key name, a care agent, 'cli', 'network', 'worker'. */
  actor: string;
  role?: string | null;
  /** What, as `resource.verb`: 'provisioning.request', 'device-catalogue.import', 'api-key.revoke'. */
  action: string;
  subjectType?: string | null;
  subjectId?: string | null;
  /** Default 'ok'. */
  outcome?: AuditOutcome;
  /** Never secrets: no PINs, keys or passwords. */
  details?: Record<string, unknown>;
  requestId?: string | null;
  /** Default: the database's now(). */
  at?: Date;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  role: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  requestId: string | null;
}

interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  role: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  request_id: string | null;
}

const AUDIT_COLUMNS = 'id, at, actor, role, action, subject_type, subject_id, outcome, details, request_id';

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    role: row.role,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    outcome: row.outcome,
    details: row.details,
    requestId: row.request_id,
  };
}

/** The columns an entry fills, in the order of every insert into audit_log. */
const ENTRY_COLUMNS = [
  'at',
  'actor',
  'role',
  'action',
  'subject_type',
  'subject_id',
  'outcome',
  'details',
  'request_id',
] as const;
export type AuditColumn = (typeof ENTRY_COLUMNS)[number];

/**
 * The one INSERT INTO audit_log; every writer of the audit log calls it. Its rows come from `source`:
 * a VALUES list of parameters (appendAudit, appendAuditEntries), or a SELECT whose list auditSelectList
 * makes, when the entry is written by the statement of the action it records (a provisioning's state
 * change writes its event and its audit entry in one statement, repository.ts).
 */
export function auditInsertSql(source: string, options: { returning?: boolean } = {}): string {
  return (
    `INSERT INTO audit_log (${ENTRY_COLUMNS.join(', ')}) ${source}` +
    (options.returning ? ` RETURNING ${AUDIT_COLUMNS}` : '')
  );
}

/** What a column gets when auditSelectList is not given an expression for it. */
const SELECT_DEFAULTS: Readonly<Record<AuditColumn, string>> = {
  at: 'now()',
  actor: 'NULL',
  role: 'NULL',
  action: 'NULL',
  subject_type: 'NULL',
  subject_id: 'NULL',
  outcome: `'ok'`,
  details: `'{}'::jsonb`,
  request_id: 'NULL',
};

/** The select list of audit rows for auditInsertSql, from an SQL expression per column (in any order). */
export function auditSelectList(
  expressions: Partial<Record<AuditColumn, string>> & { actor: string; action: string },
): string {
  return ENTRY_COLUMNS.map((column) => expressions[column] ?? SELECT_DEFAULTS[column]).join(', ');
}

/** How a parameter of each column is read in a VALUES row. */
const PARAMETER_SQL: Readonly<Record<AuditColumn, (parameter: string) => string>> = {
  at: (parameter) => `coalesce(${parameter}::timestamptz, now())`,
  actor: (parameter) => parameter,
  role: (parameter) => parameter,
  action: (parameter) => parameter,
  subject_type: (parameter) => parameter,
  subject_id: (parameter) => parameter,
  outcome: (parameter) => parameter,
  details: (parameter) => `${parameter}::jsonb`,
  request_id: (parameter) => parameter,
};

function entryParameters(entry: AuditEntryInput): Record<AuditColumn, SqlParam> {
  return {
    at: entry.at ?? null,
    actor: entry.actor,
    role: entry.role ?? null,
    action: entry.action,
    subject_type: entry.subjectType ?? null,
    subject_id: entry.subjectId ?? null,
    outcome: entry.outcome ?? 'ok',
    details: asJson(entry.details ?? {}),
    request_id: entry.requestId ?? null,
  };
}

/**
 * A multi-row VALUES list of the entries and its parameters. (A fixed-text INSERT from one JSON or array
 * parameter was measured slower on PGlite: 1,450 against 1,900 requests/s, bench:api --service stub.)
 */
function valuesOf(entries: readonly AuditEntryInput[]): { sql: string; params: SqlParam[] } {
  const params: SqlParam[] = [];
  const rows = entries.map((entry) => {
    const values = entryParameters(entry);
    const row = ENTRY_COLUMNS.map((column) => {
      params.push(values[column]);
      return PARAMETER_SQL[column](`$${params.length}`);
    });
    return `(${row.join(', ')})`;
  });
  return { sql: `VALUES ${rows.join(', ')}`, params };
}

/** Entries per statement: PostgreSQL takes at most 65,535 parameters. */
const MAX_ENTRIES_PER_STATEMENT = Math.floor(65_535 / ENTRY_COLUMNS.length);

/** Appends one entry; pass a transaction handle to make it part of the action it records. */
export async function appendAudit(db: Db, entry: AuditEntryInput): Promise<AuditEntry> {
  const values = valuesOf([entry]);
  const row = await db.one<AuditRow>(
    genericPlan(auditInsertSql(values.sql, { returning: true })),
    values.params,
  );
  return toAuditEntry(row!);
}

/** Appends several entries, one multi-row statement per MAX_ENTRIES_PER_STATEMENT of them. */
export async function appendAuditEntries(db: Db, entries: readonly AuditEntryInput[]): Promise<void> {
  for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_STATEMENT) {
    const values = valuesOf(entries.slice(start, start + MAX_ENTRIES_PER_STATEMENT));
    // a VALUES list: nothing in its plan depends on the values (and no plan-mode switch on the hot path)
    await db.query(genericPlan(auditInsertSql(values.sql)), values.params);
  }
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Only entries at or after this time. */
  since?: Date;
  /** Only entries before this time. */
  until?: Date;
  /** Only entries with an id below this one: the next page after the last entry seen. */
  beforeId?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

export const MAX_AUDIT_PAGE = 1000;

/** Entries matching every given field, newest first (by id: an identity, so the order they were written). */
export async function listAudit(db: Db, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const rows = await db.query<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
      WHERE ($1::text IS NULL OR subject_type = $1)
        AND ($2::text IS NULL OR subject_id = $2)
        AND ($3::text IS NULL OR actor = $3)
        AND ($4::text IS NULL OR action = $4)
        AND ($5::bigint IS NULL OR id < $5)
        AND ($6::text IS NULL OR outcome = $6)
        AND ($7::timestamptz IS NULL OR at >= $7)
        AND ($8::timestamptz IS NULL OR at < $8)
      ORDER BY id DESC
      LIMIT $9`,
    [
      filter.subjectType ?? null,
      filter.subjectId ?? null,
      filter.actor ?? null,
      filter.action ?? null,
      filter.beforeId ?? null,
      filter.outcome ?? null,
      filter.since ?? null,
      filter.until ?? null,
      Math.min(filter.limit ?? 100, MAX_AUDIT_PAGE),
    ],
  );
  return rows.map(toAuditEntry);
}

/**
 * Every entry matching the filter, newest first, read a page at a time (so an export of the whole log
 * never holds it in memory); at most `limit` entries when the filter gives one.
 */
export async function* allAuditEntries(
  db: Db,
  filter: Omit<AuditFilter, 'limit'> & { limit?: number } = {},
): AsyncGenerator<AuditEntry> {
  let remaining = filter.limit ?? Infinity;
  let beforeId = filter.beforeId;
  while (remaining > 0) {
    const page = await listAudit(db, { ...filter, beforeId, limit: Math.min(remaining, MAX_AUDIT_PAGE) });
    for (const entry of page) yield entry;
    if (page.length < Math.min(remaining, MAX_AUDIT_PAGE)) return;
    remaining -= page.length;
    beforeId = page[page.length - 1].id;
  }
}
