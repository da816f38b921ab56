import { isRole, type Role } from '../auth/roles.ts';
import type { Db } from '../store/db.ts';

/** The console's SQL: its sessions (migration 012). */

export interface StoredSession {
  apiKeyId: string;
  /** The key's name: the actor of everything done in the session. */
  keyName: string;
  role: Role;
  createdAt: Date;
  absoluteUntil: Date;
}

interface SessionRow {
  api_key_id: string;
  name: string;
  role: string;
  created_at: Date;
  absolute_until: Date;
}

export async function insertConsoleSession(
  db: Db,
  session: { idHash: string; apiKeyId: string; idleMs: number; absoluteMs: number },
): Promise<void> {
  await db.query(
    `INSERT INTO console_sessions (id_hash, api_key_id, idle_until, absolute_until)
     VALUES ($1, $2, now() + least($3::bigint, $4::bigint) * interval '1 millisecond',
             now() + $4::bigint * interval '1 millisecond')`,
    [session.idHash, session.apiKeyId, session.idleMs, session.absoluteMs],
  );
}

/**
 * The live session with this id hash, its idle deadline moved on; undefined when it is unknown, idle
 * or past its absolute end, or when its key was revoked or has expired since.
 */
export async function touchConsoleSession(
  db: Db,
  idHash: string,
  idleMs: number,
): Promise<StoredSession | undefined> {
  const row = await db.one<SessionRow>(
    `UPDATE console_sessions s
        SET last_seen_at = now(),
            idle_until = least(now() + $2::bigint * interval '1 millisecond', s.absolute_until)
       FROM api_keys k
      WHERE s.id_hash = $1 AND k.id = s.api_key_id
        AND s.idle_until > now() AND s.absolute_until > now()
        AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
      RETURNING s.api_key_id, k.name, k.role, s.created_at, s.absolute_until`,
    [idHash, idleMs],
  );
  if (!row || !isRole(row.role)) return undefined;
  return {
    apiKeyId: row.api_key_id,
    keyName: row.name,
    role: row.role,
    createdAt: row.created_at,
    absoluteUntil: row.absolute_until,
  };
}

/** Whether the session still holds, without counting this as use (a live stream open is not activity). */
export async function isConsoleSessionLive(db: Db, idHash: string): Promise<boolean> {
  const row = await db.one(
    `SELECT 1 AS live FROM console_sessions s JOIN api_keys k ON k.id = s.api_key_id
      WHERE s.id_hash = $1 AND s.idle_until > now() AND s.absolute_until > now()
        AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`,
    [idHash],
  );
  return row !== undefined;
}

export async function deleteConsoleSession(db: Db, idHash: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
}

/** Sessions past their end are only dead rows: dropped at each sign-in. */
export async function deleteEndedConsoleSessions(db: Db): Promise<number> {
  const rows = await db.query('DELETE FROM console_sessions WHERE idle_until <= now() RETURNING id_hash');
  return rows.length;
}
