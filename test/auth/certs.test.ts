import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { certsCommand } from '../../src/cli/commands/certs.ts';
import { certsLayout, initCerts } from '../../src/auth/certs.ts';
import { loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { listen, readServerTls } from '../../src/http/server.ts';
import { startApi, testImei, type ApiHarness } from '../http/support/api-harness.ts';

describe('development certificates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-certs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a CA that signs a server and a client certificate, keys readable by the owner only', async () => {
    const result = await initCerts({ dir, clients: ['hlr-1'] });
    const layout = certsLayout(dir);
    expect(result.created).toEqual([layout.caCert, layout.serverCert, layout.clientCert('hlr-1')]);
    const ca = new X509Certificate(await readFile(layout.caCert));
    const server = new X509Certificate(await readFile(layout.serverCert));
    const client = new X509Certificate(await readFile(layout.clientCert('hlr-1')));
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(client.subject).toContain('CN=hlr-1');
    // extendedKeyUsage tells them apart: the gateway takes only clientAuth certificates from callers.
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect((await stat(layout.clientKey('hlr-1'))).mode & 0o077).toBe(0);
  });

  it('prints an http.tls block that loads as is, OTAGW_TLS_DIR and a curl example with the certificate options', async () => {
    let out = '';
    const io = {
      stdout: (text: string) => void (out += text),
      stderr: () => undefined,
      readStdin: async () => '',
    };
    expect(await certsCommand(['init', '--dir', dir, '--host', 'api'], io)).toBe(0);
    const layout = certsLayout(dir);
    const block = /\n( {2}http:\n(?: {4,}.*\n)+)/.exec(out)![1];
    const tls = loadConfig({ env: {}, overrides: parseYaml(block.replace(/^ {2}/gm, '')) }).http.tls;
    expect(tls).toEqual({
      certFile: layout.serverCert,
      keyFile: layout.serverKey,
      caFile: layout.caCert,
      clientAuth: 'network',
    });
    expect(out).toContain(`OTAGW_TLS_DIR=${dir}\n`);
    expect(out).toContain(`--cacert ${layout.caCert}`);
    expect(out).toContain(`--cert ${layout.clientCert('network')} --key ${layout.clientKey('network')}`);
  });

  it('keeps an existing CA on a second run', async () => {
    const second = await initCerts({ dir, clients: ['hlr-1', 'probe'] });
    expect(second.kept).toContain(certsLayout(dir).caCert);
    expect(second.created).toEqual([certsLayout(dir).clientCert('probe')]);
  });
});

describe('mutual TLS on trigger routes (clientAuth network)', () => {
  let api: ApiHarness;
  let dir: string;
  let url: URL;
  let close: () => Promise<void>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-mtls-'));
    await initCerts({ dir, clients: ['network'] });
    api = await startApi();
    const tls = readServerTls(loadConfig({ env: { OTAGW_TLS_DIR: dir } }).http.tls!);
    const app = createApp(api.context, { clientAuth: tls.clientAuth, clientCas: tls.clientCas });
    const server = await listen(app.callback(), { host: '127.0.0.1', port: 0, tls });
    url = new URL(server.url);
    close = server.close;
  });
  afterAll(async () => {
    await close?.();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function post(
    path: string,
    body: unknown,
    withClientCert: boolean,
  ): Promise<{ status: number; body: { error?: { code: string } } }> {
    const layout = certsLayout(dir);
    const ca = await readFile(layout.caCert);
    const clientOptions = withClientCert
      ? {
          key: await readFile(layout.clientKey('network')),
          cert: await readFile(layout.clientCert('network')),
        }
      : {};
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, url),
        {
          method: 'POST',
          ca,
          ...clientOptions,
          headers: { Authorization: `Bearer ${api.keys.network}`, 'Content-Type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  const trigger = { imsi: '001010000000501', msisdn: '491700000501', imei: testImei(501) };

  it('refuses a trigger without a client certificate', async () => {
    const answer = await post('/v1/triggers/first-use', trigger, false);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('CLIENT_CERT_REQUIRED');
  });

  it('accepts a trigger with a client certificate from our CA', async () => {
    const answer = await post('/v1/triggers/first-use', trigger, true);
    expect(answer.status).toBe(202);
  });

  it('does not ask for a certificate on other routes', async () => {
    const answer = await post('/v1/provisionings', { msisdn: '491700000501', reason: 'testing' }, false);
    expect(answer.status).toBe(403);
  });
});
