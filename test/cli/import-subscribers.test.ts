import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportCommand, importCommand, IMPORT_USAGE } from '../../src/cli/commands/import.ts';
import type { CliIo } from '../../src/cli/main.ts';
import type { Db } from '../../src/store/db.ts';
import { openDb } from '../../src/store/open-db.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { findSubscriber } from '../../src/subscribers/repository.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

const HEADER = 'imsi,msisdn,group';

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
/** The command on the shared test store (closing it is left to the test). */
const command = createImportCommand({
  openStore: async () => ({ ...store.db, close: async () => undefined }) as Db,
  defaultLocation: () => undefined,
});

function csvFile(name: string, ...lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [HEADER, ...lines].join('\n') + '\n');
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otagw-import-subscribers-'));
  store = await openTestStore('pglite');
});
afterAll(async () => {
  await store?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('otagw import subscribers FILE.csv', () => {
  it('imports a good file, prints what it did and exits 0; the audit entry names the CLI and the file', async () => {
    const io = captureIo();
    const file = csvFile(
      'base.csv',
      '262060000000001,491760000101,default',
      '262060000000002,491760000102,default',
    );
    expect(await command(['subscribers', file], io)).toBe(0);
    expect(io.out).toBe('base.csv: 2 lines read\nsubscribers  2 added, 0 updated, 0 unchanged\n');
    expect(io.err).toBe('');
    expect(await findSubscriber(store.db, { msisdn: '491760000102' })).toMatchObject({
      imsi: '262060000000002',
    });
    const [entry] = await listAudit(store.db, { action: 'subscribers.import' });
    expect(entry).toMatchObject({ actor: 'cli', subjectId: 'base.csv' });
  });

  it('refuses a file with a bad line (exit 1), naming file:line and code on stderr, without the IMSI', async () => {
    const io = captureIo();
    const file = csvFile(
      'bad.csv',
      '262060000000003,491760000103,default',
      '262060000000004,491760000104,gold',
    );
    expect(await command(['subscribers', file], io)).toBe(1);
    expect(io.err).toBe("bad.csv:3: GROUP_UNKNOWN: no group 'gold'\n");
    expect(io.out).toContain('nothing imported: fix the lines above, or give --skip-invalid');
    expect(io.err + io.out).not.toContain('262060000000004');
    expect(await findSubscriber(store.db, { imsi: '262060000000003' })).toBeUndefined();

    const skipping = captureIo();
    expect(await command(['subscribers', file, '--skip-invalid'], skipping)).toBe(0);
    expect(skipping.out).toContain('2 lines read, 1 bad line');
    expect(await findSubscriber(store.db, { imsi: '262060000000003' })).toBeDefined();
  });

  it('reads stdin for -, and --dry-run stores nothing', async () => {
    const io = captureIo(`${HEADER}\n262060000000005,491760000105,default\n`);
    expect(await command(['subscribers', '-', '--dry-run'], io)).toBe(0);
    expect(io.out).toBe(
      'stdin: 1 line read\nsubscribers  1 added, 0 updated, 0 unchanged\n' +
        'dry run: nothing stored (the counts say what would change)\n',
    );
    expect(await findSubscriber(store.db, { imsi: '262060000000005' })).toBeUndefined();
  });

  it('says so in its usage', () => {
    expect(IMPORT_USAGE).toMatch(
      /^ {7}otagw import subscribers FILE\.csv \[--db URL\] \[--dry-run\] \[--skip-invalid\]$/m,
    );
  });

  it('writes into the store --db names (an embedded database directory)', async () => {
    const dataDir = join(dir, 'db');
    const file = csvFile('one.csv', '262060000000006,491760000106,default');
    expect(await importCommand(['subscribers', file, '--db', dataDir], captureIo())).toBe(0);
    const db = await openDb({ dataDir });
    try {
      expect(await findSubscriber(db, { imsi: '262060000000006' })).toMatchObject({ msisdn: '491760000106' });
    } finally {
      await db.close();
    }
  }, 60_000);
});
