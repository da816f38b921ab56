import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsLayout, initCerts } from '../src/auth/certs.ts';
import { ConfigError, loadConfig } from '../src/config.ts';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration of HTTPS (http.tls, OTAGW_TLS_DIR)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-tls-config-'));
    await initCerts({ dir, clients: [] });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves plain HTTP when nothing is set', () => {
    expect(loadConfig({ env: {} }).http.tls).toBeUndefined();
  });

  it('takes the three files `otagw certs init --dir DIR` writes from OTAGW_TLS_DIR, client certificates on the network routes', () => {
    const layout = certsLayout(dir);
    const { tls } = loadConfig({ env: { OTAGW_TLS_DIR: dir } }).http;
    expect(tls).toEqual({
      certFile: layout.serverCert,
      keyFile: layout.serverKey,
      caFile: layout.caCert,
      clientAuth: 'network',
    });
  });

  it('lets OTAGW_TLS_CLIENT_AUTH override clientAuth, and refuses a value it does not know', () => {
    const env = { OTAGW_TLS_DIR: dir, OTAGW_TLS_CLIENT_AUTH: 'all' };
    expect(loadConfig({ env }).http.tls?.clientAuth).toBe('all');
    const error = configErrorOf(() => loadConfig({ env: { ...env, OTAGW_TLS_CLIENT_AUTH: 'some' } }));
    expect(error.message).toMatch(/OTAGW_TLS_CLIENT_AUTH must be one of none, network, all/);
    expect(() => loadConfig({ env: { OTAGW_TLS_CLIENT_AUTH: 'all' } })).toThrow(/TLS is not/);
  });

  it('defaults clientAuth to network with a caFile and to none without one', () => {
    const layout = certsLayout(dir);
    const files = { certFile: layout.serverCert, keyFile: layout.serverKey };
    const withCa = loadConfig({ env: {}, overrides: { http: { tls: { ...files, caFile: layout.caCert } } } });
    expect(withCa.http.tls?.clientAuth).toBe('network');
    const withoutCa = loadConfig({ env: {}, overrides: { http: { tls: files } } });
    expect(withoutCa.http.tls).toMatchObject({ clientAuth: 'none', caFile: undefined });
    const error = configErrorOf(() =>
      loadConfig({ env: {}, overrides: { http: { tls: { ...files, clientAuth: 'all' } } } }),
    );
    expect(error.message).toMatch(/clientAuth all needs caFile/);
  });

  it('names the missing file in a ConfigError, not a stack trace from the TLS layer', async () => {
    const other = await mkdtemp(join(tmpdir(), 'otagw-tls-config-'));
    try {
      await initCerts({ dir: other, clients: [] });
      await unlink(certsLayout(other).serverKey);
      const fromDir = configErrorOf(() => loadConfig({ env: { OTAGW_TLS_DIR: other } }));
      expect(fromDir.code).toBe('CONFIG_INVALID');
      expect(fromDir.message).toContain(`cannot read ${certsLayout(other).serverKey} (ENOENT)`);
      expect(fromDir.message).toContain(`otagw certs init --dir ${other}`);
      const layout = certsLayout(dir);
      const missing = join(dir, 'nowhere.pem');
      const fromFile = configErrorOf(() =>
        loadConfig({
          env: {},
          overrides: {
            http: { tls: { certFile: layout.serverCert, keyFile: layout.serverKey, caFile: missing } },
          },
        }),
      );
      expect(fromFile.message).toBe(`http.tls.caFile: cannot read ${missing} (ENOENT)`);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
