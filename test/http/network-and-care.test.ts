import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { startApi, testImei, type ApiHarness, readJson } from './support/api-harness.ts';

const NOKIA_6230I_TAC = '35216700'; // config/devices.csv

describeEachStore('network triggers and customer care (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true });
  });
  afterAll(async () => {
    await api?.close();
  });

  const firstUse = (json: Record<string, unknown>) =>
    api.fetch('/v1/triggers/first-use', { method: 'POST', key: api.keys.network, json });

  it('queues a first use, then answers unchanged for the same handset', async () => {
    const trigger = {
      imsi: '001010000000101',
      msisdn: '+491700000101',
      imei: testImei(101, NOKIA_6230I_TAC),
    };
    const first = await firstUse(trigger);
    const body = await readJson(first);
    expect(first.status, JSON.stringify(body)).toBe(202);
    expect(body.outcome).toBe('queued');
    expect(body.provisioningId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await firstUse({ ...trigger, observedAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await readJson(again)).outcome).toBe('unchanged');
  });

  it('audits triggers with the IMSI masked', async () => {
    await firstUse({ imsi: '001010000000102', msisdn: '491700000102', imei: testImei(102, NOKIA_6230I_TAC) });
    const entries = await listAudit(api.store.db, { action: 'triggers.firstUse', subjectId: '491700000102' });
    const http = entries.find((entry) => entry.actor === 'test-network');
    expect(http).toBeDefined();
    expect(http!.role).toBe('network');
    expect(http!.outcome).toBe('ok');
    expect(http!.details.imsi).toBe('00101*******102');
    expect(JSON.stringify(entries)).not.toContain('001010000000102');
    expect(http!.requestId).toBeTruthy();
  });

  it('refuses an IMEI with a wrong Luhn digit, naming the field', async () => {
    const imei = testImei(103, NOKIA_6230I_TAC);
    const wrong = imei.slice(0, 14) + String((Number(imei[14]) + 1) % 10);
    const response = await firstUse({ imsi: '001010000000103', msisdn: '491700000103', imei: wrong });
    expect(response.status).toBe(400);
    const body = await readJson(response);
    expect(body.error.details.issues[0].field).toBe('body.imei');
  });

  it('takes a dial request and a device report', async () => {
    await firstUse({ imsi: '001010000000104', msisdn: '491700000104', imei: testImei(104, NOKIA_6230I_TAC) });
    const dial = await api.fetch('/v1/triggers/dial-request', {
      method: 'POST',
      key: api.keys.network,
      json: { msisdn: '491700000104', code: '*123#' },
    });
    const dialBody = await readJson(dial);
    expect(dial.status, JSON.stringify(dialBody)).toBe(202);
    expect(dialBody.provisioningId).toBeTruthy();
    const report = await api.fetch(`/v1/devices/${testImei(104, NOKIA_6230I_TAC)}/reports`, {
      method: 'POST',
      key: api.keys.network,
      json: {
        properties: { manufacturer: 'Nokia', model: '6230i', firmware: '5.50', language: 'de' },
        software: [{ name: 'opera', version: '8' }],
      },
    });
    const reportBody = await readJson(report);
    expect(report.status, JSON.stringify(reportBody)).toBe(201);
    expect(reportBody.subscriberId).toBeTruthy();
  });

  it('answers 404 for a stale-config report of an unknown subscriber and re-provisions a known one', async () => {
    const unknown = await api.fetch('/v1/triggers/stale-config', {
      method: 'POST',
      key: api.keys.network,
      json: { msisdn: '491799999999', observed: { apn: 'old.apn' } },
    });
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.code).toBe('SUBSCRIBER_NOT_FOUND');
    await firstUse({ imsi: '001010000000105', msisdn: '491700000105', imei: testImei(105, NOKIA_6230I_TAC) });
    const stale = await api.fetch('/v1/triggers/stale-config', {
      method: 'POST',
      key: api.keys.network,
      json: { imsi: '001010000000105', observed: { apn: 'old.apn' } },
    });
    const body = await readJson(stale);
    expect(stale.status, JSON.stringify(body)).toBe(202);
    expect(body.outcome).toBe('queued');
  });

  it('answers current when the handset uses what the latest delivered version says, and re-provisions otherwise', async () => {
    const accepted = await readJson(
      await firstUse({
        imsi: '001010000000107',
        msisdn: '491700000107',
        imei: testImei(107, NOKIA_6230I_TAC),
      }),
    );
    await api.store.db.query(
      `UPDATE provisionings SET state = 'delivered',
         profile_version_id = (SELECT v.id FROM profile_versions v JOIN profiles p ON p.id = v.profile_id
                                WHERE p.name = 'northwind-standard' ORDER BY v.version DESC LIMIT 1)
       WHERE id = $1`,
      [accepted.provisioningId],
    );
    const stale = (observed: Record<string, string>) =>
      api.fetch('/v1/triggers/stale-config', {
        method: 'POST',
        key: api.keys.network,
        json: { msisdn: '491700000107', observed },
      });
    const current = await stale({ apn: 'web.northwind.example' });
    expect(await readJson(current)).toEqual({ outcome: 'current' });
    const old = await readJson(await stale({ apn: 'wap.northwind.example' }));
    expect(old.outcome).toBe('queued');
    const reasons = await api.store.db.query<{ reason: string }>(
      `SELECT reason FROM provisionings WHERE source = 'stale-config' AND id = $1`,
      [old.provisioningId],
    );
    expect(reasons[0].reason).toContain('apn wap.northwind.example');
  });

  it('lets care read the timeline (audited), request, resend and read a provisioning', async () => {
    await firstUse({ imsi: '001010000000106', msisdn: '491700000106', imei: testImei(106, NOKIA_6230I_TAC) });
    const requested = await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.care,
      json: { msisdn: '+491700000106', reason: 'customer called: no MMS' },
    });
    const provisioning = await readJson(requested);
    expect(requested.status, JSON.stringify(provisioning)).toBe(202);
    expect(provisioning.source).toBe('care');

    const resent = await api.fetch(`/v1/provisionings/${provisioning.id}/resend`, {
      method: 'POST',
      key: api.keys.care,
      json: { reason: 'still no MMS' },
    });
    const resend = await readJson(resent);
    expect(resent.status, JSON.stringify(resend)).toBe(202);
    expect(resend.resendOf).toBe(provisioning.id);

    const fetched = await api.fetch(`/v1/provisionings/${resend.id}`, { key: api.keys.care });
    expect(fetched.status).toBe(200);
    expect((await readJson(fetched)).events.length).toBeGreaterThan(0);

    const timeline = await api.fetch('/v1/subscribers/491700000106', { key: api.keys.care });
    const view = await readJson(timeline);
    expect(timeline.status, JSON.stringify(view)).toBe(200);
    expect(view.subscriber.msisdn).toBe('491700000106');
    expect(view.device.model.model).toBe('6230i');
    expect(view.group.name).toBe('default');
    expect(view.timeline.length).toBe(3);
    expect(view.timeline.map((p: { source: string }) => p.source)).toEqual(
      expect.arrayContaining(['care', 'first-use']),
    );
    expect(view.timeline[0].events.length).toBeGreaterThan(0);

    const reads = await listAudit(api.store.db, { action: 'subscribers.timeline' });
    expect(reads.some((entry) => entry.actor === 'test-care' && entry.subjectType === 'subscriber')).toBe(
      true,
    );
  });

  it('requires a reason where care acts and knows profile ids', async () => {
    const noReason = await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.care,
      json: { msisdn: '491700000106' },
    });
    expect(noReason.status).toBe(400);
    expect((await readJson(noReason)).error.details.issues[0].field).toBe('body.reason');
    const unknownProfile = await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.care,
      json: { msisdn: '491700000106', profile: 'no-such-profile', reason: 'testing' },
    });
    expect(unknownProfile.status).toBe(422);
    expect((await readJson(unknownProfile)).error.code).toBe('UNKNOWN_PROFILE');
    const missing = await api.fetch('/v1/subscribers/491799999998', { key: api.keys.care });
    expect(missing.status).toBe(404);
    const noSuch = await api.fetch('/v1/provisionings/00000000-0000-4000-8000-000000000001/resend', {
      method: 'POST',
      key: api.keys.care,
      json: { reason: 'testing' },
    });
    expect(noSuch.status).toBe(404);
  });

  it('records failed and denied mutating calls in the audit log', async () => {
    await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.network,
      json: { msisdn: '491700000106', reason: 'x' },
    });
    await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.care,
      json: { msisdn: 'abc', reason: 'testing' },
    });
    const entries = await listAudit(api.store.db, { action: 'provisionings.request' });
    expect(entries.some((e) => e.outcome === 'denied' && e.actor === 'test-network')).toBe(true);
    expect(entries.some((e) => e.outcome === 'failed' && e.details.error === 'VALIDATION_FAILED')).toBe(true);
  });
});

describe('with Redis down', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ seed: true, redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 503 at once and records no subscriber or provisioning', async () => {
    const response = await api.fetch('/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: { imsi: '001010000000201', msisdn: '491700000201', imei: testImei(201, NOKIA_6230I_TAC) },
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(503);
    expect(body.error.code).toBe('QUEUE_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('1');
    const rows = await api.store.db.query(`SELECT 1 FROM subscribers WHERE imsi = '001010000000201'`);
    expect(rows).toEqual([]);
    const provisionings = await api.store.db.query('SELECT 1 FROM provisionings');
    expect(provisionings).toEqual([]);
  });

  it('is not ready', async () => {
    const response = await api.fetch('/readyz');
    expect(response.status).toBe(503);
    const body = await readJson(response);
    expect(body.error.code).toBe('NOT_READY');
    expect(body.error.details.checks.redis.ok).toBe(false);
    expect(body.error.details.checks.store.ok).toBe(true);
  });
});
