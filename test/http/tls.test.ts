import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsLayout, issueCertificate, initCerts, type CertsLayout } from '../../src/auth/certs.ts';
import { callLocalAdmin, findLocalAdmin, prepareLocalAdmin } from '../../src/auth/local-admin.ts';
import { keysCommand } from '../../src/cli/commands/keys.ts';
import { loadConfig, type ClientAuth } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { listen, readServerTls, type ListeningServer } from '../../src/http/server.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { REDIS_URL, startApi, testImei, type ApiHarness } from './support/api-harness.ts';

/**
 * HTTPS and mutual TLS over real sockets on 127.0.0.1: certificates made by src/auth/certs.ts, the
 * server of src/http/server.ts, the whole app over a real store and Redis (the API harness).
 */

interface Identity {
  key: string;
  cert: string;
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details: Record<string, unknown> } } & Record<
    string,
    unknown
  >;
}

const DAY_MS = 86_400_000;
let dir: string;
let layout: CertsLayout;
let caPem: string;
const identities: Record<'network' | 'otherCa' | 'server' | 'expired', Identity> = {} as never;

async function identityOf(keyPath: string, certPath: string): Promise<Identity> {
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otagw-tls-'));
  layout = certsLayout(join(dir, 'ours'));
  const theirs = certsLayout(join(dir, 'theirs'));
  await initCerts({ dir: layout.dir, clients: ['network'] });
  await initCerts({ dir: theirs.dir, clients: ['network'] });
  caPem = await readFile(layout.caCert, 'utf8');
  identities.network = await identityOf(layout.clientKey('network'), layout.clientCert('network'));
  identities.otherCa = await identityOf(theirs.clientKey('network'), theirs.clientCert('network'));
  identities.server = await identityOf(layout.serverKey, layout.serverCert);
  const ca = { keyPem: await readFile(layout.caKey, 'utf8'), certPem: caPem };
  // Issued 900 days ago: past the 825 days a leaf lives.
  const old = issueCertificate(ca, {
    commonName: 'old',
    kind: 'client',
    now: new Date(Date.now() - 900 * DAY_MS),
  });
  identities.expired = { key: old.keyPem, cert: old.certPem };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function call(
  base: string,
  path: string,
  init: { method?: string; key?: string; json?: unknown; identity?: Identity } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.key) headers.Authorization = `Bearer ${init.key}`;
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, base),
      // No agent: every call is its own connection, so no certificate of an earlier call is reused.
      { method: init.method ?? 'GET', ca: caPem, headers, agent: false, ...init.identity },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(init.json === undefined ? undefined : JSON.stringify(init.json));
  });
}

let seed = 7000;
function trigger(): { imsi: string; msisdn: string; imei: string } {
  seed += 1;
  return { imsi: `00101000000${seed}`, msisdn: `4917000${seed}`, imei: testImei(seed) };
}

async function serveApp(api: ApiHarness, clientAuth: ClientAuth, localAdminSecret?: string) {
  const tls = readServerTls({ ...loadConfig({ env: { OTAGW_TLS_DIR: layout.dir } }).http.tls!, clientAuth });
  const app = createApp(api.context, { clientAuth, clientCas: tls.clientCas, localAdminSecret });
  return { tls, server: await listen(app.callback(), { host: '127.0.0.1', port: 0, tls }) };
}

