/**
 * One database interface over PostgreSQL (`pg`, production) and PGlite (Postgres compiled to WASM,
 * embedded). Both speak the same SQL, take `$1..$n` parameters and run the same migrations, so nothing
 * above this file knows which one it talks to.
 *
 * Values come back the same from both:
 * - timestamptz -> Date; jsonb -> parsed JSON; text[] -> string[]; uuid -> string
 * - int8 (bigint, count(*)) -> number (our ids and counts stay far below 2^53)
 * - numeric -> string (exact); date and time -> the text Postgres prints ('2024-05-01', '22:00:00')
 * Parameters: pass JSON for jsonb columns as a string (`asJson(value)` with `$n::jsonb`): `pg` would turn a
 * JS array into a Postgres array literal, PGlite would not, and the string form is the same on both.
 */

export type DbKind = 'pg' | 'pglite';

/** What a query parameter may be; `undefined` is sent as NULL. */
export type SqlParam = string | number | boolean | Date | null | undefined | readonly SqlArrayItem[];
type SqlArrayItem = string | number | boolean | null;

export type Row = Record<string, unknown>;

export interface Db {
  readonly kind: DbKind;
  /** Where the data lives, password masked: `postgres://otagw@db:5432/otagw`, `pglite:./var/db`, `pglite:memory`. */
  readonly location: string;
  /** Runs one statement and returns its rows (an empty array for statements without RETURNING). */
  query<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row of `query`, or undefined when there is none. */
  one<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** Runs a script of several statements without parameters (migrations, test set-up). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws (the error is
   * rethrown). Inside, use only `tx`: on PGlite the outer handle waits for the transaction to end, so
   * using it from within deadlocks. Calling `tx.transaction` nests with a savepoint.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded database. Not allowed on a transaction handle. */
  close(): Promise<void>;
}

export type StoreErrorCode =
  | 'UNSUPPORTED_URL'
  | 'INVALID_SCHEMA_NAME'
  | 'CONNECT_FAILED'
  | 'DATA_DIR_LOCKED'
  | 'MIGRATION_FILE_NAME'
  | 'MIGRATION_MODIFIED'
  | 'TRANSACTION_FINISHED'
  | 'NOT_ALLOWED_IN_TRANSACTION';

/** A store failure of our own making (the databases' own errors pass through with their SQLSTATE `code`). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** SQLSTATE of a unique-constraint violation (PostgreSQL appendix A, class 23). */
export const SQLSTATE_UNIQUE_VIOLATION = '23505';
/** SQLSTATE of a foreign-key violation. */
export const SQLSTATE_FOREIGN_KEY_VIOLATION = '23503';
/** SQLSTATE of a check-constraint violation. */
export const SQLSTATE_CHECK_VIOLATION = '23514';

/** The SQLSTATE of a database error from either driver, or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when `error` is a unique violation (of `constraint`, when given). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== SQLSTATE_UNIQUE_VIOLATION) return false;
  return constraint === undefined || (error as { constraint?: unknown }).constraint === constraint;
}

/** A jsonb parameter: `db.query('insert ... values ($1::jsonb)', [asJson(details)])`. */
/**
 * Marks a statement whose plan does not depend on its parameter values (lookups by id, batches read from a
 * JSON recordset): PostgreSQL may plan it once per connection and reuse that plan (plan_cache_mode
 * force_generic_plan; pg-db.ts). Left unmarked, a statement keeps PostgreSQL's default, which plans it
 * again for its values while that looks cheaper: what optional filters (`$1 IS NULL OR ...`) and
 * prefix searches need to use their indexes. The hot path's CTEs cost more to plan than to run
 * (bench:hot-path), so they are marked.
 */
export const GENERIC_PLAN_MARK = '/* otagw:generic-plan */ ';

export function genericPlan(sql: string): string {
  return GENERIC_PLAN_MARK + sql;
}

export function asJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Ids are uuid columns: a text that is not a UUID is looked for nowhere (PostgreSQL would refuse the cast). */
export function isUuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}

/** The first row, or undefined. */
export function firstRow<T>(rows: T[]): T | undefined {
  return rows[0];
}

/** Schema names we create and put on the search_path: plain identifiers only, never quoted input. */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreError('INVALID_SCHEMA_NAME', `schema name '${schema}' must match [a-z_][a-z0-9_]*`);
  }
}

/** The minimal connection a transaction runs on: one session, statements in order. */
export interface Session {
  query(sql: string, params: unknown[]): Promise<Row[]>;
  exec(sql: string): Promise<void>;
}

export function normaliseParams(params: readonly SqlParam[] | undefined): unknown[] {
  return params === undefined ? [] : params.map((value) => (value === undefined ? null : value));
}

/**
 * The handle given to a transaction body, and `finish` for the adapter to call once the transaction
 * has committed or rolled back (the handle refuses work after that). Nested `transaction` calls become
 * savepoints, so a repository function can open its own transaction whether or not its caller did.
 */
export function transactionHandle(
  kind: DbKind,
  location: string,
  session: Session,
  depth = 1,
): { handle: Db; finish: () => void } {
  let finished = false;
  const live = (): Session => {
    if (finished) {
      throw new StoreError('TRANSACTION_FINISHED', 'this transaction has ended; use the outer handle');
    }
    return session;
  };
  const handle: Db = {
    kind,
    location,
    query: async <T>(sql: string, params?: readonly SqlParam[]) =>
      (await live().query(sql, normaliseParams(params))) as T[],
    one: async <T>(sql: string, params?: readonly SqlParam[]) =>
      firstRow((await live().query(sql, normaliseParams(params))) as T[]),
    exec: async (sql: string) => live().exec(sql),
    transaction: async <T>(fn: (tx: Db) => Promise<T>) => {
      const savepoint = `otagw_savepoint_${depth}`;
      await live().exec(`SAVEPOINT ${savepoint}`);
      const inner = transactionHandle(kind, location, session, depth + 1);
      try {
        const result = await fn(inner.handle);
        await session.exec(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await session.exec(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      } finally {
        inner.finish();
      }
    },
    close: async () => {
      throw new StoreError('NOT_ALLOWED_IN_TRANSACTION', 'close the outer handle, not a transaction handle');
    },
  };
  return {
    handle,
    finish: () => {
      finished = true;
    },
  };
}
