import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError, type CliIo } from '../../src/cli/main.ts';
import { createImportCommand, importCommand } from '../../src/cli/commands/import.ts';
import type { Db } from '../../src/store/db.ts';
import { findModelByTac } from '../../src/store/repositories/devices.ts';
import { openTestStore, PG_ENABLED, PG_TEST_URL, type TestStore } from '../support/stores.ts';

const HEADER = 'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes';

function captureIo(stdin = ''): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    readStdin: async () => stdin,
  };
  return io;
}

let dir: string;
let store: TestStore;
const opened: Array<string | undefined> = [];

/** The command on the shared test store; closing it is left to the test. */
const command = createImportCommand({
  openStore: async (location) => {
    opened.push(location);
    const db: Db = { ...store.db, close: async () => undefined };
    return db;
  },
  defaultLocation: () => 'from-environment',
});

function csvFile(name: string, ...lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [HEADER, ...lines].join('\n') + '\n');
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otagw-import-'));
  store = await openTestStore('pglite');
});
afterAll(async () => {
  await store?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('otagw import devices', () => {
  it('imports a good file, prints a summary and exits 0', async () => {
    const io = captureIo();
    const file = csvFile('good.csv', '90000001,Cmd,One,oma-cp,,4,,', ',Cmd,*,oma-cp,NETWPIN,6,,');
    expect(await command(['devices', file], io)).toBe(0);
    expect(io.err).toBe('');
    expect(io.out).toBe(
      'good.csv: 2 lines read\nmodels  2 added, 0 updated, 0 unchanged\nTACs    1 added, 0 moved, 0 unchanged\n',
    );
    expect(await findModelByTac(store.db, '90000001')).toMatchObject({ model: 'One' });
  });

  it('lists bad lines as FILE:LINE: CODE, imports nothing and exits 1', async () => {
    const io = captureIo();
    const file = csvFile('bad.csv', '90000002,Cmd,Two,oma-cp,,4,,', '9000,Cmd,Three,oma-cp,,4,,');
    expect(await command(['devices', file], io)).toBe(1);
    expect(io.err).toMatch(/^bad\.csv:3: TAC_INVALID: TAC '9000'/);
    expect(io.out).toContain('1 bad line');
    expect(io.out).toContain('nothing imported');
    expect(await findModelByTac(store.db, '90000002')).toBeUndefined();
  });

  it('imports the good lines with --skip-invalid and exits 0', async () => {
    const io = captureIo();
    const file = csvFile('skip.csv', '90000003,Cmd,Four,oma-cp,,4,,', '90000004,Cmd,Five,wap,,4,,');
    expect(await command(['devices', file, '--skip-invalid'], io)).toBe(0);
    expect(io.err).toMatch(/skip\.csv:3: FORMAT_INVALID/);
    expect(await findModelByTac(store.db, '90000003')).toBeDefined();
  });

  it('reports a dry run and stores nothing', async () => {
    const io = captureIo();
    const file = csvFile('dry.csv', '90000005,Cmd,Six,oma-cp,,4,,');
    expect(await command(['devices', file, '--dry-run'], io)).toBe(0);
    expect(io.out).toContain('models  1 added');
    expect(io.out).toContain('dry run');
    expect(await findModelByTac(store.db, '90000005')).toBeUndefined();
  });

  it('reads the CSV from stdin when the file is -', async () => {
    const io = captureIo(`${HEADER}\n90000006,Cmd,Seven,oma-cp,,4,,\n`);
    expect(await command(['devices', '-'], io)).toBe(0);
    expect(io.out).toMatch(/^stdin: 1 line read/);
  });

  it('opens the store named by --db, else the one from the environment', async () => {
    opened.length = 0;
    const file = csvFile('where.csv', '90000007,Cmd,Eight,oma-cp,,4,,');
    await command(['devices', file, '--db', 'postgres://elsewhere/db'], captureIo());
    await command(['devices', file], captureIo());
    expect(opened).toEqual(['postgres://elsewhere/db', 'from-environment']);
  });

  it('prints its usage with --help', async () => {
    const io = captureIo();
    expect(await command(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/^usage: otagw import devices FILE\.csv/);
  });

  it('calls mistakes on the command line usage errors', async () => {
    await expect(command([], captureIo())).rejects.toBeInstanceOf(UsageError);
    await expect(command(['campaigns', 'x.csv'], captureIo())).rejects.toThrow(
      /only 'devices' or 'subscribers'/,
    );
    await expect(command(['devices'], captureIo())).rejects.toThrow(/give the CSV file/);
    await expect(command(['devices', 'a.csv', 'b.csv'], captureIo())).rejects.toThrow(
      /unexpected argument 'b\.csv'/,
    );
    await expect(command(['devices', join(dir, 'missing.csv')], captureIo())).rejects.toThrow(
      /cannot read .*missing\.csv/,
    );
    await expect(command(['devices', 'x.csv', '--bogus'], captureIo())).rejects.toBeInstanceOf(UsageError);
  });
});

describe.skipIf(!PG_ENABLED)('otagw import devices against PostgreSQL', () => {
  it('opens the database of --db, imports and closes it', async () => {
    const pg = await openTestStore('pg');
    try {
      const file = csvFile('pg.csv', '90000100,Real,Store,oma-cp,,4,,');
      // The test schema travels in the URL, as libpq's options parameter.
      const url = `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${pg.options.schema}`)}`;
      const io = captureIo();
      expect(await importCommand(['devices', file, '--db', url], io)).toBe(0);
      expect(await findModelByTac(pg.db, '90000100')).toMatchObject({ manufacturer: 'Real', model: 'Store' });
    } finally {
      await pg.dispose();
    }
  });
});
