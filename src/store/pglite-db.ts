import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  StoreError,
  firstRow,
  normaliseParams,
  transactionHandle,
  type Db,
  type Row,
  type Session,
  type SqlParam,
} from './db.ts';

/** Postgres type OID of date (pg_type.oid): returned as its text, the same as our `pg` adapter does. */
const DATE_OID = 1082;

export interface PgliteDbOptions {
  /** A directory for the database files; undefined keeps everything in memory. */
  dataDir?: string;
  /** Put this schema first on the search_path (it is created by the migrations). */
  schema?: string;
  /** Start from a dump of another PGlite database (dumpPgliteDb) instead of an empty one. */
  snapshot?: Blob;
}

const instances = new WeakMap<Db, PGlite>();

/**
 * The whole database as a tar archive, to open copies of it with `snapshot` (tests start from a
 * migrated snapshot: restoring takes a fraction of a fresh initdb).
 */
export async function dumpPgliteDb(db: Db): Promise<Blob> {
  const pglite = instances.get(db);
  if (!pglite) throw new TypeError('dumpPgliteDb takes a handle opened on PGlite');
  return pglite.dumpDataDir('none');
}

/**
 * PGlite is one Postgres backend inside this process: two processes (or two instances in one process)
 * on the same directory would corrupt it. A lock file beside the directory turns that into a clear
 * error; a lock left by a process that no longer runs is taken over.
 */
class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    const path = `${dataDir}.lock`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && isRunning(holder)) {
        const who =
          holder === process.pid ? 'this process already has it open' : `process ${holder} has it open`;
        throw new StoreError(
          'DATA_DIR_LOCKED',
          `the embedded database at ${dataDir} is in use (${who}); PGlite allows one process at a time — ` +
            `stop it, or set DATABASE_URL to a PostgreSQL server that several processes can share`,
        );
      }
      unlinkSync(path);
    }
    throw new StoreError('DATA_DIR_LOCKED', `could not take the lock ${path}`);
  }

  release(): void {
    try {
      if (readFileSync(this.path, 'utf8') === String(process.pid)) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite puts the statement's values on its errors (`params`): an IMSI, a PIN's text, a care reason,
 * which any log of the error would then hold (issue 15 #13). The error keeps its SQL and code and says
 * how many values there were.
 */
function withoutValues(error: unknown): unknown {
  if (error !== null && typeof error === 'object' && 'params' in error) {
    const record = error as { params?: unknown; queryOptions?: unknown; paramCount?: number };
    record.paramCount = Array.isArray(record.params) ? record.params.length : 0;
    delete record.params;
    delete record.queryOptions;
  }
  return error;
}

async function rowsOf<T>(run: () => Promise<{ rows: T[] }>): Promise<T[]> {
  try {
    return (await run()).rows;
  } catch (error) {
    throw withoutValues(error);
  }
}

function transactionSession(tx: Transaction): Session {
  return {
    query: (sql, params) => rowsOf(() => tx.query<Row>(sql, params)),
    exec: async (sql) => {
      await tx.exec(sql);
    },
  };
}

export async function openPgliteDb(options: PgliteDbOptions): Promise<Db> {
  let lock: DataDirLock | undefined;
  let dataDir: string | undefined;
  if (options.dataDir !== undefined) {
    dataDir = resolve(options.dataDir);
    mkdirSync(dirname(dataDir), { recursive: true });
    lock = DataDirLock.acquire(dataDir);
  }
  const location = dataDir === undefined ? 'pglite:memory' : `pglite:${options.dataDir}`;
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir, {
      parsers: { [DATE_OID]: (value: string) => value },
      ...(options.snapshot ? { loadDataDir: options.snapshot } : {}),
    });
    // One backend, one session: a session-level search_path holds for every later query.
    if (options.schema) await pglite.exec(`SET search_path TO ${options.schema}`);
  } catch (error) {
    lock?.release();
    throw error;
  }

  const db: Db = {
    kind: 'pglite',
    location,
    query: <T>(sql: string, params?: readonly SqlParam[]) =>
      rowsOf(() => pglite.query<T>(sql, normaliseParams(params))),
    one: async <T>(sql: string, params?: readonly SqlParam[]) =>
      firstRow(await rowsOf(() => pglite.query<T>(sql, normaliseParams(params)))),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    transaction: async <T>(fn: (tx: Db) => Promise<T>): Promise<T> =>
      pglite.transaction(async (tx) => {
        const { handle, finish } = transactionHandle('pglite', location, transactionSession(tx));
        try {
          return await fn(handle);
        } finally {
          finish();
        }
      }),
    close: async () => {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
  instances.set(db, pglite);
  return db;
}
