import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, loadMigrations, type Migration } from '../../src/store/migrate.ts';
import { openDb } from '../../src/store/open-db.ts';
import {
  forEachStore,
  migratedPgliteSnapshot,
  openTestStore,
  PG_ENABLED,
  PG_TEST_URL,
  uniqueSchemaName,
} from '../support/stores.ts';

/** Every table of DESIGN.md "Data", as migration 001 creates them. */
const DESIGN_TABLES = [
  'api_keys',
  'audit_log',
  'campaign_targets',
  'campaigns',
  'console_sessions',
  'device_models',
  'device_reports',
  'dm_accounts',
  'dm_commands',
  'dm_sessions',
  'groups',
  'profile_rules',
  'profile_versions',
  'profiles',
  'provisioning_events',
  'provisionings',
  'retired_groups',
  'schema_migrations',
  'segments',
  'subscriber_devices',
  'subscribers',
  'tacs',
  'unmatched_receipts',
];

const scratchDirs: string[] = [];
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'otagw-store-'));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadMigrations', () => {
  it('orders the files by number, whatever the directory order', () => {
    const dir = scratchDir();
    writeFileSync(join(dir, '010-later.sql'), 'SELECT 10;');
    writeFileSync(join(dir, '002-second.sql'), 'SELECT 2;');
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    const migrations = loadMigrations(dir);
    expect(migrations.map((migration) => [migration.version, migration.name])).toEqual([
      [2, '002-second'],
      [10, '010-later'],
    ]);
  });

  it('refuses a badly named SQL file and two files with one number', () => {
    const badName = scratchDir();
    writeFileSync(join(badName, '1-short.sql'), 'SELECT 1;');
    expect(() => loadMigrations(badName)).toThrow(expect.objectContaining({ code: 'MIGRATION_FILE_NAME' }));
    const clash = scratchDir();
    writeFileSync(join(clash, '003-one.sql'), 'SELECT 1;');
    writeFileSync(join(clash, '003-two.sql'), 'SELECT 2;');
    expect(() => loadMigrations(clash)).toThrow(expect.objectContaining({ code: 'MIGRATION_FILE_NAME' }));
  });

  it('ships migration 001 first', () => {
    expect(loadMigrations()[0]).toMatchObject({ version: 1, name: '001-initial' });
  });

  it('gives the same checksum to a file checked out with CRLF line endings', () => {
    const lf = scratchDir();
    const crlf = scratchDir();
    writeFileSync(join(lf, '001-x.sql'), 'SELECT 1;\nSELECT 2;\n');
    writeFileSync(join(crlf, '001-x.sql'), 'SELECT 1;\r\nSELECT 2;\r\n');
    expect(loadMigrations(crlf)[0].checksum).toBe(loadMigrations(lf)[0].checksum);
  });
});

function fakeMigration(version: number, sql: string): Migration {
  return { version, name: `${version}-test`, sql, checksum: `checksum-of-${sql}` };
}

