import { GroupCommit } from '../provisioning/group-commit.ts';
import type { Db } from '../store/db.ts';
import { appendAuditEntries, type AuditEntryInput } from '../store/repositories/audit.ts';

/** Entries per batch (one multi-row INSERT). */
const MAX_BATCH = 500;

/**
 * Group commit for the audit log (provisioning/group-commit.ts). Every request still waits until its own
 * entry is stored (nothing is acknowledged before its audit entry is durable), but entries that arrive
 * while a write is in flight go together in the next multi-row INSERT, so a busy API costs one statement
 * per batch, not per call (appendAuditEntries).
 */
export class AuditWriter {
  private readonly group: GroupCommit<AuditEntryInput, void>;

  constructor(private readonly db: Db) {
    this.group = new GroupCommit<AuditEntryInput, void>(
      async (entries) => {
        await appendAuditEntries(this.db, entries);
        return entries.map(() => ({ status: 'fulfilled', value: undefined }));
      },
      () => [],
      { maxBatch: MAX_BATCH },
    );
  }

  write(entry: AuditEntryInput): Promise<void> {
    return this.group.submit(entry);
  }
}
