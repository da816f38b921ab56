/**
 * What the trigger and care routes answer for the provisioning decisions: times ahead of the clock, an
 * IMEISV of another handset, identities of different subscribers, SIMs never seen before, care skipping
 * ask-first and choosing the version of a resend. Real HTTP server, store and Redis.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedGroups } from '../../src/provisioning/seeds.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { parseGroupPolicy } from '../../src/subscribers/policy.ts';
import { findSubscriber } from '../../src/subscribers/repository.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, testImei, type ApiHarness } from './support/api-harness.ts';

const NOKIA_6230I_TAC = '35216700'; // config/devices.csv

describeEachStore('trigger and care decisions over HTTP (%s store)', (kind) => {
  let api: ApiHarness;
  let next = 500;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true, groupPoliciesTtlMs: 0 });
    await seedGroups(api.store.db, {
      askcare: parseGroupPolicy({ confirmation: 'ask-first', confirmFor: ['care'] }),
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  const post = (path: string, key: string, json: Record<string, unknown>) =>
    api.fetch(path, { method: 'POST', key, json });

  /** A subscriber the store knows, with a handset, in `group`. */
  async function known(group = 'default'): Promise<{ imsi: string; msisdn: string; imei: string }> {
    next += 1;
    const subscriber = {
      imsi: `00101000000${String(next).padStart(4, '0')}`,
      msisdn: `4917100${String(next).padStart(5, '0')}`,
      imei: testImei(next, NOKIA_6230I_TAC),
    };
    await api.store.db.query(
      `INSERT INTO subscribers (imsi, msisdn, group_name, current_imei) VALUES ($1, $2, $3, $4)`,
      [subscriber.imsi, subscriber.msisdn, group, subscriber.imei],
    );
    return subscriber;
  }

  function fresh(): { imsi: string; msisdn: string; imei: string } {
    next += 1;
    return {
      imsi: `00102000000${String(next).padStart(4, '0')}`,
      msisdn: `4917200${String(next).padStart(5, '0')}`,
      imei: testImei(next, NOKIA_6230I_TAC),
    };
  }

  it('answers 422 naming observedAt for a trigger observed more than a few minutes ahead (9999-12-31)', async () => {
    const trigger = fresh();
    const response = await post('/v1/triggers/first-use', api.keys.network, {
      ...trigger,
      observedAt: '9999-12-31T00:00:00Z',
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.details.issues[0].field).toBe('observedAt');
    expect(body.error.message).toMatch(/observedAt/);
    expect(await findSubscriber(api.store.db, { imsi: trigger.imsi })).toBeUndefined();
    const soon = await post('/v1/triggers/first-use', api.keys.network, {
      ...trigger,
      observedAt: new Date(Date.now() + 30_000).toISOString(),
    });
    expect(soon.status).toBe(202);
  });

  it('answers 422 naming imeisv for an IMEISV of another handset than the IMEI', async () => {
    const trigger = fresh();
    const other = testImei(next + 10_000, NOKIA_6230I_TAC);
    const response = await post('/v1/triggers/first-use', api.keys.network, {
      ...trigger,
      imeisv: `${other.slice(0, 14)}03`,
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(422);
    expect(body.error.details.field).toBe('imeisv');
    const same = await post('/v1/triggers/first-use', api.keys.network, {
      ...trigger,
      imeisv: `${trigger.imei.slice(0, 14)}03`,
    });
    expect(same.status).toBe(202);
  });

  it('answers 409 SUBSCRIBER_MISMATCH for a dial request whose msisdn and imsi are different subscribers', async () => {
    const a = await known();
    const b = await known();
    const response = await post('/v1/triggers/dial-request', api.keys.network, {
      msisdn: a.msisdn,
      imsi: b.imsi,
      code: '*123#',
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(409);
    expect(body.error.code).toBe('SUBSCRIBER_MISMATCH');
    expect(JSON.stringify(body)).not.toContain(b.imsi);
    const rows = await api.store.db.query(
      `SELECT p.id FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id WHERE s.imsi = ANY($1)`,
      [[a.imsi, b.imsi]],
    );
    expect(rows).toHaveLength(0);
    const care = await post('/v1/provisionings', api.keys.care, {
      msisdn: a.msisdn,
      imsi: b.imsi,
      reason: 'crossed',
    });
    expect(care.status).toBe(409);
  });

  it('creates a SIM never seen before from a dial request with its IMSI; 404 saying the IMSI is missing without', async () => {
    const sim = fresh();
    const without = await post('/v1/triggers/dial-request', api.keys.network, { msisdn: sim.msisdn });
    const refused = await readJson(without);
    expect(without.status).toBe(404);
    expect(refused.error.code).toBe('SUBSCRIBER_NOT_FOUND');
    expect(refused.error.details.missing).toEqual(['imsi']);
    expect(await findSubscriber(api.store.db, { msisdn: sim.msisdn })).toBeUndefined();

    const withImsi = await post('/v1/triggers/dial-request', api.keys.network, {
      msisdn: sim.msisdn,
      imsi: sim.imsi,
    });
    const body = await readJson(withImsi);
    expect(withImsi.status, JSON.stringify(body)).toBe(202);
    expect(body.outcome).toBe('queued');
    expect(await findSubscriber(api.store.db, { imsi: sim.imsi })).toMatchObject({
      msisdn: sim.msisdn,
      groupName: 'default',
    });
  });

  it('lets care skip ask-first where the group asks care requests first, and audits that it did', async () => {
    const asked = await post('/v1/provisionings', api.keys.care, {
      msisdn: (await known('askcare')).msisdn,
      reason: 'customer called',
    });
    expect((await readJson(asked)).state).toBe('awaiting-confirmation');
    const subscriber = await known('askcare');
    const skipped = await post('/v1/provisionings', api.keys.care, {
      msisdn: subscriber.msisdn,
      reason: 'customer on the phone',
      skipConfirmation: true,
    });
    const body = await readJson(skipped);
    expect(skipped.status, JSON.stringify(body)).toBe(202);
    expect(body.state).toBe('queued');
    const entries = await listAudit(api.store.db, {
      action: 'provisionings.request',
      subjectId: subscriber.msisdn,
    });
    expect(entries[0]?.details).toMatchObject({ skipConfirmation: true, provisioningId: body.id });
  });

  it('resends with the version care chooses (current by default), audited; refuses an unknown choice naming body.version', async () => {
    const subscriber = await known();
    const created = await readJson(
      await post('/v1/provisionings', api.keys.care, { msisdn: subscriber.msisdn, reason: 'first' }),
    );
    const same = await post(`/v1/provisionings/${created.id}/resend`, api.keys.care, {
      reason: 'the same again',
      version: 'same',
    });
    const resent = await readJson(same);
    expect(same.status, JSON.stringify(resent)).toBe(202);
    expect(resent.resendOf).toBe(created.id);
    const entries = await listAudit(api.store.db, { action: 'provisionings.resend', subjectId: created.id });
    expect(entries[0]?.details).toMatchObject({ version: 'same', provisioningId: resent.id });
    const current = await post(`/v1/provisionings/${created.id}/resend`, api.keys.care, { reason: 'again' });
    expect(current.status).toBe(202);
    const defaulted = await listAudit(api.store.db, {
      action: 'provisionings.resend',
      subjectId: created.id,
    });
    expect(defaulted.map((entry) => entry.details.version).sort()).toEqual(['current', 'same']);

    const wrong = await post(`/v1/provisionings/${created.id}/resend`, api.keys.care, {
      reason: 'a version that does not exist',
      version: 'oldest',
    });
    expect(wrong.status).toBe(400);
    expect((await readJson(wrong)).error.details.issues[0].field).toBe('body.version');
  });
});
