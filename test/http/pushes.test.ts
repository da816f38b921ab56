/**
 * POST /v1/pushes over HTTP (issue 12, software download): who may call it, what it records and
 * audits, and bad input refused with a 4xx naming the field, nothing recorded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, testImei, type ApiHarness, type LooseJson } from './support/api-harness.ts';

const NOKIA_6230I_TAC = '35216700'; // config/devices.csv: takes SI and SL

describeEachStore('POST /v1/pushes (%s store)', (kind) => {
  let api: ApiHarness;
  let serial = 0;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true });
  });
  afterAll(async () => {
    await api?.close();
  });

  async function subscriber(): Promise<{ imsi: string; msisdn: string }> {
    serial += 1;
    const n = String(serial).padStart(4, '0');
    const created = { imsi: `00101000009${n}`, msisdn: `4917100009${n}` };
    await api.store.db.query(`INSERT INTO subscribers (imsi, msisdn, current_imei) VALUES ($1, $2, $3)`, [
      created.imsi,
      created.msisdn,
      testImei(9000 + serial, NOKIA_6230I_TAC),
    ]);
    return created;
  }

  const post = (json: unknown, key: string | null = api.keys.care) =>
    api.fetch('/v1/pushes', { method: 'POST', key, json });

  async function provisioningsOf(msisdn: string): Promise<unknown[]> {
    return api.store.db.query(
      `SELECT p.id FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id WHERE s.msisdn = $1`,
      [msisdn],
    );
  }

  const SI = { kind: 'si', href: 'http://example.com/fw', text: 'New firmware', reason: 'firmware update' };

  it('queues an SI for care and admin: 202 { provisioningId }, the provisioning carries the content', async () => {
    for (const role of ['care', 'admin'] as const) {
      const { msisdn } = await subscriber();
      const response = await post({ ...SI, msisdn: `+${msisdn}` }, api.keys[role]);
      const body = await readJson(response);
      expect(response.status, JSON.stringify(body)).toBe(202);
      expect(body).toEqual({ provisioningId: expect.stringMatching(/^[0-9a-f-]{36}$/), state: 'queued' });
      const view = await readJson(
        await api.fetch(`/v1/provisionings/${body.provisioningId}`, { key: api.keys.care }),
      );
      expect(view).toMatchObject({
        source: 'care',
        profileVersionId: null,
        content: { kind: 'si', href: 'http://example.com/fw', text: 'New firmware' },
      });
      expect(view.events[0].details).toMatchObject({ content: { kind: 'si' } });
    }
  });

  it('refuses network and operator keys (403) and no key (401), recording nothing', async () => {
    const { msisdn } = await subscriber();
    for (const key of [api.keys.network, api.keys.operator]) {
      expect((await post({ ...SI, msisdn }, key)).status).toBe(403);
    }
    expect((await post({ ...SI, msisdn }, null)).status).toBe(401);
    expect(await provisioningsOf(msisdn)).toEqual([]);
  });

  it('audits the call with the subscriber, kind, href and the provisioning id; the IMSI masked', async () => {
    const { imsi } = await subscriber();
    const response = await post({ kind: 'sl', href: 'https://example.com/app.jad', imsi, reason: 'app' });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(202);
    const [entry] = await listAudit(api.store.db, { action: 'pushes.request', actor: 'test-care' }).then(
      (entries) => entries.filter((candidate) => candidate.details.provisioningId === body.provisioningId),
    );
    expect(entry).toBeDefined();
    expect(entry.subjectType).toBe('imsi');
    expect(entry.subjectId).not.toBe(imsi);
    expect(entry.details).toMatchObject({ kind: 'sl', href: 'https://example.com/app.jad', reason: 'app' });
  });

  it('answers 404 for an unknown subscriber', async () => {
    const response = await post({ ...SI, msisdn: '4917999999999' });
    expect(response.status).toBe(404);
    expect((await readJson(response)).error.code).toBe('SUBSCRIBER_NOT_FOUND');
  });

  const future = new Date(Date.now() + 86_400_000).toISOString();
  const past = new Date(Date.now() - 86_400_000).toISOString();
  const BAD: Array<[string, Record<string, unknown>, string]> = [
    ['no href', { kind: 'si', reason: 'x-ray' }, 'body.href'],
    ['an ftp href', { ...SI, href: 'ftp://example.com/fw' }, 'body.href'],
    ['not a URL', { ...SI, href: 'example' }, 'body.href'],
    ['an unknown kind', { ...SI, kind: 'co' }, 'body.kind'],
    ['an SL action on an SI', { ...SI, action: 'execute-high' }, 'body.action'],
    [
      'an SI action on an SL',
      { kind: 'sl', href: 'http://example.com', action: 'signal-high', reason: 'xyz' },
      'body.action',
    ],
    ['siId on an SL', { kind: 'sl', href: 'http://example.com', siId: 'a', reason: 'xyz' }, 'body.siId'],
    ['text on an SL', { kind: 'sl', href: 'http://example.com', text: 'hi', reason: 'xyz' }, 'body.text'],
    ['delete without siId', { ...SI, action: 'delete' }, 'body.siId'],
    ['created not a time', { ...SI, created: 'yesterday' }, 'body.created'],
    ['expires in the past', { ...SI, expires: past }, 'body.expires'],
    [
      'expires before created',
      { ...SI, created: future, expires: new Date(Date.now() + 3_600_000).toISOString() },
      'body.expires',
    ],
    ['a text too long', { ...SI, text: 'x'.repeat(161) }, 'body.text'],
    ['no reason', { kind: 'si', href: 'http://example.com' }, 'body.reason'],
    ['a bad msisdn', { ...SI, msisdn: '12ab' }, 'body.msisdn'],
    ['an unknown field', { ...SI, profile: 'northwind-standard' }, 'body.profile'],
  ];

  it.each(BAD)('refuses %s with 400 naming the field, nothing recorded', async (_, json, field) => {
    const { msisdn } = await subscriber();
    const body = { msisdn, ...json };
    const response = await post(body);
    const answer: LooseJson = await readJson(response);
    expect(response.status, JSON.stringify(answer)).toBe(400);
    expect(answer.error.code).toBe('VALIDATION_FAILED');
    expect(answer.error.details.issues.map((issue: LooseJson) => issue.field)).toContain(field);
    expect(await provisioningsOf(msisdn)).toEqual([]);
  });

  it('refuses a push naming no subscriber with 400 naming msisdn', async () => {
    const response = await post(SI);
    const answer = await readJson(response);
    expect(response.status).toBe(400);
    expect(answer.error.details.issues.map((issue: LooseJson) => issue.field)).toContain('body.msisdn');
  });

  it('refuses SL execute-high in a group that does not allow it: 422 naming action, nothing recorded', async () => {
    const { msisdn } = await subscriber();
    const response = await post({
      kind: 'sl',
      href: 'http://example.com/a.jad',
      action: 'execute-high',
      msisdn,
      reason: 'app',
    });
    const answer = await readJson(response);
    expect(response.status).toBe(422);
    expect(answer.error).toMatchObject({
      code: 'CONTENT_NOT_ALLOWED',
      details: { field: 'action', group: 'default' },
    });
    expect(await provisioningsOf(msisdn)).toEqual([]);
  });
});
