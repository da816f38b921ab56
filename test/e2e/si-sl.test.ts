/**
 * Software download (issue 12): SI and SL pushes asked for over HTTP (POST /v1/pushes), sent by the
 * worker over real SMPP to the simulator, and read by its virtual handset as a phone would (href,
 * action, si-id, dates, text; docs/protocol.md §8), on both stores.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDocument, packXml } from '../../codecs/ota/pack.ts';
import { ESM_CLASS_UDHI } from '../../src/connectors/smpp/protocol.ts';
import { startSmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient } from '../smsc-sim/smpp-test-client.ts';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { composeContent } from '../../src/provisioning/compose-content.ts';
import { contentDocument, unsupportedContentReason } from '../../src/provisioning/push-content.ts';
import type { ResolvedDevice } from '../../src/devices/resolve-device.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, uniqueSubscriber, type Harness } from '../provisioning/harness.ts';
import { readJson, type LooseJson } from '../http/support/api-harness.ts';

/** config/devices.csv: the Nokia 6230i takes SI and SL; the Samsung SGH-D900 is not said to. */
const NOKIA_6230I = '35216700';
const SAMSUNG_D900 = '35393201';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): string => Buffer.from(text).toString('hex');

describe('SI and SL documents (docs/protocol.md §8)', () => {
  it('encodes the SI of the §8.4 example byte for byte, and an SL with its prefix and value tokens', () => {
    const si = contentDocument({
      kind: 'si',
      href: 'http://www.example.com/news',
      siId: 'id1',
      action: 'signal-medium',
      created: '2024-01-15T10:30:00Z',
      text: 'Hello',
    });
    expect(hex(compileDocument(si).wbxml)).toBe(
      `02056a0045c60d03${ascii('example')}008503${ascii('news')}001103${ascii('id1')}00` +
        `070ac3062024011510300103${ascii('Hello')}000101`,
    );
    const sl = contentDocument({ kind: 'sl', href: 'https://www.example.org/a.jad', action: 'execute-high' });
    // sl with attributes (85), href="https://www." (0C), ".org/" (88), execute-high (06), END (§8.2)
    expect(hex(compileDocument(sl).wbxml)).toBe(
      `02066a00850c03${ascii('example')}008803${ascii('a.jad')}000601`,
    );
  });

  const device = (capabilities: string[] | null, maxSegments: number | null = null): ResolvedDevice =>
    ({ manufacturer: 'Maker', model: 'M1', capabilities, maxSegments }) as ResolvedDevice;

  it('takes a handset only when its catalogue capabilities list the kind', () => {
    expect(unsupportedContentReason(device(['data', 'si']), 'si')).toBeUndefined();
    expect(unsupportedContentReason(device(['data', 'si']), 'sl')).toMatch(/Maker M1 does not take SL/);
    expect(unsupportedContentReason(device(null), 'si')).toMatch(/does not say whether Maker M1 takes SI/);
  });

  it('refuses a push longer than the handset reassembles: TOO_MANY_SEGMENTS', () => {
    const content = {
      kind: 'si',
      href: `http://example.com/${'a'.repeat(300)}`,
      text: 'x'.repeat(160),
    } as const;
    const refused = composeContent(content, device(['si'], 1), { mode: 'udh', reference: 1 });
    expect(refused).toMatchObject({ ok: false, code: 'TOO_MANY_SEGMENTS', details: { maxSegments: 1 } });
    const sent = composeContent(content, device(['si'], 4), { mode: 'udh', reference: 1 });
    expect(sent.ok && sent.segments.length).toBeGreaterThan(1);
  });
});

describe("the simulator's control API", () => {
  it('shows an SI a handset received (the §8.4 example): href, si-id, action, created and text', async () => {
    const sim = await startSmscSimulator({ controlPort: 0 });
    const client = await TestClient.bound(sim.port);
    try {
      const xml =
        '<si><indication href="http://www.example.com/news" si-id="id1" action="signal-medium" ' +
        'created="2024-01-15T10:30:00Z">Hello</indication></si>';
      const [segment] = packXml(xml).segments;
      await client.submit({
        destination_addr: '447700900321',
        esm_class: ESM_CLASS_UDHI,
        data_coding: 0x04,
        short_message: Buffer.from(segment.tpud),
      });
      await sim.handset('447700900321').waitFor(1, 2_000);
      const inbox: LooseJson = await (await fetch(`${sim.controlUrl}/handsets/447700900321`)).json();
      expect(inbox.pushes[0]).toMatchObject({
        contentType: 'application/vnd.wap.sic',
        status: 'needs-user-confirmation',
        service: {
          kind: 'si',
          href: 'http://www.example.com/news',
          siId: 'id1',
          action: 'signal-medium',
          created: '2024-01-15T10:30:00Z',
          expires: null,
          text: 'Hello',
        },
      });
    } finally {
      client.close();
      await sim.close();
    }
  });
});

