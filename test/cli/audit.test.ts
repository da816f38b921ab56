import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommand } from '../../src/cli/commands/audit.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { openDb } from '../../src/store/open-db.ts';
import { appendAuditEntries } from '../../src/store/repositories/audit.ts';

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readStdin: async () => '',
  };
}

describe('otagw audit: the audit log from the configured store', () => {
  let dir: string;
  let dataDir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otagw-audit-cli-'));
    dataDir = join(dir, 'db');
    const db = await openDb({ dataDir });
    try {
      await appendAuditEntries(db, [
        {
          actor: 'care-desk',
          action: 'provisionings.request',
          subjectType: 'subscriber',
          subjectId: '491700000001',
          at: new Date('2024-05-01T08:00:00Z'),
        },
        {
          actor: 'cli',
          action: 'device-catalogue.import',
          subjectType: 'device-catalogue',
          subjectId: 'devices.csv',
          at: new Date('2024-05-02T08:00:00Z'),
        },
        {
          actor: 'care-desk',
          action: 'provisionings.resend',
          outcome: 'denied',
          at: new Date('2024-05-03T08:00:00Z'),
        },
      ]);
    } finally {
      await db.close();
    }
  }, 60_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the command with DATABASE_URL naming the test store, as `otagw import` reads it (config.ts). */
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = capture();
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `file:${dataDir}`;
    try {
      const code = await main(['audit', ...argv], io);
      return { code, out: io.out.join(''), err: io.err.join('') };
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  }

  it('prints one line per entry, newest first, from the store the configuration names', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '2024-05-03T08:00:00.000Z  denied  care-desk  provisionings.resend  -',
      '2024-05-02T08:00:00.000Z  ok      cli  device-catalogue.import  device-catalogue:devices.csv',
      '2024-05-01T08:00:00.000Z  ok      care-desk  provisionings.request  subscriber:491700000001',
    ]);
  }, 30_000);

  it('filters by --since, --until and --actor, and prints JSON lines with --json', async () => {
    const { code, out } = await run([
      '--since',
      '2024-05-01T12:00:00Z',
      '--until',
      '2024-05-04',
      '--actor',
      'care-desk',
      '--json',
    ]);
    expect(code).toBe(0);
    const entries = out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'care-desk',
      action: 'provisionings.resend',
      outcome: 'denied',
      at: '2024-05-03T08:00:00.000Z',
    });
  }, 30_000);

  it('takes --db instead of the configuration, and --outcome and --limit', async () => {
    const io = capture();
    const code = await auditCommand(['--db', dataDir, '--outcome', 'ok', '--limit', '1'], io);
    expect(code).toBe(0);
    expect(io.out.join('')).toBe(
      '2024-05-02T08:00:00.000Z  ok      cli  device-catalogue.import  device-catalogue:devices.csv\n',
    );
  }, 30_000);

  it('refuses a time, an outcome or a limit it cannot read: exit 2 naming the option, the store untouched', async () => {
    for (const [argv, message] of [
      [['--since', 'yesterday'], /--since: 'yesterday' is not an ISO 8601 time/],
      [['--until', '2024-13-45'], /--until/],
      [['--outcome', 'maybe'], /--outcome: 'maybe' is not one of ok, denied, failed/],
      [['--limit', '0'], /--limit/],
      [['--who', 'me'], /who/],
      [['extra'], /unexpected argument 'extra'/],
    ] as const) {
      const { code, err } = await run([...argv]);
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toMatch(message);
    }
  });

  it('is listed in the usage', async () => {
    const io = capture();
    await main(['--help'], io);
    expect(io.out.join('')).toMatch(/audit\s+print the audit log/);
  });
});
