/**
 * `otagw doctor` against the real things: Redis on 127.0.0.1:6379, PostgreSQL (a schema of its own),
 * the SMSC simulator over a real SMPP socket (a bind with the configured credentials and an unbind), the
 * files of `otagw certs init`; and against each of them wrong, and a configuration that does not load.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { certsLayout, initCerts } from '../../src/auth/certs.ts';
import { main } from '../../src/cli/main.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TEST_REDIS_URL } from '../provisioning/harness.ts';
import {
  openTestStore,
  PG_ENABLED,
  PG_TEST_URL,
  uniqueSchemaName,
  type TestStore,
} from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ACCOUNT = { systemId: 'doctor', password: 'dr-pw-1' };

let sim: SmscSimulator;
let store: TestStore;
let dir: string;

beforeAll(async () => {
  sim = await startSmscSimulator({ accounts: [ACCOUNT] });
  store = await openTestStore('pg');
  dir = await mkdtemp(join(tmpdir(), 'otagw-doctor-'));
  await initCerts({ dir: join(dir, 'certs') });
});
afterAll(async () => {
  await sim?.close();
  await store?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const storeUrl = (schema: string) =>
  `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;

/** A configuration directory: the shipped default.yaml plus `local` as local.yaml. */
async function configWith(name: string, local: Record<string, unknown>): Promise<string> {
  const configDir = join(dir, name);
  await mkdir(configDir, { recursive: true });
  await copyFile(join(ROOT, 'config/default.yaml'), join(configDir, 'default.yaml'));
  await writeFile(join(configDir, 'local.yaml'), stringify(local));
  return configDir;
}

function healthy(): Record<string, unknown> {
  const layout = certsLayout(join(dir, 'certs'));
  return {
    redis: { url: TEST_REDIS_URL },
    store: { url: storeUrl(store.options.schema!) },
    smsc: { smscs: [{ id: 'sim', host: '127.0.0.1', port: sim.port, ...ACCOUNT }] },
    http: { tls: { certFile: layout.serverCert, keyFile: layout.serverKey, caFile: layout.caCert } },
  };
}

async function doctor(configDir: string, extra: string[] = []): Promise<{ code: number; out: string }> {
  let out = '';
  const io = {
    stdout: (text: string) => void (out += text),
    stderr: (text: string) => void (out += text),
    readStdin: async () => '',
  };
  const code = await main(['doctor', '--config', configDir, '--timeout', '3000', ...extra], io);
  return { code, out };
}

