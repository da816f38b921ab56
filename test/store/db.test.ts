import { describe, expect, it } from 'vitest';
import {
  StoreError,
  asJson,
  genericPlan,
  isUniqueViolation,
  sqlState,
  SQLSTATE_CHECK_VIOLATION,
  type Db,
} from '../../src/store/db.ts';
import { openDb, storeOptionsFromLocation, DEFAULT_DATA_DIR } from '../../src/store/open-db.ts';
import { maskPostgresUrl } from '../../src/store/pg-db.ts';
import { forEachStore } from '../support/stores.ts';

describe('openDb', () => {
  it('refuses a URL it does not know, without echoing a password', async () => {
    const failure = openDb({ url: 'mysql://user:secret@host/db' });
    await expect(failure).rejects.toMatchObject({ code: 'UNSUPPORTED_URL' });
    await expect(failure).rejects.not.toThrow(/secret/);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openDb({ url: 'memory://', schema: 'x; drop table y' })).rejects.toMatchObject({
      code: 'INVALID_SCHEMA_NAME',
    });
  });

  it('says where PostgreSQL could not be reached', async () => {
    const failure = openDb({ url: 'postgres://nobody:pw@127.0.0.1:1/none' });
    await expect(failure).rejects.toBeInstanceOf(StoreError);
    await expect(failure).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    await expect(failure).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});

describe('storeOptionsFromLocation', () => {
  it('reads a URL as a URL, a bare path as a PGlite directory, nothing as the default directory', () => {
    expect(storeOptionsFromLocation('postgres://app@db/otagw')).toEqual({ url: 'postgres://app@db/otagw' });
    expect(storeOptionsFromLocation('memory://')).toEqual({ url: 'memory://' });
    expect(storeOptionsFromLocation('file:/tmp/x')).toEqual({ url: 'file:/tmp/x' });
    expect(storeOptionsFromLocation('./data/db')).toEqual({ dataDir: './data/db' });
    expect(storeOptionsFromLocation(undefined)).toEqual({ dataDir: DEFAULT_DATA_DIR });
    expect(storeOptionsFromLocation('')).toEqual({ dataDir: DEFAULT_DATA_DIR });
  });

  it('masks the password of a PostgreSQL URL', () => {
    expect(maskPostgresUrl('postgres://app:s3cret@db:5432/otagw')).toBe('postgres://app@db:5432/otagw');
  });
});

async function scratchTable(db: Db, name: string): Promise<void> {
  await db.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY, label text NOT NULL CHECK (label <> ''))`);
}

async function labels(db: Db, table: string): Promise<string[]> {
  return (await db.query<{ label: string }>(`SELECT label FROM ${table} ORDER BY id`)).map(
    (row) => row.label,
  );
}

forEachStore(({ kind, db }) => {
  it('reports its kind and a location', () => {
    expect(db().kind).toBe(kind);
    expect(db().location).toMatch(kind === 'pg' ? /^postgres:\/\// : /^pglite:/);
  });

  it('returns the same JavaScript values on both stores', async () => {
    const row = await db().one(
      `SELECT 42::int8 AS big, 7::int4 AS small, 1.50::numeric AS exact, true AS flag,
              '2024-05-01T10:00:00Z'::timestamptz AS at, '2024-05-01'::date AS day, '22:30'::time AS clock,
              $1::jsonb AS doc, ARRAY['a', 'b']::text[] AS list, gen_random_uuid() AS id, NULL::text AS nothing`,
      [asJson({ apn: 'internet', proxies: [1, 2] })],
    );
    expect(row).toMatchObject({
      big: 42,
      small: 7,
      exact: '1.50',
      flag: true,
      at: new Date('2024-05-01T10:00:00Z'),
      day: '2024-05-01',
      clock: '22:30:00',
      doc: { apn: 'internet', proxies: [1, 2] },
      list: ['a', 'b'],
      nothing: null,
    });
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes $n parameters, sends undefined as NULL and passes text arrays', async () => {
    const row = await db().one<{ a: string; b: null; c: string[] }>(
      'SELECT $1::text AS a, $2::text AS b, $3::text[] AS c',
      ['x', undefined, ['p', 'q']],
    );
    expect(row).toEqual({ a: 'x', b: null, c: ['p', 'q'] });
  });

  it('answers undefined from one() when there is no row', async () => {
    expect(await db().one('SELECT 1 WHERE false')).toBeUndefined();
  });

  it('commits a transaction whose body resolves', async () => {
    await scratchTable(db(), 'commit_probe');
    const result = await db().transaction(async (tx) => {
      await tx.query(`INSERT INTO commit_probe VALUES (1, 'kept')`);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await labels(db(), 'commit_probe')).toEqual(['kept']);
  });

  it('rolls a transaction back when its body throws, and rethrows the error', async () => {
    await scratchTable(db(), 'rollback_probe');
    const failure = db().transaction(async (tx) => {
      await tx.query(`INSERT INTO rollback_probe VALUES (1, 'lost')`);
      throw new Error('changed my mind');
    });
    await expect(failure).rejects.toThrow('changed my mind');
    expect(await labels(db(), 'rollback_probe')).toEqual([]);
  });

  it('rolls a transaction back when a statement in it fails', async () => {
    await scratchTable(db(), 'statement_failure_probe');
    const failure = db().transaction(async (tx) => {
      await tx.query(`INSERT INTO statement_failure_probe VALUES (1, 'lost')`);
      await tx.query(`INSERT INTO statement_failure_probe VALUES (2, '')`);
    });
    await expect(failure).rejects.toSatisfy((error) => sqlState(error) === SQLSTATE_CHECK_VIOLATION);
    expect(await labels(db(), 'statement_failure_probe')).toEqual([]);
  });

  it('rolls a nested transaction back to its savepoint and keeps the outer work', async () => {
    await scratchTable(db(), 'savepoint_probe');
    await db().transaction(async (tx) => {
      await tx.query(`INSERT INTO savepoint_probe VALUES (1, 'outer')`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.query(`INSERT INTO savepoint_probe VALUES (2, 'inner')`);
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.transaction(async (inner) => {
        await inner.query(`INSERT INTO savepoint_probe VALUES (3, 'second inner')`);
      });
    });
    expect(await labels(db(), 'savepoint_probe')).toEqual(['outer', 'second inner']);
  });

  it('refuses a transaction handle once its transaction has ended, and refuses to close it', async () => {
    let leaked: Db | undefined;
    await db().transaction(async (tx) => {
      leaked = tx;
      await expect(tx.close()).rejects.toMatchObject({ code: 'NOT_ALLOWED_IN_TRANSACTION' });
    });
    await expect(leaked!.query('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_FINISHED' });
  });

  it('gives unique violations their SQLSTATE and constraint name', async () => {
    await scratchTable(db(), 'unique_probe');
    await db().query(`INSERT INTO unique_probe VALUES (1, 'a')`);
    const error = await db()
      .query(`INSERT INTO unique_probe VALUES (1, 'b')`)
      .catch((caught: unknown) => caught);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 'unique_probe_pkey')).toBe(true);
    expect(isUniqueViolation(error, 'another_constraint')).toBe(false);
    expect(isUniqueViolation(new Error('plain'))).toBe(false);
  });

  it('runs one statement text again and again, also after it failed, inside and outside transactions', async () => {
    await scratchTable(db(), 'repeat_probe');
    const insert = `INSERT INTO repeat_probe VALUES ($1, $2)`;
    for (let round = 0; round < 8; round++) {
      await db().query(insert, [round, `row ${round}`]);
      const duplicate = await db()
        .query(insert, [round, 'again'])
        .catch((caught: unknown) => caught);
      expect(isUniqueViolation(duplicate)).toBe(true);
      await db().transaction(async (tx) => {
        await tx.query(insert, [100 + round, 'in a transaction']);
      });
    }
    // a multi-row VALUES list with many parameters (not kept prepared) works the same
    const values = Array.from({ length: 40 }, (_, index) => `($${2 * index + 1}::int, $${2 * index + 2})`);
    const params = Array.from({ length: 40 }, (_, index) => [1000 + index, `bulk ${index}`]).flat();
    await db().query(`INSERT INTO repeat_probe VALUES ${values.join(', ')}`, params);
    const counted = await db().one<{ n: number }>(`SELECT count(*)::int AS n FROM repeat_probe`);
    expect(counted?.n).toBe(8 + 8 + 40);
  });

  it('runs queries issued together without mixing them up', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => db().one<{ n: number }>('SELECT $1::int AS n', [index])),
    );
    expect(results.map((row) => row?.n)).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });

  it('plans a statement marked genericPlan once per connection and an unmarked one for its values', async () => {
    if (kind !== 'pg') return; // PGlite plans every statement for its values (no prepared statements)
    const mode = `SELECT current_setting('plan_cache_mode') AS mode`;
    const modeOf = async (handle: Db, sql: string): Promise<string | undefined> =>
      (await handle.one<{ mode: string }>(sql))?.mode;
    for (let round = 0; round < 3; round++) {
      expect(await modeOf(db(), genericPlan(mode))).toBe('force_generic_plan');
      expect(await modeOf(db(), mode)).toBe('auto');
    }
    // a rollback undoes a SET made in the transaction: the mode is set again for the next statement
    await db()
      .transaction(async (tx) => {
        expect(await modeOf(tx, genericPlan(mode))).toBe('force_generic_plan');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const after = await Promise.all(
      Array.from({ length: 12 }, (_, index) => modeOf(db(), index % 2 ? genericPlan(mode) : mode)),
    );
    expect(after).toEqual(
      Array.from({ length: 12 }, (_, index) => (index % 2 ? 'force_generic_plan' : 'auto')),
    );
    await db().transaction(async (tx) => {
      await tx
        .transaction(async (inner) => {
          expect(await modeOf(inner, genericPlan(mode))).toBe('force_generic_plan');
          throw new Error('roll back to the savepoint');
        })
        .catch(() => undefined);
      expect(await modeOf(tx, genericPlan(mode))).toBe('force_generic_plan');
      expect(await modeOf(tx, mode)).toBe('auto');
    });
  });

  it('keeps a connection whose statement failed in SQL (a constraint), as before', async () => {
    await scratchTable(db(), 'failure_probe');
    for (let round = 0; round < 30; round++) {
      const failed = await db()
        .query(`INSERT INTO failure_probe VALUES ($1, '')`, [round])
        .catch((caught: unknown) => caught);
      expect(sqlState(failed)).toBe(SQLSTATE_CHECK_VIOLATION);
    }
    expect((await db().one<{ n: number }>('SELECT 1::int AS n'))?.n).toBe(1);
  });
});
