import pg from 'pg';
import {
  GENERIC_PLAN_MARK,
  StoreError,
  firstRow,
  normaliseParams,
  transactionHandle,
  type Db,
  type Row,
  type Session,
  type SqlParam,
} from './db.ts';

/** Postgres type OIDs (pg_type.oid, stable since 7.x) whose text form we parse ourselves. */
const INT8_OID = 20;
const DATE_OID = 1082;

/**
 * Parsers that make `pg` return what PGlite returns: int8 as a number instead of a string, and date as
 * its text instead of a Date at local midnight (which shifts the day with the process's time zone).
 */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === DATE_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgDbOptions {
  url: string;
  /** Put this schema first on the search_path of every connection (it is created by the migrations). */
  schema?: string;
  poolSize?: number;
  /** Errors of idle pooled connections (the server restarted, a proxy cut them). Ignored by default. */
  onPoolError?: (error: Error) => void;
}

/** `postgres://user:secret@host/db` -> `postgres://user@host/db`, for logs and banners. */
export function maskPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/**
 * Parameterised statements run as named prepared statements, one name per distinct SQL text, so
 * PostgreSQL parses each once per connection and can reuse a generic plan. Our hot statements are
 * CTEs with a dozen parameters whose planning cost as much as their execution (pg_stat_statements with
 * track_planning, bench:e2e). Left unnamed: statements with many parameters (multi-row VALUES lists,
 * whose text changes with the row count and which would each hold a plan in every connection), and,
 * past `MAX_PREPARED` names, any new text (SQL built at run time cannot grow the set without bound).
 */
const MAX_PREPARED = 500;
const MAX_PREPARED_PARAMS = 64;

function statementNamer(): (sql: string, values: unknown[]) => pg.QueryConfig {
  const names = new Map<string, string>();
  return (sql, values) => {
    if (values.length > MAX_PREPARED_PARAMS) return { text: sql, values };
    let name = names.get(sql);
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `otagw_${names.size.toString(36)}`;
      names.set(sql, name);
    }
    return name === undefined ? { text: sql, values } : { name, text: sql, values };
  };
}

type PlanMode = 'force_generic_plan' | 'auto';

/**
 * Each connection's plan_cache_mode, as we last set it (a new connection has the server's, auto); a
 * rollback may undo a SET, so after one the mode is unknown (absent) and set again before the next
 * statement. Switching costs one round trip, paid only when a connection runs a statement of the other
 * kind than its last (the hot path's statements are all marked: GENERIC_PLAN_MARK).
 */
const planModes = new WeakMap<pg.ClientBase, PlanMode>();

async function runOn(
  client: pg.ClientBase,
  statement: ReturnType<typeof statementNamer>,
  sql: string,
  params: unknown[],
): Promise<pg.QueryResult> {
  const mode: PlanMode = sql.startsWith(GENERIC_PLAN_MARK) ? 'force_generic_plan' : 'auto';
  if (planModes.get(client) !== mode) {
    await client.query(`SET plan_cache_mode = ${mode}`);
    planModes.set(client, mode);
  }
  return client.query(statement(sql, params));
}

function clientSession(client: pg.PoolClient, statement: ReturnType<typeof statementNamer>): Session {
  return {
    query: async (sql, params) => (await runOn(client, statement, sql, params)).rows as Row[],
    exec: async (sql) => {
      // Without parameters pg uses the simple query protocol, which runs several statements.
      if (/^\s*ROLLBACK/i.test(sql)) planModes.delete(client);
      await client.query(sql);
    },
  };
}

export async function openPgDb(options: PgDbOptions): Promise<Db> {
  const location = maskPostgresUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: typeParsers,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  // pg-pool listens for errors of idle clients only: a connection that dies while checked out (between
  // the statements of a transaction, when the store goes away) would emit an unhandled 'error' and end
  // the process. The statement or transaction using it fails and releases it as broken instead.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    planModes.set(client, 'auto');
  });

  // Fail at open, with a message that says where, rather than at the first query.
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreError(
      'CONNECT_FAILED',
      `cannot connect to PostgreSQL at ${location}: ${(error as Error).message}`,
    );
  }

  const statement = statementNamer();
  const query = async <T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return (await runOn(client, statement, sql, normaliseParams(params))).rows as T[];
    } catch (error) {
      // as pool.query does: a connection that failed under a statement is not given out again
      if (!(error as { code?: unknown }).code) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };

  return {
    kind: 'pg',
    location,
    query,
    one: async <T>(sql: string, params?: readonly SqlParam[]) => firstRow(await query<T>(sql, params)),
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      const { handle, finish } = transactionHandle('pg', location, clientSession(client, statement));
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(handle);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A failed ROLLBACK means the connection itself is gone: release it as broken so the pool drops it.
        planModes.delete(client); // the rollback undoes a SET made in the transaction
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        finish();
        client.release(broken);
      }
    },
    close: async () => {
      await pool.end();
    },
  };
}