describe.skipIf(!PG_ENABLED)('otagw doctor', () => {
  it('says ok for each part when all is well, binds and unbinds the SMSC, and exits 0', async () => {
    const before = sim.binds().length;
    const { code, out } = await doctor(await configWith('healthy', healthy()));
    expect(out).toMatch(/^ok\s+config\s/m);
    expect(out).toMatch(/^ok\s+redis\s+redis:\/\/127\.0\.0\.1:6379 answers \(Redis /m);
    expect(out).toMatch(/^ok\s+store\s/m);
    expect(out).toMatch(/^ok\s+migrations\s+all applied/m);
    expect(out).toMatch(/^ok\s+smsc sim\s+smpp:\/\/doctor@127\.0\.0\.1:\d+: bound and unbound in \d+ ms/m);
    expect(out).toMatch(/^ok\s+tls cert\s.*valid until/m);
    expect(out).toMatch(/^ok\s+tls ca 1\s/m);
    expect(out).not.toContain('FAIL');
    expect(out).toContain('otagw doctor: nothing wrong');
    expect(code).toBe(0);
    // the bind was real, and it was given back
    expect(sim.binds().length).toBe(before);
  });

  it("names each wrong part with its fix and exits 1: a refused password, Redis and PostgreSQL not answering, an SMSC not listening, a TLS key that is not the certificate's", async () => {
    const layout = certsLayout(join(dir, 'certs'));
    const local = {
      redis: { url: 'redis://127.0.0.1:1' },
      store: { url: 'postgres://postgres@127.0.0.1:1/test' },
      smsc: {
        smscs: [
          { id: 'badpw', host: '127.0.0.1', port: sim.port, systemId: ACCOUNT.systemId, password: 'wrong' },
          { id: 'gone', host: '127.0.0.1', port: 1, ...ACCOUNT },
        ],
      },
      http: { tls: { certFile: layout.serverCert, keyFile: layout.caKey, caFile: layout.caCert } },
    };
    const { code, out } = await doctor(await configWith('broken', local));
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL\s+redis\s+redis:\/\/127\.0\.0\.1:1 does not answer/m);
    expect(out).toMatch(/^FAIL\s+store\s+postgres:\/\/\*\*\*@127\.0\.0\.1:1\/test: .*ECONNREFUSED/m);
    expect(out).toMatch(/^FAIL\s+smsc badpw\s+.*refused the bind: ESME_RINVPASWD/m);
    expect(out).toMatch(/check systemId, password and systemType of SMSC 'badpw'/);
    expect(out).toMatch(
      /^FAIL\s+smsc gone\s+smpp:\/\/doctor@127\.0\.0\.1:1 is not reachable: .*ECONNREFUSED/m,
    );
    expect(out).toMatch(/^FAIL\s+tls\s+http\.tls\.keyFile: .* is not the key of /m);
    // every FAIL line is followed by its fix
    const lines = out.split('\n');
    lines.forEach((line, index) => {
      if (line.startsWith('FAIL')) expect(lines[index + 1]).toMatch(/^\s+fix: \S/);
    });
    expect(out).toContain('otagw doctor: 5 wrong');
    expect(out).not.toContain(ACCOUNT.password); // no secret printed
  });

  it('warns of pending migrations without applying them', async () => {
    const schema = uniqueSchemaName();
    const { code, out } = await doctor(
      await configWith('fresh', { ...healthy(), store: { url: storeUrl(schema) } }),
    );
    expect(out).toMatch(/^warn\s+migrations\s+\d+ pending: 001-/m);
    expect(out).toMatch(/fix: otagw start applies them/);
    expect(code).toBe(0);
    const tables = await store.db.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1', [
      schema,
    ]);
    expect(tables).toEqual([]);
  });

  it('says in plain words why a configuration does not load, and exits 1 without checking further', async () => {
    const { code, out } = await doctor(await configWith('bad-config', { http: { port: 'eighty' } }));
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL\s+config\s+.*http\.port/m);
    expect(out).toMatch(/fix: correct the setting named above/);
    expect(out).not.toMatch(/^\w+\s+redis/m);
  });

  it('warns when a role beside other processes would use the key files under ./var; not for role all, nor once the keys are set', async () => {
    const plain = await configWith('shared-keys', healthy());
    const all = await doctor(plain);
    expect(all.out).toMatch(/^ok\s+dm key\s+the key file \S*dm-secret-key \(role all: one process\)/m);
    const worker = await doctor(plain, ['--role', 'worker']);
    expect(worker.code, worker.out).toBe(0);
    expect(worker.out).toMatch(/^warn\s+dm key\s+not set: role worker uses the key file/m);
    expect(worker.out).toMatch(/fix: set OTAGW_DM_SECRET_KEY \(openssl rand -base64 32\)/);
    expect(worker.out).toMatch(/^ok\s+console key\s+not used by role worker/m);
    const dm = await doctor(plain, ['--role', 'dm']);
    expect(dm.out).toMatch(/^warn\s+dm key\s/m);
    expect(dm.out).toMatch(/^warn\s+console key\s+not set: role dm/m);

    const keyed = await configWith('shared-keys-set', {
      ...healthy(),
      dm: { secretKey: Buffer.alloc(32, 1).toString('base64') },
      console: { cookieSecret: 'a-console-cookie-secret-of-40-characters' },
    });
    const set = await doctor(keyed, ['--role', 'dm']);
    expect(set.out).toMatch(/^ok\s+dm key\s+set \(OTAGW_DM_SECRET_KEY\)/m);
    expect(set.out).toMatch(/^ok\s+console key\s+set \(OTAGW_CONSOLE_COOKIE_SECRET\)/m);
    expect(set.out).not.toContain(Buffer.alloc(32, 1).toString('base64'));
    expect((await doctor(plain, ['--role', 'everything'])).code).not.toBe(0);
  });
});