describeEachStore('SI and SL pushes to the virtual handset (%s store)', (kind) => {
  let h: Harness;
  let server: Server;
  let url: string;
  let careKey: string;
  let serial = 0;

  beforeAll(async () => {
    h = await startHarness(kind, {
      // corporate: the seed rules name it
      groups: { default: {}, corporate: {}, trusted: { allowSlExecuteHigh: true } },
    });
    const context: AppContext = {
      config: h.config,
      db: h.store.db,
      logger: createLogger({ level: 'silent' }),
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: h.connector,
      metrics: h.metrics.registry,
    };
    server = await new Promise((resolve) => {
      const listening = createApp(context).listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    careKey = (await createApiKey(h.store.db, { name: 'agent', role: 'care' })).key;
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await h?.close();
  });

  /** A subscriber in a handset of this TAC (and group), known to the simulator. */
  async function subscriberWith(tac: string, group = 'default') {
    const subscriber = uniqueSubscriber();
    serial += 1;
    await h.store.db.query(
      `INSERT INTO subscribers (imsi, msisdn, current_imei, group_name) VALUES ($1, $2, $3, $4)`,
      [subscriber.imsi, subscriber.msisdn, imeiWith(tac, 8000 + serial), group],
    );
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    return subscriber;
  }

  async function push(body: Record<string, unknown>): Promise<{ status: number; body: LooseJson }> {
    const response = await fetch(`${url}/v1/pushes`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${careKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await readJson(response) };
  }

  async function get(path: string): Promise<LooseJson> {
    const response = await fetch(url + path, { headers: { Authorization: `Bearer ${careKey}` } });
    expect(response.status, path).toBe(200);
    return readJson(response);
  }

  it('sends an SI the handset shows with its href, text, action, si-id and dates; tracked like settings', async () => {
    const subscriber = await subscriberWith(NOKIA_6230I);
    const expires = new Date(Date.now() + 7 * 86_400_000);
    expires.setUTCMilliseconds(0);
    const answer = await push({
      msisdn: subscriber.msisdn,
      kind: 'si',
      href: 'http://www.example.com/fw/6230i.jad',
      text: 'New firmware for your Nokia 6230i',
      action: 'signal-high',
      siId: 'fw-6230i-5.10',
      created: '2026-11-30T09:15:00.250+01:00',
      expires: expires.toISOString(),
      reason: 'firmware 5.10 download',
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const { provisioningId } = answer.body;
    const view = await h.waitForState(provisioningId, FINAL);
    expect(view.state, JSON.stringify(view.events)).toBe('delivered');
    expect(view.profileVersionId).toBeNull();
    expect(view.securityMethod).toBe('none');
    expect(view.segments.every((segment) => segment.receiptState === 'DELIVRD')).toBe(true);

    const [received] = await h.sim.handset(subscriber.msisdn).waitFor(1);
    expect(received.contentType).toBe('application/vnd.wap.sic');
    expect(received.accepted).toBe(true);
    expect(received.sec).toBeNull();
    expect(received.service).toEqual({
      kind: 'si',
      href: 'http://www.example.com/fw/6230i.jad',
      action: 'signal-high',
      siId: 'fw-6230i-5.10',
      // %Datetime is whole seconds in UTC (docs/protocol.md §8.3)
      created: '2026-11-30T08:15:00Z',
      expires: expires.toISOString().replace('.000Z', 'Z'),
      text: 'New firmware for your Nokia 6230i',
    });

    // GET /v1/provisionings/{id} shows the content, its events and its segments.
    const shown = await get(`/v1/provisionings/${provisioningId}`);
    expect(shown.content).toMatchObject({ kind: 'si', href: 'http://www.example.com/fw/6230i.jad' });
    expect(shown.events.map((event: LooseJson) => event.toState)).toEqual(
      expect.arrayContaining(['requested', 'queued', 'submitting', 'submitted', 'delivered']),
    );
    const submitting = shown.events.find((event: LooseJson) => event.toState === 'submitting');
    expect(submitting.details).toMatchObject({ content: 'si', security: 'none', profileVersionId: null });

    // The subscriber's timeline lists it with its content.
    const timeline = await get(`/v1/subscribers/${subscriber.msisdn}`);
    const entry = timeline.timeline.find((item: LooseJson) => item.id === provisioningId);
    expect(entry).toMatchObject({ state: 'delivered', source: 'care', content: { kind: 'si' } });
    expect(entry.segments.length).toBe(view.segments.length);

    // Audited as the route (who, which subscriber, what) and as the provisioning's own entries.
    const audit = await h.store.db.query<{ action: string; details: LooseJson }>(
      `SELECT action, details FROM audit_log WHERE subject_id = $1 OR details ->> 'provisioningId' = $1 ORDER BY id`,
      [provisioningId],
    );
    const actions = audit.map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(['pushes.request', 'provisioning.request']));
    expect(audit.find((row) => row.action === 'pushes.request')!.details).toMatchObject({
      kind: 'si',
      href: 'http://www.example.com/fw/6230i.jad',
    });
  });

  it('sends an SL the handset loads: href and action', async () => {
    const subscriber = await subscriberWith(NOKIA_6230I);
    const answer = await push({
      imsi: subscriber.imsi,
      kind: 'sl',
      href: 'https://www.example.org/apps/mail.jad',
      action: 'cache',
      reason: 'mail client for the pilot',
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const view = await h.waitForState(answer.body.provisioningId, FINAL);
    expect(view.state).toBe('delivered');
    const [received] = await h.sim.handset(subscriber.msisdn).waitFor(1);
    expect(received.contentType).toBe('application/vnd.wap.slc');
    expect(received.service).toEqual({
      kind: 'sl',
      href: 'https://www.example.org/apps/mail.jad',
      action: 'cache',
      siId: null,
      created: null,
      expires: null,
      text: null,
    });
    expect(received.xml).toContain('<sl href="https://www.example.org/apps/mail.jad" action="cache"');
  });

  it('refuses a handset the catalogue does not say takes SI: failed UNSUPPORTED_CONTENT, nothing sent', async () => {
    const subscriber = await subscriberWith(SAMSUNG_D900);
    const answer = await push({
      msisdn: subscriber.msisdn,
      kind: 'si',
      href: 'http://example.com/fw',
      reason: 'firmware for everyone',
    });
    expect(answer.status).toBe(202);
    const view = await h.waitForState(answer.body.provisioningId, FINAL);
    expect(view.state).toBe('failed');
    expect(view.failureCode).toBe('UNSUPPORTED_CONTENT');
    expect(view.failureReason).toMatch(/Samsung SGH-D900 does not take SI pushes/);
    const failed = view.events.find((event) => event.toState === 'failed')!;
    expect(failed.details).toMatchObject({ code: 'UNSUPPORTED_CONTENT', kind: 'si' });
    expect(view.segments).toEqual([]);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
  });

  it("refuses SL execute-high naming action unless the group's policy allows it", async () => {
    const ordinary = await subscriberWith(NOKIA_6230I);
    const body = { kind: 'sl', href: 'http://example.com/app.jad', action: 'execute-high', reason: 'app' };
    const refused = await push({ ...body, msisdn: ordinary.msisdn });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('CONTENT_NOT_ALLOWED');
    expect(refused.body.error.details.field).toBe('action');
    expect(refused.body.error.message).toMatch(/allowSlExecuteHigh/);
    const recorded = await h.store.db.query(
      `SELECT p.id FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id WHERE s.msisdn = $1`,
      [ordinary.msisdn],
    );
    expect(recorded).toEqual([]);

    const trusted = await subscriberWith(NOKIA_6230I, 'trusted');
    const allowed = await push({ ...body, msisdn: trusted.msisdn });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(202);
    expect((await h.waitForState(allowed.body.provisioningId, FINAL)).state).toBe('delivered');
    const [received] = await h.sim.handset(trusted.msisdn).waitFor(1);
    expect(received.service).toMatchObject({ kind: 'sl', action: 'execute-high' });
  });

  it('a resend of an SI sends the same SI again', async () => {
    const subscriber = await subscriberWith(NOKIA_6230I);
    const answer = await push({
      msisdn: subscriber.msisdn,
      kind: 'si',
      href: 'http://example.com/again',
      siId: 'again-1',
      reason: 'first try',
    });
    await h.waitForState(answer.body.provisioningId, FINAL);
    const resent = await h.service.resend(answer.body.provisioningId, 'once more', { name: 'agent' });
    expect(resent.content).toEqual({ kind: 'si', href: 'http://example.com/again', siId: 'again-1' });
    expect((await h.waitForState(resent.id, FINAL)).state).toBe('delivered');
    const pushes = await h.sim.handset(subscriber.msisdn).waitFor(2);
    expect(pushes.map((received) => received.service?.siId)).toEqual(['again-1', 'again-1']);
  });
});
