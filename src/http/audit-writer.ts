import { asJson, type Db, type SqlParam } from '../store/db.ts';
import type { AuditEntryInput } from '../store/repositories/audit.ts';

/** Rows per INSERT: keeps the parameter count (9 per row) far below Postgres' 65535. */
const MAX_BATCH = 500;
const COLUMNS_PER_ROW = 9;

/**
 * Group commit for the audit log. Every request still waits until its own entry is stored (nothing is
 * acknowledged before its audit entry is durable), but entries that arrive while a write is in flight
 * go together in the next multi-row INSERT, so a busy API costs one statement per batch, not per call.
 */
export class AuditWriter {
  private pending: Array<{ entry: AuditEntryInput; done: (error?: unknown) => void }> = [];
  private writing = false;

  constructor(private readonly db: Db) {}

  write(entry: AuditEntryInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          await this.insert(batch.map((item) => item.entry));
          for (const item of batch) item.done();
        } catch (error) {
          for (const item of batch) item.done(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async insert(entries: AuditEntryInput[]): Promise<void> {
    const params: SqlParam[] = [];
    const rows = entries.map((entry, index) => {
      params.push(
        entry.at ?? null,
        entry.actor,
        entry.role ?? null,
        entry.action,
        entry.subjectType ?? null,
        entry.subjectId ?? null,
        entry.outcome ?? 'ok',
        asJson(entry.details ?? {}),
        entry.requestId ?? null,
      );
      const base = index * COLUMNS_PER_ROW;
      return (
        `(coalesce($${base + 1}::timestamptz, now()), $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, ` +
        `$${base + 6}, $${base + 7}, $${base + 8}::jsonb, $${base + 9})`
      );
    });
    await this.db.query(
      `INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, outcome, details, request_id)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }
}
