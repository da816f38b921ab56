/**
 * Both stores for the repository tests: PGlite in memory and PostgreSQL at 127.0.0.1:5432/test in a
 * schema of its own (dropped afterwards). Stands in until test/support/stores.ts (the store's shared
 * helper) exists; the PostgreSQL URL comes from OTAGW_TEST_POSTGRES_URL when set.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/store/db.ts';
import { openDb } from '../../src/store/open-db.ts';

export const TEST_POSTGRES_URL =
  process.env.OTAGW_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  kind: 'pglite' | 'pg';
  open(): Promise<Db>;
  /** Closes the store and removes what open() created. */
  dispose(db: Db): Promise<void>;
}

export const testStores: TestStore[] = [
  {
    kind: 'pglite',
    open: () => openDb({ url: 'memory://' }),
    dispose: (db) => db.close(),
  },
  (() => {
    const schema = `profiles_test_${randomBytes(6).toString('hex')}`;
    return {
      kind: 'pg' as const,
      open: () => openDb({ url: TEST_POSTGRES_URL, schema, poolSize: 4 }),
      dispose: async (db: Db) => {
        await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await db.close();
      },
    };
  })(),
];
