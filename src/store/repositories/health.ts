import type { Db, DbKind } from '../db.ts';

/** Answers when the store takes a statement (readiness probes): its kind, or the store's error. */
export async function pingStore(db: Db): Promise<DbKind> {
  await db.query('SELECT 1');
  return db.kind;
}