forEachStore(({ db }) => {
  it('creates every table of the design', async () => {
    const rows = await db().query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
    );
    expect(rows.map((row) => row.table_name)).toEqual(DESIGN_TABLES);
  });

  it('records each applied migration', async () => {
    const rows = await db().query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual(loadMigrations().map(({ version, name }) => ({ version, name })));
  });

  it('applies nothing the second time', async () => {
    expect(await applyMigrations(db())).toEqual([]);
  });

  it('applies only migrations it has not applied, in order', async () => {
    const first = fakeMigration(901, 'CREATE TABLE migration_probe (step integer)');
    const second = fakeMigration(902, 'INSERT INTO migration_probe VALUES (902)');
    expect((await applyMigrations(db(), { migrations: [first] })).map((m) => m.version)).toEqual([901]);
    expect((await applyMigrations(db(), { migrations: [first, second] })).map((m) => m.version)).toEqual([
      902,
    ]);
    expect(await db().query('SELECT step FROM migration_probe')).toEqual([{ step: 902 }]);
  });

  it('applies a failing batch not at all', async () => {
    const good = fakeMigration(911, 'CREATE TABLE half_done_probe (x integer)');
    const bad = fakeMigration(912, 'CREATE TABLE this is not sql');
    await expect(applyMigrations(db(), { migrations: [good, bad] })).rejects.toThrow();
    expect(await db().query(`SELECT 1 FROM schema_migrations WHERE version IN (911, 912)`)).toEqual([]);
    expect(await db().query(`SELECT to_regclass('half_done_probe') AS t`)).toEqual([{ t: null }]);
  });

  it('refuses a migration edited after it was applied', async () => {
    await applyMigrations(db(), { migrations: [fakeMigration(921, 'SELECT 1')] });
    const edited = { ...fakeMigration(921, 'SELECT 1'), checksum: 'another checksum' };
    await expect(applyMigrations(db(), { migrations: [edited] })).rejects.toMatchObject({
      code: 'MIGRATION_MODIFIED',
    });
  });

  it('keeps profile versions immutable', async () => {
    const [profile] = await db().query<{ id: string }>(
      `INSERT INTO profiles (name, created_by) VALUES ('immutability-probe', 'test') RETURNING id`,
    );
    await db().query(
      `INSERT INTO profile_versions (profile_id, version, content, created_by) VALUES ($1, 1, '{}', 'test')`,
      [profile.id],
    );
    await expect(
      db().query(`UPDATE profile_versions SET note = 'changed' WHERE profile_id = $1`, [profile.id]),
    ).rejects.toThrow(/immutable/);
    await expect(
      db().query(`DELETE FROM profile_versions WHERE profile_id = $1`, [profile.id]),
    ).rejects.toThrow(/immutable/);
  });

  it('seeds the default group that subscribers fall into', async () => {
    const [subscriber] = await db().query<{ group_name: string }>(
      `INSERT INTO subscribers (imsi, msisdn) VALUES ('262019876543210', '491701234567') RETURNING group_name`,
    );
    expect(subscriber.group_name).toBe('default');
  });
});

describe.skipIf(!PG_ENABLED)('PostgreSQL, several processes', () => {
  it('applies each migration once when two processes open a new database together', async () => {
    const schema = uniqueSchemaName();
    const [first, second, third] = await Promise.all(
      [1, 2, 3].map(() => openDb({ url: PG_TEST_URL, schema, poolSize: 2 })),
    );
    try {
      const rows = await first.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(rows.length).toBe(loadMigrations().length);
      expect(await second.query('SELECT name FROM groups')).toEqual([{ name: 'default' }]);
    } finally {
      await first.exec(`DROP SCHEMA ${schema} CASCADE`);
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  });

  it('sees the data of another handle on the same schema', async () => {
    const store = await openTestStore('pg');
    const other = await openDb({ ...store.options, migrate: true });
    try {
      await store.db.query(`INSERT INTO groups (name) VALUES ('prepaid')`);
      expect(await other.query(`SELECT name FROM groups WHERE name = 'prepaid'`)).toEqual([
        { name: 'prepaid' },
      ]);
      expect(await applyMigrations(other, { schema: store.options.schema })).toEqual([]);
    } finally {
      await other.close();
      await store.dispose();
    }
  });
});

// A fresh directory from a migrated snapshot: initdb into a directory takes many seconds.
describe('PGlite in a data directory', () => {
  it('keeps its data and applied migrations across a close and a reopen', async () => {
    const dataDir = join(scratchDir(), 'db');
    const first = await openDb({ dataDir, pgliteSnapshot: await migratedPgliteSnapshot() });
    await first.query(`INSERT INTO groups (name) VALUES ('postpaid')`);
    await first.close();

    const second = await openDb({ url: `file:${dataDir}`, migrate: false });
    try {
      expect(await applyMigrations(second)).toEqual([]);
      expect(await second.query(`SELECT name FROM groups WHERE name = 'postpaid'`)).toEqual([
        { name: 'postpaid' },
      ]);
    } finally {
      await second.close();
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('refuses a second open of a directory in use, and takes over a lock left by a dead process', async () => {
    const dataDir = join(scratchDir(), 'db');
    const db = await openDb({ dataDir, pgliteSnapshot: await migratedPgliteSnapshot() });
    try {
      await expect(openDb({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
      expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid));
    } finally {
      await db.close();
    }
    // A pid far above any pid_max: no such process.
    writeFileSync(`${dataDir}.lock`, '2147483646');
    const again = await openDb({ dataDir });
    await again.close();
  });
});
