/**
 * A store per benchmark run, as the gateway is deployed with one: PostgreSQL gets a database of its own
 * (on BENCH_DATABASE_URL's server, dropped after the run), PGlite a data directory on disk in the run's
 * temporary directory (as `npm start` keeps it under ./var/db), never memory://.
 *
 * Before the gateway starts, the store holds the shipped seeds (seedAll, as a first start does), the
 * existing subscriber base, the subscribers the run will trigger that the operator already has, the run's
 * profiles and rules, and a `network` API key (src/auth/api-keys.ts, what `otagw keys create` uses); it is
 * closed then: PGlite's directory is opened by one process at a time.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { undoOnInterrupt } from './cleanup.ts';
import type { Config } from '../../src/config.ts';
import type { Db } from '../../src/store/db.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { openDb } from '../../src/store/open-db.ts';
import { createBenchProfiles, seedTriggeringSubscribers, type Kind } from './mix.ts';
import { seedSubscriberBase } from './subscriber-base.ts';

export type StoreKind = 'pg' | 'pglite';

export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchStore {
  kind: StoreKind;
  url: string;
  /** for the report (no credentials) */
  description: string;
  drop(): Promise<void>;
}

/**
 * A store with the shipped seeds and the existing subscriber base, prepared once per benchmark process
 * and copied for every run (CREATE DATABASE ... TEMPLATE for PostgreSQL, a copy of the closed data
 * directory for PGlite): seeding 100,000 subscribers with their history takes half a minute to a
 * minute and a half, the copy a second or two.
 */
export interface StoreTemplate {
  kind: StoreKind;
  base: number;
  seconds: number;
  /** a fresh copy for one run */
  create(runDir: string): Promise<BenchStore>;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Writes the existing subscriber base into a seeded store (default: seedSubscriberBase). */
export type BaseGenerator = (db: Db, base: number) => Promise<void>;

async function seedBase(url: string, config: Config, base: number, generate: BaseGenerator): Promise<void> {
  const db = await openDb({ url, poolSize: 4 });
  try {
    await seedAll(db, config);
    await generate(db, base);
  } finally {
    await db.close();
  }
}

export async function prepareTemplate(
  kind: StoreKind,
  config: Config,
  base: number,
  workDir: string,
  generate: BaseGenerator = seedSubscriberBase,
): Promise<StoreTemplate> {
  const started = performance.now();
  const seconds = (): number => Math.round((performance.now() - started) / 100) / 10;
  if (kind === 'pglite') {
    const dir = join(workDir, `template-db-${randomBytes(4).toString('hex')}`);
    const forget = undoOnInterrupt(async () => rmSync(dir, { recursive: true, force: true }));
    await seedBase(`file:${dir}`, config, base, generate);
    return {
      kind,
      base,
      seconds: seconds(),
      create: async (runDir) => {
        const copy = join(runDir, 'db');
        cpSync(dir, copy, { recursive: true });
        return {
          kind,
          url: `file:${copy}`,
          description: `PGlite on disk (${copy})`,
          drop: async () => undefined, // the run directory is removed by the caller
        };
      },
      drop: async () => {
        rmSync(dir, { recursive: true, force: true });
        forget();
      },
    };
  }
  const template = `otagw_bench_tpl_${randomBytes(4).toString('hex')}`;
  const dropTemplate = (): Promise<unknown> =>
    withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  await withAdmin((client) => client.query(`CREATE DATABASE ${template}`));
  const forgetTemplate = undoOnInterrupt(dropTemplate);
  try {
    await seedBase(databaseUrl(template), config, base, generate);
  } catch (error) {
    await dropTemplate();
    forgetTemplate();
    throw error;
  }
  const server = await serverVersion(databaseUrl(template));
  return {
    kind,
    base,
    seconds: seconds(),
    create: async () => {
      const name = `otagw_bench_${randomBytes(4).toString('hex')}`;
      const drop = (): Promise<unknown> =>
        withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
      const forget = undoOnInterrupt(drop);
      const url = databaseUrl(name);
      return {
        kind,
        url,
        description: `PostgreSQL ${server} at ${new URL(url).host}, database ${name} (a copy of the seeded template, dropped after the run)`,
        drop: async () => {
          await drop();
          forget();
        },
      };
    },
    drop: async () => {
      await dropTemplate();
      forgetTemplate();
    },
  };
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version.split(' ')[0];
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL only: transactions committed or rolled back in the store's database so far
 * (pg_stat_database; PostgreSQL publishes them within about a second).
 */
export async function storeTransactions(store: BenchStore): Promise<number | undefined> {
  if (store.kind !== 'pg') return undefined;
  const name = new URL(store.url).pathname.slice(1);
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ count: string }>(
      `SELECT (xact_commit + xact_rollback)::text AS count FROM pg_stat_database WHERE datname = $1`,
      [name],
    );
    return rows.length > 0 ? Number(rows[0].count) : undefined;
  });
}

export interface PreparedStore {
  apiKey: string;
  seconds: number;
}

/**
 * The run's own part: the subscribers it triggers that are known, its profiles and rules, an API key
 * (`network` unless the run says otherwise: bench:campaign drives the admin routes).
 */
export async function prepareStore(
  store: BenchStore,
  options: {
    triggers: number;
    kind?: Kind;
    role?: 'network' | 'admin' | 'care';
    /** more rows the run needs before the gateway opens the store (bench:vs-kannel: care's subscribers) */
    seed?: (db: Db) => Promise<void>;
  },
): Promise<PreparedStore> {
  const started = performance.now();
  const db = await openDb({ url: store.url, poolSize: 4 });
  try {
    await seedTriggeringSubscribers(db, options.triggers);
    if (options.kind) await createBenchProfiles(db, options.kind);
    if (options.seed) await options.seed(db);
    const { key } = await createApiKey(db, {
      name: 'bench',
      role: options.role ?? 'network',
      createdBy: 'bench',
    });
    await db.exec('ANALYZE');
    return { apiKey: key, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    await db.close();
  }
}
