import { asJson, type Db } from '../db.ts';

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

/** Appends one entry; pass a transaction handle to make it part of the action it records. */
export async function appendAudit(db: Db, entry: AuditEntryInput): Promise<AuditEntry> {
  const row = await db.one<AuditRow>(
    `INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, outcome, details, request_id)
     VALUES (coalesce($1::timestamptz, now()), $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
     RETURNING ${AUDIT_COLUMNS}`,
    [
      entry.at ?? null,
      entry.actor,
      entry.role ?? null,
      entry.action,
      entry.subjectType ?? null,
      entry.subjectId ?? null,
      entry.outcome ?? 'ok',
      asJson(entry.details ?? {}),
      entry.requestId ?? null,
    ],
  );
  return toAuditEntry(row!);
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  action?: string;
  /** Only entries with an id below this one: the next page after the last entry seen. */
  beforeId?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

const MAX_AUDIT_PAGE = 1000;

/** Entries matching every given field, newest first. */
export async function listAudit(db: Db, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const rows = await db.query<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
      WHERE ($1::text IS NULL OR subject_type = $1)
        AND ($2::text IS NULL OR subject_id = $2)
        AND ($3::text IS NULL OR actor = $3)
        AND ($4::text IS NULL OR action = $4)
        AND ($5::bigint IS NULL OR id < $5)
      ORDER BY id DESC
      LIMIT $6`,
    [
      filter.subjectType ?? null,
      filter.subjectId ?? null,
      filter.actor ?? null,
      filter.action ?? null,
      filter.beforeId ?? null,
      Math.min(filter.limit ?? 100, MAX_AUDIT_PAGE),
    ],
  );
  return rows.map(toAuditEntry);
}
