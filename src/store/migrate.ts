import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError, assertSchemaName, type Db } from './db.ts';

/**
 * Schema migrations: plain SQL files `NNN-name.sql` in ./migrations, applied in order of NNN when a
 * store opens, each recorded in `schema_migrations` with a checksum of its text. A released migration
 * is never edited (the checksum refuses it); a change is a new file.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{3})-([a-z0-9][a-z0-9-]*)\.sql$/;

/**
 * First key of the advisory lock that serialises migrations between processes (any constant that no
 * other code uses for pg_advisory_lock; this one spells "OTAG"). The second key is the schema's hash,
 * so test runs in different schemas do not wait for each other.
 */
const MIGRATION_LOCK_KEY = 0x4f544147;

function checksumOf(sql: string): string {
  // Line endings normalised: a checkout with CRLF must not look like an edited migration.
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads and orders the migration files; a badly named .sql file or a duplicate number is an error. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(file);
    if (!match) {
      throw new StoreError('MIGRATION_FILE_NAME', `migration file '${file}' must be named NNN-name.sql`);
    }
    const version = Number(match[1]);
    const clash = migrations.find((migration) => migration.version === version);
    if (clash) {
      throw new StoreError(
        'MIGRATION_FILE_NAME',
        `migrations '${clash.name}' and '${file}' share number ${version}`,
      );
    }
    const sql = readFileSync(join(dir, file), 'utf8');
    migrations.push({ version, name: file.slice(0, -'.sql'.length), sql, checksum: checksumOf(sql) });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

export interface ApplyMigrationsOptions {
  /** The schema the store works in (created here, under the lock, when missing). */
  schema?: string;
  migrations?: Migration[];
}

/**
 * Applies the migrations not yet recorded, all in one transaction (all or none), under an advisory
 * lock so that two processes starting together apply each migration once. Returns those applied now.
 */
export async function applyMigrations(db: Db, options: ApplyMigrationsOptions = {}): Promise<Migration[]> {
  const migrations = options.migrations ?? loadMigrations();
  if (options.schema !== undefined) assertSchemaName(options.schema);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      MIGRATION_LOCK_KEY,
      options.schema ?? '',
    ]);
    if (options.schema !== undefined) await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const applied = new Map(
      (
        await tx.query<{ version: number; checksum: string }>(
          'SELECT version, checksum FROM schema_migrations',
        )
      ).map((row) => [row.version, row.checksum]),
    );
    const appliedNow: Migration[] = [];
    for (const migration of migrations) {
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) {
          throw new StoreError(
            'MIGRATION_MODIFIED',
            `migration ${migration.name} differs from the one applied to this database; ` +
              'released migrations are never edited — add a new one instead',
          );
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      appliedNow.push(migration);
    }
    return appliedNow;
  });
}

/**
 * What a store lacks, without changing it (`otagw doctor`): the migrations not yet recorded, and those
 * recorded with another checksum (an edited released migration: applyMigrations would refuse it).
 */
export async function pendingMigrations(
  db: Db,
  migrations: Migration[] = loadMigrations(),
): Promise<{ pending: Migration[]; modified: Migration[] }> {
  const exists = await db.query<{ found: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS found",
  );
  if (exists[0]?.found == null) return { pending: migrations, modified: [] };
  const rows = await db.query<{ version: number; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations',
  );
  const applied = new Map(rows.map((row) => [row.version, row.checksum]));
  return {
    pending: migrations.filter((migration) => !applied.has(migration.version)),
    modified: migrations.filter(
      (migration) => applied.has(migration.version) && applied.get(migration.version) !== migration.checksum,
    ),
  };
}
