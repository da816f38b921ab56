import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsLayout, initCerts } from '../../src/auth/certs.ts';
import { loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { listen, readServerTls, type ListeningServer } from '../../src/http/server.ts';
import type { GatewayEvent } from '../../src/events/types.ts';
import { maskImsi } from '../../src/observability/logger.ts';
import { readJson, startApi, type ApiHarness } from '../http/support/api-harness.ts';
import { queuedProvisioning } from '../provisioning/harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { readEvents, Visitor } from './support/http.ts';

/**
 * The console over plain HTTP (no browser): headers, sessions in the store, refusals for scripts, the
 * session's event stream and a Redis outage, on both stores.
 */

const CONSOLE_CONFIG = { console: { cookieSecret: 'http-test-console-secret-0123456789abcdef' } };

describeEachStore('the console over HTTP (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true, config: CONSOLE_CONFIG });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('serves pages with a strict CSP and no caching, scripts from static/ only, and sends / to the console', async () => {
    const visitor = new Visitor(api);
    const signIn = await visitor.fetch('/console/sign-in');
    expect(signIn.status).toBe(200);
    const csp = signIn.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    expect(signIn.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await signIn.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = await visitor.fetch('/console/static/console.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    for (const path of [
      '/console/static/..%2Fsessions.ts',
      '/console/static/sessions.ts',
      '/console/static/nope.js',
    ]) {
      expect((await visitor.fetch(path)).status, path).toBe(404);
    }
    const root = await visitor.fetch('/');
    expect([root.status, root.headers.get('location')]).toEqual([302, '/console']);
    const home = await visitor.fetch('/console');
    expect(home.headers.get('location')).toBe('/console/sign-in');
  });

  it('keeps the session in the store by a hash only, in an HttpOnly SameSite=Strict cookie, and ends it on sign-out', async () => {
    const visitor = new Visitor(api);
    const csrf = await visitor.signIn(api.keys.care);
    const cookie = visitor.cookie('otagw_console')!;
    const sessionId = cookie.slice(0, cookie.lastIndexOf('.'));
    const rows = await api.store.db.query<{ id_hash: string }>('SELECT id_hash FROM console_sessions');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.id_hash === sessionId)).toBe(false);
    const before = rows.length;

    const out = await visitor.post('/console/sign-out', { _csrf: csrf });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/console/sign-in?notice=signed-out']);
    expect(visitor.lastSetCookies.join('\n')).toMatch(/otagw_console=;.*path=\/console/i);
    expect(await api.store.db.query('SELECT id_hash FROM console_sessions')).toHaveLength(before - 1);
    const audit = await api.store.db.query<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_log WHERE action LIKE 'console.%' ORDER BY id DESC LIMIT 2`,
    );
    expect(audit).toEqual([
      { action: 'console.sign-out', actor: 'test-care' },
      { action: 'console.sign-in', actor: 'test-care' },
    ]);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, Path=/console (not Secure over plain HTTP) and never the key', async () => {
    const visitor = new Visitor(api);
    const form = await (await visitor.fetch('/console/sign-in')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(form)![1];
    const answer = await visitor.post('/console/sign-in', { _csrf: token, key: api.keys.operator });
    const line = visitor.lastSetCookies.find((set) => set.startsWith('otagw_console='))!;
    expect(line).toMatch(/httponly/i);
    expect(line).toMatch(/samesite=strict/i);
    expect(line).toMatch(/path=\/console/i);
    expect(line).not.toMatch(/secure/i);
    expect(line).not.toContain(api.keys.operator);
    expect(answer.headers.get('location')).toBe('/console/smsc');
  });

  it('refuses a network key (no console pages) and a sign-in without its CSRF token', async () => {
    const visitor = new Visitor(api);
    const form = await (await visitor.fetch('/console/sign-in')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(form)![1];
    const network = await visitor.post('/console/sign-in', { _csrf: token, key: api.keys.network });
    expect(network.status).toBe(403);
    expect(await network.text()).toContain('network role, which has no console pages');
    const forged = await new Visitor(api).post('/console/sign-in', { _csrf: token, key: api.keys.care });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form was not accepted');
  });

  it('answers a script without a session 401 SESSION_EXPIRED in the API’s error shape, a page with a redirect', async () => {
    const visitor = new Visitor(api);
    const script = await visitor.fetch('/console/subscribers', { headers: { Accept: 'application/json' } });
    expect(script.status).toBe(401);
    expect((await readJson(script)).error).toMatchObject({ code: 'SESSION_EXPIRED' });
    expect((await visitor.fetch('/console/events')).status).toBe(401);
    const page = await visitor.fetch('/console/subscribers?q=49');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(
      '/console/sign-in?notice=sign-in&next=%2Fconsole%2Fsubscribers%3Fq%3D49',
    );
  });

  it('streams to care only provisioning and receipt events, of the subscriber asked for', async () => {
    const visitor = new Visitor(api);
    await visitor.signIn(api.keys.care);
    const stream = await visitor.fetch('/console/events?msisdn=4915550001');
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const at = new Date().toISOString();
    const base = {
      provisioningId: 'p1',
      subscriberId: 's1',
      from: 'queued',
      to: 'submitting',
      cause: 'x',
      at,
    } as const;
    const published: GatewayEvent[] = [
      { type: 'smsc.bind-state', smscId: 'sim', bindId: 'sim-1', state: 'bound', at },
      { ...base, type: 'provisioning.state', msisdn: '4915550002' },
      { ...base, type: 'provisioning.state', msisdn: '4915550001' },
      {
        type: 'segment.receipt',
        provisioningId: 'p1',
        segmentNumber: 1,
        smscId: 'sim',
        messageId: '1',
        state: 'delivered',
        at,
      },
    ];
    setTimeout(() => published.forEach((event) => api.context.events.publish(event)), 100);
    const events = await readEvents(stream, 2);
    expect(events.map((event) => [event.type, event.data.msisdn ?? null])).toEqual([
      ['provisioning.state', '4915550001'],
      ['segment.receipt', null],
    ]);
  });

  it('shows a care key the subscriber with the IMSI masked and audits the read as subscribers.timeline via console', async () => {
    const id = await queuedProvisioning(api.store.db, { name: 'hlr' }, 'first-use');
    const row = (await api.store.db.one<{ msisdn: string; imsi: string }>(
      'SELECT s.msisdn, s.imsi FROM subscribers s JOIN provisionings p ON p.subscriber_id = s.id WHERE p.id = $1',
      [id],
    ))!;
    const visitor = new Visitor(api);
    await visitor.signIn(api.keys.care);
    const page = await visitor.fetch(`/console/subscribers/${row.msisdn}`);
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain(maskImsi(row.imsi));
    expect(text).not.toContain(row.imsi);
    expect(text).toContain('<span class="state state-queued">queued</span>');
    // A provisioning in flight: the Resend buttons wait.
    expect(text).toMatch(/<button[^>]*\sdisabled[\s>][^>]*>\s*Resend/);
    const entry = await api.store.db.one<{ actor: string; details: Record<string, unknown> }>(
      `SELECT actor, details FROM audit_log WHERE action = 'subscribers.timeline' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry).toMatchObject({ actor: 'test-care', details: { via: 'console', msisdn: row.msisdn } });
    const unknown = await visitor.fetch('/console/subscribers/000000000');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('There is no subscriber with this number.');
  });
  it('resends without a script: the form page, then a 303 back to the subscriber, the new provisioning linked', async () => {
    const id = await queuedProvisioning(api.store.db, { name: 'hlr' }, 'first-use');
    const visitor = new Visitor(api);
    const csrf = await visitor.signIn(api.keys.care);
    const form = await visitor.fetch(`/console/provisionings/${id}/resend`);
    expect(form.status).toBe(200);
    expect(await form.text()).toMatch(/<label for="reason">Reason<\/label>/);
    const sent = await visitor.post(`/console/provisionings/${id}/resend`, {
      _csrf: csrf,
      reason: 'no internet since Monday',
    });
    expect(sent.status).toBe(303);
    const created = await api.store.db.one<{ source: string; actor: string; reason: string; msisdn: string }>(
      `SELECT p.source, p.actor, p.reason, s.msisdn FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
        WHERE p.resend_of = $1`,
      [id],
    );
    expect(created).toMatchObject({
      source: 'resend',
      actor: 'test-care',
      reason: 'no internet since Monday',
    });
    expect(sent.headers.get('location')).toBe(`/console/subscribers/${created!.msisdn}?notice=resent`);
    expect((await visitor.fetch('/console/provisionings/not-a-uuid/resend')).status).toBe(404);
    const none = await visitor.post(`/console/provisionings/${randomUUID()}/resend`, {
      _csrf: csrf,
      reason: 'why not',
    });
    expect(none.status).toBe(404);
    expect(await none.text()).toContain('There is no such provisioning.');
  });
});