describe('HTTPS with client certificates on the network routes (clientAuth network)', () => {
  let api: ApiHarness;
  let server: ListeningServer;
  beforeAll(async () => {
    api = await startApi();
    ({ server } = await serveApp(api, 'network'));
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  it('serves HTTPS, and plain HTTP to the same port gets no answer', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await call(server.url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const plain = new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url.replace('https:', 'http:')}/healthz`, resolve);
      req.on('error', reject);
      req.end();
    });
    await expect(plain).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('accepts a trigger with a client certificate from the CA and a network key (202)', async () => {
    const answer = await call(server.url, '/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: trigger(),
      identity: identities.network,
    });
    expect(answer.status).toBe(202);
    expect(answer.body.outcome).toBe('queued');
  });

  it('refuses a trigger without a client certificate: 401 CLIENT_CERT_REQUIRED', async () => {
    const answer = await call(server.url, '/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: trigger(),
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('CLIENT_CERT_REQUIRED');
    expect(answer.body.error?.details).toEqual({ reason: 'missing' });
  });

  it.each([
    ['a certificate from another CA', 'otherCa', 'untrusted-issuer', /not issued by the CA/],
    ["the server's own certificate", 'server', 'not-a-client-certificate', /not a client certificate/],
    ['an expired certificate', 'expired', 'expired', /expired/],
  ] as const)('refuses %s: 401 CLIENT_CERT_INVALID saying why', async (_, who, reason, message) => {
    const answer = await call(server.url, '/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: trigger(),
      identity: identities[who],
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('CLIENT_CERT_INVALID');
    expect(answer.body.error?.details.reason).toBe(reason);
    expect(answer.body.error?.message).toMatch(message);
  });

  it('still wants the API key with a valid certificate (401 UNAUTHENTICATED)', async () => {
    const answer = await call(server.url, '/v1/triggers/first-use', {
      method: 'POST',
      json: trigger(),
      identity: identities.network,
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('UNAUTHENTICATED');
  });

  it('asks for the certificate on device reports too (a network route), not on care routes', async () => {
    const report = await call(server.url, `/v1/devices/${testImei(7777)}/reports`, {
      method: 'POST',
      key: api.keys.network,
      json: { properties: { firmware: '1.0' } },
    });
    expect(report.status).toBe(401);
    expect(report.body.error?.code).toBe('CLIENT_CERT_REQUIRED');
    const care = await call(server.url, `/v1/provisionings/${randomUUID()}`, { key: api.keys.care });
    expect(care.status).toBe(404);
    expect(care.body.error?.code).toBe('PROVISIONING_NOT_FOUND');
  });
});

describe('HTTPS with client certificates on every route but /healthz (clientAuth all)', () => {
  let api: ApiHarness;
  let server: ListeningServer;
  let vars: string;
  let removeLocalAdmin: () => Promise<void>;
  beforeAll(async () => {
    api = await startApi();
    vars = await mkdtemp(join(tmpdir(), 'otagw-tls-var-'));
    const local = prepareLocalAdmin(vars);
    const served = await serveApp(api, 'all', local.secret);
    server = served.server;
    await local.publish(server.url, { fingerprint256: served.tls.fingerprint256 });
    removeLocalAdmin = local.remove;
  });
  afterAll(async () => {
    await removeLocalAdmin?.();
    await server?.close();
    await api?.close();
    await rm(vars, { recursive: true, force: true });
  });

  it('asks care routes and /readyz for a certificate, and answers /healthz without one', async () => {
    const care = await call(server.url, `/v1/provisionings/${randomUUID()}`, { key: api.keys.care });
    expect(care.status).toBe(401);
    expect(care.body.error?.code).toBe('CLIENT_CERT_REQUIRED');
    const withCert = await call(server.url, `/v1/provisionings/${randomUUID()}`, {
      key: api.keys.care,
      identity: identities.network,
    });
    expect(withCert.status).toBe(404);
    expect((await call(server.url, '/readyz')).body.error?.code).toBe('CLIENT_CERT_REQUIRED');
    expect((await call(server.url, '/healthz')).status).toBe(200);
  });

  it('lets `otagw keys` reach the server over https://127.0.0.1 with its local secret', async () => {
    const out: string[] = [];
    const io = {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => out.push(t),
      readStdin: async () => '',
    };
    expect(await keysCommand(['list', '--var', vars, '--db', '/nonexistent/db'], io)).toBe(0);
    expect(out.join('')).toContain('test-network');
  });

  it('refuses to send the local secret to a server with another certificate', async () => {
    const endpoint = (await findLocalAdmin(vars))!;
    const impostor = { ...endpoint, tls: { ...endpoint.tls!, fingerprint256: 'AA:BB' } };
    await expect(callLocalAdmin(impostor, 'GET', '/v1/keys', {})).rejects.toThrow(
      /not the one that published/,
    );
  });
});

describe('HTTPS without client certificates (clientAuth none)', () => {
  let api: ApiHarness;
  let server: ListeningServer;
  beforeAll(async () => {
    api = await startApi();
    ({ server } = await serveApp(api, 'none'));
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  it('takes a trigger with the API key alone', async () => {
    const answer = await call(server.url, '/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: trigger(),
    });
    expect(answer.status).toBe(202);
  });
});

describe('the whole gateway started with OTAGW_TLS_DIR', () => {
  let gateway: Gateway;
  let vars: string;
  beforeAll(async () => {
    vars = await mkdtemp(join(tmpdir(), 'otagw-tls-gateway-'));
    const config = loadConfig({
      env: { OTAGW_TLS_DIR: layout.dir },
      overrides: {
        http: { port: 0 },
        redis: { url: REDIS_URL, prefix: `otagw-test-${randomBytes(6).toString('hex')}` },
        store: { url: 'memory://' },
        smsc: { simulator: { port: 0, controlPort: null } },
      },
    });
    gateway = await startGateway({ config, logger: createLogger({ level: 'silent' }), varDir: vars });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await rm(vars, { recursive: true, force: true });
  });

  it('serves HTTPS only and takes a trigger with a client certificate and a network key', async () => {
    expect(gateway.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { key } = await createApiKey(gateway.context!.db, { name: 'hlr', role: 'network' });
    const path = '/v1/triggers/first-use';
    const refused = await call(gateway.httpUrl!, path, { method: 'POST', key, json: trigger() });
    expect(refused.body.error?.code).toBe('CLIENT_CERT_REQUIRED');
    const answer = await call(gateway.httpUrl!, path, {
      method: 'POST',
      key,
      json: trigger(),
      identity: identities.network,
    });
    expect(answer.status).toBe(202);
    expect((await findLocalAdmin(vars))?.tls?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});

describe('readServerTls', () => {
  it('refuses a key that does not belong to the certificate, naming the file', async () => {
    const tls = loadConfig({ env: { OTAGW_TLS_DIR: layout.dir } }).http.tls!;
    const otherKey = join(dir, 'other.key.pem');
    await writeFile(otherKey, identities.network.key);
    expect(() => readServerTls({ ...tls, keyFile: otherKey })).toThrow(
      `http.tls.keyFile: ${otherKey} is not the key of ${tls.certFile}`,
    );
  });
});
