/**
 * A store per benchmark run, as the gateway is deployed with one: PostgreSQL gets a database of its own
 * (CREATE DATABASE on BENCH_DATABASE_URL's server, dropped after the run), PGlite a data directory on disk
 * in the run's temporary directory (as `npm start` keeps it under ./var/db), never memory://.
 *
 * Before the gateway starts, the store is prepared with the shipped seeds (seedAll, as a first start
 * does), the existing subscriber base, the subscribers the run will trigger that the operator already
 * has, the run's profiles and rules, and a `network` API key (src/auth/api-keys.ts, what `otagw keys
 * create` uses), then closed: PGlite's directory is opened by one process at a time.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys.ts';
import type { Config } from '../../src/config.ts';
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

export async function createStore(kind: StoreKind, runDir: string): Promise<BenchStore> {
  if (kind === 'pglite') {
    const dir = join(runDir, 'db');
    return {
      kind,
      url: `file:${dir}`,
      description: `PGlite on disk (${dir})`,
      drop: async () => undefined, // the run directory is removed by the caller
    };
  }
  const name = `otagw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const server = await serverVersion(url.toString());
  return {
    kind,
    url: url.toString(),
    description: `PostgreSQL ${server} at ${url.host}, database ${name} (dropped after the run)`,
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
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

export interface PreparedStore {
  apiKey: string;
  seconds: number;
}

export async function prepareStore(
  store: BenchStore,
  config: Config,
  options: { base: number; triggers: number; kind?: Kind },
): Promise<PreparedStore> {
  const started = performance.now();
  const db = await openDb({ url: store.url, poolSize: 4 });
  try {
    await seedAll(db, config);
    await seedSubscriberBase(db, options.base);
    await seedTriggeringSubscribers(db, options.triggers);
    if (options.kind) await createBenchProfiles(db, options.kind);
    const { key } = await createApiKey(db, { name: 'bench', role: 'network', createdBy: 'bench' });
    await db.exec('ANALYZE');
    return { apiKey: key, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    await db.close();
  }
}
