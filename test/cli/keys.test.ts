import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApiKey } from '../../src/auth/api-keys.ts';
import { prepareLocalAdmin } from '../../src/auth/local-admin.ts';
import { keysCommand } from '../../src/cli/commands/keys.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { startApi, type ApiHarness } from '../http/support/api-harness.ts';

function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    readStdin: async () => '',
  };
  return io;
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1)!;

describe('otagw keys on a fresh checkout (opens the store itself)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a key and prints it alone on the last line, then lists and revokes it', async () => {
    const db = join(dir, 'db');
    const vars = join(dir, 'var');
    const created = captureIo();
    expect(
      await keysCommand(
        ['create', '--role', 'care', '--name', 'agent-1', '--db', db, '--var', vars],
        created,
      ),
    ).toBe(0);
    const key = lastLine(created.out);
    expect(key).toMatch(/^otagw_[A-Za-z0-9_-]{43}$/);
    expect(created.out).toBe(`${key}\n`);

    const listed = captureIo();
    expect(await keysCommand(['list', '--db', db, '--var', vars], listed)).toBe(0);
    expect(listed.out).toContain('agent-1');
    expect(listed.out).toContain('care');
    expect(listed.out).not.toContain(key);

    const id = listed.out.split(/\s+/)[0];
    const revoked = captureIo();
    expect(await keysCommand(['revoke', id, '--db', db, '--var', vars], revoked)).toBe(0);
    const after = captureIo();
    await keysCommand(['list', '--db', db, '--var', vars], after);
    expect(after.out).not.toContain('agent-1');
  });

  it('refuses an unknown role as a usage error', async () => {
    await expect(keysCommand(['create', '--role', 'root', '--name', 'x'], captureIo())).rejects.toThrow(
      /--role/,
    );
  });
});

describe('otagw keys while the server runs (goes through it)', () => {
  let api: ApiHarness;
  let vars: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    vars = await mkdtemp(join(tmpdir(), 'otagw-keys-var-'));
    const local = prepareLocalAdmin(vars);
    api = await startApi({ http: { localAdminSecret: local.secret } });
    await local.publish(api.url);
    remove = local.remove;
  });
  afterAll(async () => {
    await remove?.();
    await api?.close();
    await rm(vars, { recursive: true, force: true });
  });

  it("creates the key in the running server's store", async () => {
    const io = captureIo();
    // --db points nowhere usable: it must not be opened while the server runs.
    expect(
      await keysCommand(
        ['create', '--role', 'operator', '--name', 'noc', '--var', vars, '--db', '/nonexistent/db'],
        io,
      ),
    ).toBe(0);
    const key = lastLine(io.out);
    expect((await verifyApiKey(api.store.db, key))?.role).toBe('operator');
    const smsc = await api.fetch('/v1/smsc', { key });
    expect(smsc.status).toBe(200);
  });

  it('refuses a wrong local secret and ignores the header from a non-admin route', async () => {
    const wrong = await fetch(`${api.url}/v1/keys`, { headers: { 'X-Otagw-Local-Admin': 'nope' } });
    expect(wrong.status).toBe(401);
    const elsewhere = await fetch(`${api.url}/v1/smsc`, { headers: { 'X-Otagw-Local-Admin': 'nope' } });
    expect(elsewhere.status).toBe(401);
  });
});