describe('the console while Redis is down', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ seed: true, redisUrl: 'redis://127.0.0.1:1', config: CONSOLE_CONFIG });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('still shows the subscriber, and a Resend says in words that the queue is unreachable (503), audited as failed', async () => {
    const id = await queuedProvisioning(api.store.db, { name: 'hlr' }, 'first-use');
    const msisdn = (await api.store.db.one<{ msisdn: string }>(
      'SELECT s.msisdn FROM subscribers s JOIN provisionings p ON p.subscriber_id = s.id WHERE p.id = $1',
      [id],
    ))!.msisdn;
    const visitor = new Visitor(api);
    const csrf = await visitor.signIn(api.keys.care);
    expect((await visitor.fetch(`/console/subscribers/${msisdn}`)).status).toBe(200);
    const page = await visitor.post(`/console/provisionings/${id}/resend`, {
      _csrf: csrf,
      reason: 'handset reset',
    });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain(
      'The queue (Redis) cannot be reached, so nothing was sent or recorded.',
    );
    const script = await visitor.post(
      `/console/provisionings/${id}/resend`,
      { _csrf: csrf, reason: 'handset reset' },
      { Accept: 'application/json' },
    );
    expect(script.status).toBe(503);
    expect((await readJson(script)).error).toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    const entry = await api.store.db.one<{ outcome: string; details: Record<string, unknown> }>(
      `SELECT outcome, details FROM audit_log WHERE action = 'provisionings.resend' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry).toMatchObject({
      outcome: 'failed',
      details: { via: 'console', status: 503, error: 'QUEUE_UNAVAILABLE' },
    });
  });
});

describe('the console’s absolute session timeout', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({
      config: { console: { ...CONSOLE_CONFIG.console, sessionIdleMs: 60_000, sessionAbsoluteMs: 1_200 } },
    });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('ends a session console.sessionAbsoluteMs after sign-in however busy it is, and a new sign-in gets a new id', async () => {
    const visitor = new Visitor(api);
    await visitor.signIn(api.keys.care);
    const first = visitor.cookie('otagw_console');
    const started = Date.now();
    while (Date.now() - started < 900) {
      expect((await visitor.fetch('/console/subscribers')).status).toBe(200);
      await new Promise((done) => setTimeout(done, 150));
    }
    await new Promise((done) => setTimeout(done, 500));
    const late = await visitor.fetch('/console/subscribers');
    expect(late.status).toBe(302);
    expect(late.headers.get('location')).toContain('notice=expired');
    await visitor.signIn(api.keys.care);
    expect(visitor.cookie('otagw_console')).not.toBe(first);
  });
});

describe('the console over HTTPS', () => {
  let api: ApiHarness;
  let server: ListeningServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-console-tls-'));
    const layout = certsLayout(join(dir, 'certs'));
    await initCerts({ dir: layout.dir, clients: [] });
    api = await startApi({ config: CONSOLE_CONFIG });
    const tls = readServerTls(loadConfig({ env: { OTAGW_TLS_DIR: layout.dir } }).http.tls!);
    server = await listen(createApp(api.context).callback(), { host: '127.0.0.1', port: 0, tls });
    caPem = await readFile(layout.caCert, 'utf8');
  }, 60_000);
  let caPem: string;
  afterAll(async () => {
    await server?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('marks the console’s cookies Secure', async () => {
    const setCookies = await new Promise<string[]>((resolve, reject) => {
      const request = httpsRequest(`${server.url}/console/sign-in`, { ca: caPem }, (response) => {
        response.resume();
        resolve(response.headers['set-cookie'] ?? []);
      });
      request.on('error', reject);
      request.end();
    });
    const signInCookie = setCookies.find((line) => line.startsWith('otagw_console_sign_in='));
    expect(signInCookie).toMatch(/;\s*secure/i);
    expect(signInCookie).toMatch(/httponly/i);
  });
});
