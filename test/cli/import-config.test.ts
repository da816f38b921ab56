import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configuredStoreLocation, importCommand } from '../../src/cli/commands/import.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { openDb } from '../../src/store/open-db.ts';
import { findModelByTac } from '../../src/store/repositories/devices.ts';

const io: CliIo = { stdout: () => undefined, stderr: () => undefined, readStdin: async () => '' };

describe('otagw import devices: the store without --db comes from the configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'otagw-import-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is store.url, else the PGlite directory store.dataDir, as config.ts reads them (DATABASE_URL, OTAGW_DATA_DIR)', () => {
    expect(configuredStoreLocation(loadConfig({ env: {} }))).toBe('./var/db');
    expect(configuredStoreLocation(loadConfig({ env: { OTAGW_DATA_DIR: '/srv/otagw/db' } }))).toBe(
      '/srv/otagw/db',
    );
    expect(
      configuredStoreLocation(
        loadConfig({ env: { DATABASE_URL: 'postgres://otagw@db/otagw', OTAGW_DATA_DIR: '/srv/otagw/db' } }),
      ),
    ).toBe('postgres://otagw@db/otagw');
  });

  it('imports into the store DATABASE_URL names, through loadConfig', async () => {
    const file = join(dir, 'one.csv');
    writeFileSync(
      file,
      'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes\n' +
        '90000200,Configured,Store,oma-cp,,4,,\n',
    );
    const dataDir = join(dir, 'db');
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `file:${dataDir}`;
    try {
      expect(await importCommand(['devices', file], io)).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
    const db = await openDb({ dataDir });
    try {
      expect(await findModelByTac(db, '90000200')).toMatchObject({ manufacturer: 'Configured' });
    } finally {
      await db.close();
    }
  }, 60_000);
});
