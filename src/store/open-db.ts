import { fileURLToPath } from 'node:url';
import { StoreError, assertSchemaName, type Db } from './db.ts';
import { applyMigrations } from './migrate.ts';
import { openPgDb } from './pg-db.ts';
import { openPgliteDb } from './pglite-db.ts';

/** Where the embedded database lives when nothing else is said. */
export const DEFAULT_DATA_DIR = './var/db';

export interface OpenDbOptions {
  /**
   * `postgres://...` (or `postgresql://`) for PostgreSQL; `memory://` for an in-memory PGlite (tests);
   * `file:DIR` or `file:///DIR` for PGlite in DIR. When absent, PGlite in `dataDir`.
   */
  url?: string;
  /** PGlite's data directory when no url is given; default ./var/db. */
  dataDir?: string;
  /** Work in this schema (created if missing) instead of the default one: tests isolate runs with it. */
  schema?: string;
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** PostgreSQL only: errors of idle pooled connections; ignored when not given. */
  onPoolError?: (error: Error) => void;
  /** PGlite only: start from a dump (dumpPgliteDb) rather than an empty database. */
  pgliteSnapshot?: Blob;
}

/**
 * Turns what a user typed (`--db`, DATABASE_URL) into options: a URL as it is, anything else without a
 * scheme as a PGlite data directory; nothing at all means the default directory.
 */
export function storeOptionsFromLocation(location: string | undefined): OpenDbOptions {
  if (location === undefined || location.trim() === '') return { dataDir: DEFAULT_DATA_DIR };
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return { url: location };
  return { dataDir: location };
}

type Target = { kind: 'pg'; url: string } | { kind: 'pglite'; dataDir: string | undefined };

function targetOf(options: OpenDbOptions): Target {
  const { url } = options;
  if (url === undefined) return { kind: 'pglite', dataDir: options.dataDir ?? DEFAULT_DATA_DIR };
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'pg', url };
  if (url === 'memory://' || url === 'memory:') return { kind: 'pglite', dataDir: undefined };
  if (url.startsWith('file://')) return { kind: 'pglite', dataDir: fileURLToPath(url) };
  if (url.startsWith('file:') && url.length > 'file:'.length)
    return { kind: 'pglite', dataDir: url.slice(5) };
  throw new StoreError(
    'UNSUPPORTED_URL',
    `unsupported database URL '${url.replace(/\/\/[^@/]*@/, '//***@')}': ` +
      'use postgres://..., memory:// or file:DIRECTORY',
  );
}

/** Opens PostgreSQL or PGlite (see OpenDbOptions) and brings its schema up to date. */
export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  if (options.schema !== undefined) assertSchemaName(options.schema);
  const target = targetOf(options);
  const db =
    target.kind === 'pg'
      ? await openPgDb({
          url: target.url,
          schema: options.schema,
          poolSize: options.poolSize,
          onPoolError: options.onPoolError,
        })
      : await openPgliteDb({
          dataDir: target.dataDir,
          schema: options.schema,
          snapshot: options.pgliteSnapshot,
        });
  if (options.migrate === false) return db;
  try {
    await applyMigrations(db, { schema: options.schema });
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
