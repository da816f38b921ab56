import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Db, DbKind } from '../../src/store/db.ts';
import { loadMigrations } from '../../src/store/migrate.ts';
import { openDb, type OpenDbOptions } from '../../src/store/open-db.ts';
import { dumpPgliteDb } from '../../src/store/pglite-db.ts';

/**
 * Store tests run against both stores: PGlite in memory and PostgreSQL. Each Postgres test store lives
 * in a schema of its own (otagw_test_<random>), dropped afterwards, so test files running in parallel
 * never see each other's rows.
 *
 * OTAGW_TEST_DATABASE_URL overrides the PostgreSQL URL; set it to `none` to run PGlite only (a machine
 * without PostgreSQL): the PostgreSQL variants are then reported as skipped. CI runs both.
 */
export const PG_TEST_URL = process.env.OTAGW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Both kinds, always: a kind that is turned off is skipped (and reported as skipped), never left out. */
export const STORE_KINDS: readonly DbKind[] = ['pglite', 'pg'];

/** false with OTAGW_TEST_DATABASE_URL=none: the PostgreSQL variants are skipped. */
export const PG_ENABLED = PG_TEST_URL !== 'none';

export function storeKindEnabled(kind: DbKind): boolean {
  return kind !== 'pg' || PG_ENABLED;
}

/**
 * `describe(title)` once per store kind (`%s` in the title is the kind), like `describe.each(STORE_KINDS)`,
 * except that a kind turned off (PostgreSQL with OTAGW_TEST_DATABASE_URL=none) is `describe.skip`ped: its
 * tests still show, as skipped. The body runs at collection for every kind; do the work in hooks and tests.
 */
export function describeEachStore(title: string, body: (kind: DbKind) => void): void {
  for (const kind of STORE_KINDS) {
    describe.skipIf(!storeKindEnabled(kind))(title.replace('%s', kind), () => body(kind));
  }
}

export function uniqueSchemaName(): string {
  return `otagw_test_${randomBytes(6).toString('hex')}`;
}

/**
 * A fresh PGlite runs initdb, which takes seconds; restoring a dump of a migrated database takes a
 * fraction of that. The dump is cached in the temp directory under a key made of the PGlite version and
 * the migrations, so every test file (and every run until a migration changes) starts from it.
 */
let snapshot: Promise<Blob> | undefined;

function snapshotPath(): string {
  const pgliteEntry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pglitePackage = readFileSync(join(dirname(dirname(pgliteEntry)), 'package.json'), 'utf8');
  const hash = createHash('sha256').update(pglitePackage);
  for (const migration of loadMigrations()) hash.update(`${migration.version}:${migration.checksum}`);
  return join(tmpdir(), `otagw-pglite-snapshot-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function buildSnapshot(path: string): Promise<Blob> {
  const db = await openDb({ url: 'memory://' });
  try {
    const blob = await dumpPgliteDb(db);
    // Written aside and renamed: test files starting together never read half a file.
    const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, path);
    return blob;
  } finally {
    await db.close();
  }
}

/** A dump of a freshly migrated PGlite database: pass it as `pgliteSnapshot` to openDb. */
export function migratedPgliteSnapshot(): Promise<Blob> {
  const path = snapshotPath();
  snapshot ??= existsSync(path) ? Promise.resolve(new Blob([readFileSync(path)])) : buildSnapshot(path);
  return snapshot;
}

async function openPgliteFromSnapshot(extra: Partial<OpenDbOptions>): Promise<Db> {
  const path = snapshotPath();
  await migratedPgliteSnapshot();
  try {
    return await openDb({ url: 'memory://', pgliteSnapshot: await snapshot, ...extra });
  } catch {
    // A damaged cache file: rebuild it once.
    rmSync(path, { force: true });
    snapshot = buildSnapshot(path);
    return openDb({ url: 'memory://', pgliteSnapshot: await snapshot, ...extra });
  }
}

export interface TestStore {
  kind: DbKind;
  db: Db;
  /** The options it was opened with: open a second handle on the same data (Postgres only). */
  options: OpenDbOptions;
  /** Closes it and drops its schema. */
  dispose(): Promise<void>;
}

/**
 * DROP SCHEMA ... CASCADE locks every table of the schema; a write still under way in the background (the
 * worker's early write of accepted segments flushes 50 ms after the last push, whatever the test does)
 * can lock two of them in the other order, and PostgreSQL then ends one of the two with "deadlock
 * detected". The drop is tried again: the other transaction has ended by then.
 */
async function dropSchema(db: Db, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A fresh, migrated store of the given kind. */
export async function openTestStore(kind: DbKind, extra: Partial<OpenDbOptions> = {}): Promise<TestStore> {
  if (kind === 'pglite') {
    const options: OpenDbOptions = { url: 'memory://', ...extra };
    const db = await openPgliteFromSnapshot(extra);
    return { kind, db, options, dispose: () => db.close() };
  }
  const schema = uniqueSchemaName();
  const options: OpenDbOptions = { url: PG_TEST_URL, schema, poolSize: 4, ...extra };
  const db = await openDb(options);
  return {
    kind,
    db,
    options,
    dispose: async () => {
      try {
        await dropSchema(db, schema);
      } finally {
        await db.close();
      }
    },
  };
}

export interface StoreContext {
  kind: DbKind;
  /** The store of this describe block (opened in beforeAll; call it inside tests and hooks). */
  db(): Db;
  store(): TestStore;
}

/**
 * Runs `body` once per store kind, inside `describe('<kind> store')`, with one fresh store for the
 * block. Tests within the block share it: give rows unique keys, or open another with openTestStore.
 */
export function forEachStore(body: (context: StoreContext) => void): void {
  describeEachStore('%s store', (kind) => {
    let store: TestStore | undefined;
    beforeAll(async () => {
      store = await openTestStore(kind);
    });
    afterAll(async () => {
      await store?.dispose();
    });
    const current = (): TestStore => {
      if (!store) throw new Error(`the ${kind} test store is not open (use it inside tests or hooks)`);
      return store;
    };
    body({ kind, db: () => current().db, store: current });
  });
}
