import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedGroups } from '../../src/provisioning/seeds.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { DEFAULT_GROUP_POLICY } from '../../src/subscribers/policy.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, testImei, type ApiHarness, type LooseJson } from './support/api-harness.ts';

const NOKIA_6230I_TAC = '35216700'; // config/devices.csv

describeEachStore('subscribers and groups through the API (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true, groupPoliciesTtlMs: 50 });
  });
  afterAll(async () => {
    await api?.close();
  });

  const as = (
    role: 'care' | 'admin' | 'network',
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ) => api.fetch(path, { ...init, key: api.keys[role] });
  const create = (json: Record<string, unknown>) => as('admin', '/v1/subscribers', { method: 'POST', json });
  async function expectError(response: Response, status: number, code: string): Promise<LooseJson> {
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(status);
    expect(body.error.code).toBe(code);
    return body.error;
  }

  it('adds a subscriber (201, IMSI masked) and refuses a taken IMSI or number (409) and an unknown group (422)', async () => {
    const created = await create({
      imsi: '262010000000001',
      msisdn: '+491760000001',
      group: 'prepaid',
      imei: testImei(1, NOKIA_6230I_TAC),
    });
    const body = await readJson(created);
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ msisdn: '491760000001', group: 'prepaid', imsi: '26201*******001' });
    expect(body.currentImei).toBe(testImei(1, NOKIA_6230I_TAC));

    const sameImsi = await create({ imsi: '262010000000001', msisdn: '491760000002', group: 'default' });
    expect((await expectError(sameImsi, 409, 'IMSI_TAKEN')).details.field).toBe('body.imsi');
    const sameNumber = await create({ imsi: '262010000000002', msisdn: '491760000001', group: 'default' });
    expect((await expectError(sameNumber, 409, 'MSISDN_TAKEN')).details.field).toBe('body.msisdn');
    const noGroup = await create({ imsi: '262010000000002', msisdn: '491760000002', group: 'nonesuch' });
    expect((await expectError(noGroup, 422, 'UNKNOWN_GROUP')).details.issues[0].field).toBe('body.group');
    const badImsi = await create({ imsi: '12', msisdn: '491760000002', group: 'default' });
    const issues = (await expectError(badImsi, 400, 'VALIDATION_FAILED')).details.issues;
    expect(issues.map((issue: { field: string }) => issue.field)).toEqual(['body.imsi']);
    await expectError(
      await as('care', '/v1/subscribers', {
        method: 'POST',
        json: { imsi: '262010000000003', msisdn: '491760000003', group: 'default' },
      }),
      403,
      'FORBIDDEN',
    );
    expect((await readJson(await as('admin', '/v1/subscribers?msisdn=491760000002'))).subscribers).toEqual(
      [],
    );
  });

  it('finds subscribers by part of the number, IMSI prefix, group, handset model and last delivered profile', async () => {
    for (let n = 1; n <= 5; n++) {
      const response = await create({
        imsi: `26202000000001${n}`,
        msisdn: `4917711${n}00`,
        group: n % 2 === 0 ? 'postpaid' : 'default',
        imei: n === 2 ? testImei(n, NOKIA_6230I_TAC) : undefined,
      });
      expect(response.status, JSON.stringify(await readJson(response))).toBe(201);
    }
    const find = async (query: string, role: 'care' | 'admin' = 'care') => {
      const response = await as(role, `/v1/subscribers?${query}`);
      const body = await readJson(response);
      expect(response.status, `${query}: ${JSON.stringify(body)}`).toBe(200);
      return (body.subscribers as Array<{ msisdn: string }>).map((s) => s.msisdn).sort();
    };
    const all = ['4917711100', '4917711200', '4917711300', '4917711400', '4917711500'];
    expect(await find('msisdn=4917711')).toEqual(all);
    expect(await find('msisdn=1200')).toEqual(['4917711200']); // a substring: care types the end of a number
    expect(await find('msisdn=%2B49177112')).toEqual(['4917711200']);
    expect(await find('msisdn=4917711&group=postpaid')).toEqual(['4917711200', '4917711400']);
    expect(await find('imsiPrefix=26202')).toEqual(all);
    expect(await find('imsiPrefix=262020000000012', 'admin')).toEqual(['4917711200']);
    expect(await find('model=6230i&msisdn=4917711')).toEqual(['4917711200']);
    expect(await find('model=nokia%206230I&msisdn=4917711')).toEqual(['4917711200']);
    expect(await find('model=3310&msisdn=4917711')).toEqual([]);

    const requested = await readJson(
      await as('care', '/v1/provisionings', {
        method: 'POST',
        json: { msisdn: '4917711300', reason: 'customer called: no MMS' },
      }),
    );
    await api.store.db.query(
      `UPDATE provisionings SET state = 'delivered', finished_at = now(),
         profile_version_id = (SELECT v.id FROM profile_versions v JOIN profiles p ON p.id = v.profile_id
                                WHERE p.name = 'northwind-standard' ORDER BY v.version LIMIT 1)
       WHERE id = $1`,
      [requested.id],
    );
    expect(await find('profile=northwind-standard&msisdn=4917711')).toEqual(['4917711300']);
    expect(await find('profile=northwind-standard&profileVersion=1&msisdn=4917711')).toEqual(['4917711300']);
    expect(await find('profile=northwind-standard&profileVersion=99&msisdn=4917711')).toEqual([]);
    const listed = await readJson(await as('care', '/v1/subscribers?msisdn=4917711300'));
    expect(listed.subscribers[0].lastDelivered).toMatchObject({ profile: 'northwind-standard', version: 1 });
    expect(listed.subscribers[0].model).toBeNull();

    const refused = await as('care', '/v1/subscribers?profileVersion=1');
    expect((await expectError(refused, 400, 'VALIDATION_FAILED')).details.issues[0].field).toBe(
      'query.profileVersion',
    );
  });

  it('pages in a stable order with an opaque cursor, nextCursor null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: Response = await as(
        'care',
        `/v1/subscribers?msisdn=4917711&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = await readJson(response);
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.subscribers.length).toBeLessThanOrEqual(2);
      seen.push(...body.subscribers.map((s: { id: string }) => s.id));
      cursor = body.nextCursor;
      if (cursor) expect(cursor).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(seen);

    const bad = await as('care', '/v1/subscribers?cursor=bm90LWEtY3Vyc29y');
    expect((await expectError(bad, 400, 'VALIDATION_FAILED')).details.issues[0].field).toBe('query.cursor');
  });

  it('masks the IMSI for care everywhere; an admin reveals it with ?reveal=imsi, audited as such', async () => {
    const imsi = '262020000000012';
    const careList = await (await as('care', '/v1/subscribers?msisdn=4917711200')).text();
    const careView = await (await as('care', '/v1/subscribers/4917711200')).text();
    const adminList = await (await as('admin', '/v1/subscribers?msisdn=4917711200')).text();
    for (const text of [careList, careView, adminList]) {
      expect(text).not.toContain(imsi);
      expect(text).toContain('26202*******012');
    }
    await expectError(
      await as('care', '/v1/subscribers?msisdn=4917711200&reveal=imsi'),
      403,
      'REVEAL_FORBIDDEN',
    );
    await expectError(await as('care', '/v1/subscribers/4917711200?reveal=imsi'), 403, 'REVEAL_FORBIDDEN');
    const requested = await readJson(
      await as('care', '/v1/provisionings', {
        method: 'POST',
        json: { msisdn: '4917711200', reason: 'no data' },
      }),
    );
    expect(await (await as('care', `/v1/provisionings/${requested.id}`)).text()).not.toContain(imsi);
    // More digits than the mask shows would let care spell the IMSI out digit by digit.
    await expectError(await as('care', '/v1/subscribers?imsiPrefix=262020'), 403, 'IMSI_PREFIX_TOO_LONG');

    const revealed = await readJson(await as('admin', '/v1/subscribers?msisdn=4917711200&reveal=imsi'));
    expect(revealed.subscribers[0].imsi).toBe(imsi);
    const view = await readJson(await as('admin', '/v1/subscribers/4917711200?reveal=imsi'));
    expect(view.subscriber.imsi).toBe(imsi);

    const reads = await listAudit(api.store.db, { actor: 'test-admin' });
    const listRead = reads.find((entry) => entry.action === 'subscribers.list' && entry.details.revealed);
    expect(listRead?.details).toMatchObject({ revealed: 'imsi', count: 1 });
    expect(String(listRead?.details.reason)).toMatch(/IMSI in full/);
    const viewRead = reads.find((entry) => entry.action === 'subscribers.timeline' && entry.details.revealed);
    expect(viewRead?.subjectType).toBe('subscriber');
    const plain = reads.find((entry) => entry.action === 'subscribers.list' && !entry.details.revealed);
    expect(plain).toBeDefined();
    expect(JSON.stringify(reads)).not.toContain(imsi);
  });

  it('moves a subscriber to another group and ports its number (audited before/after); 409 for a taken number', async () => {
    const moved = await as('admin', '/v1/subscribers/4917711100', {
      method: 'PATCH',
      json: { group: 'corporate', msisdn: '+4917711199' },
    });
    const body = await readJson(moved);
    expect(moved.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ msisdn: '4917711199', group: 'corporate', imsi: '26202*******011' });
    expect((await as('care', '/v1/subscribers/4917711100')).status).toBe(404);
    expect((await readJson(await as('care', '/v1/subscribers/4917711199'))).subscriber.group).toBe(
      'corporate',
    );

    const [entry] = await listAudit(api.store.db, { action: 'subscribers.change', subjectId: body.id });
    expect(entry.details).toMatchObject({
      before: { group: 'default', msisdn: '4917711100' },
      after: { group: 'corporate', msisdn: '4917711199' },
    });

    const taken = await as('admin', '/v1/subscribers/4917711199', {
      method: 'PATCH',
      json: { msisdn: '4917711200' },
    });
    expect((await expectError(taken, 409, 'MSISDN_TAKEN')).details.field).toBe('body.msisdn');
    await expectError(
      await as('admin', '/v1/subscribers/4917711199', { method: 'PATCH', json: { group: 'nonesuch' } }),
      422,
      'UNKNOWN_GROUP',
    );
    await expectError(
      await as('admin', '/v1/subscribers/4917799999', { method: 'PATCH', json: { group: 'default' } }),
      404,
      'SUBSCRIBER_NOT_FOUND',
    );
    await expectError(
      await as('admin', '/v1/subscribers/4917711199', { method: 'PATCH', json: {} }),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(
      await as('care', '/v1/subscribers/4917711199', { method: 'PATCH', json: { group: 'default' } }),
      403,
      'FORBIDDEN',
    );
  });

  it('creates groups (409 when they exist) and retires only empty ones; default stays', async () => {
    const created = await as('admin', '/v1/groups', {
      method: 'POST',
      json: { name: 'trial', description: 'trial SIMs', policy: { priority: 5 } },
    });
    const group = await readJson(created);
    expect(created.status, JSON.stringify(group)).toBe(201);
    expect(group).toMatchObject({
      name: 'trial',
      subscribers: 0,
      policy: { priority: 5, confirmation: 'automatic' },
    });
    await expectError(
      await as('admin', '/v1/groups', { method: 'POST', json: { name: 'trial' } }),
      409,
      'GROUP_EXISTS',
    );

    await create({ imsi: '262030000000001', msisdn: '491780000001', group: 'trial' });
    const full = await expectError(
      await as('admin', '/v1/groups/trial', { method: 'DELETE' }),
      409,
      'GROUP_NOT_EMPTY',
    );
    expect(full.details.subscribers).toBe(1);
    await as('admin', '/v1/subscribers/491780000001', { method: 'PATCH', json: { group: 'default' } });
    const deleted = await as('admin', '/v1/groups/trial', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await readJson(deleted)).toMatchObject({ name: 'trial', deleted: true });
    const names = (await readJson(await as('admin', '/v1/groups'))).groups.map(
      (g: { name: string }) => g.name,
    );
    expect(names).not.toContain('trial');
    await expectError(await as('admin', '/v1/groups/trial', { method: 'DELETE' }), 404, 'GROUP_NOT_FOUND');
    await expectError(await as('admin', '/v1/groups/default', { method: 'DELETE' }), 409, 'GROUP_IS_DEFAULT');
  });

  it('keeps a retired seed group retired when the seeds run again at the next start, until an admin creates it', async () => {
    expect(await seedGroups(api.store.db, { veterans: DEFAULT_GROUP_POLICY })).toBe(1);
    expect((await as('admin', '/v1/groups/veterans', { method: 'DELETE' })).status).toBe(200);
    expect(await seedGroups(api.store.db, { veterans: DEFAULT_GROUP_POLICY })).toBe(0);
    const names = async () =>
      (await readJson(await as('admin', '/v1/groups'))).groups.map((g: { name: string }) => g.name);
    expect(await names()).not.toContain('veterans');
    const again = await as('admin', '/v1/groups', { method: 'POST', json: { name: 'veterans' } });
    expect(again.status).toBe(201);
    expect(await names()).toContain('veterans');
    await as('admin', '/v1/groups/veterans', { method: 'DELETE' });
    const put = await as('admin', '/v1/groups/veterans', { method: 'PUT', json: { policy: {} } });
    expect(put.status).toBe(200);
    expect(await seedGroups(api.store.db, { veterans: DEFAULT_GROUP_POLICY })).toBe(0);
    expect(await names()).toContain('veterans');
  });

  it('imports subscribers from CSV over HTTP: refused with line numbers (422), dry run, then applied', async () => {
    const upload = (csv: string, query = '') =>
      as('admin', `/v1/subscribers/import${query}`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: csv,
      });
    const good =
      'imsi,msisdn,group,imei\n262070000000001,491790000101,prepaid,\n262070000000002,491790000102,default,\n';
    const refused = await upload(good + '262070000000003,491790000101,default,\n');
    const error = await expectError(refused, 422, 'SUBSCRIBERS_REFUSED');
    expect(error.details.issues).toEqual([
      { line: 4, code: 'MSISDN_DUPLICATE', message: 'MSISDN 491790000101 is on line 2 too' },
    ]);
    expect((await readJson(await as('admin', '/v1/subscribers?msisdn=49179000010'))).subscribers).toEqual([]);

    const dry = await readJson(await upload(good, '?dryRun=true'));
    expect(dry).toMatchObject({ outcome: 'dry-run', subscribers: { added: 2 } });
    expect((await readJson(await as('admin', '/v1/subscribers?msisdn=49179000010'))).subscribers).toEqual([]);

    const applied = await upload(good, '?source=base-2026.csv');
    expect(await readJson(applied)).toMatchObject({
      outcome: 'applied',
      lines: 2,
      subscribers: { added: 2 },
    });
    const listed = await readJson(await as('admin', '/v1/subscribers?msisdn=49179000010'));
    expect(listed.subscribers.map((s: { group: string }) => s.group).sort()).toEqual(['default', 'prepaid']);
    const [entry] = await listAudit(api.store.db, {
      action: 'subscribers.import',
      subjectId: 'base-2026.csv',
    });
    expect(entry).toMatchObject({ actor: 'test-admin', outcome: 'ok' });
    await expectError(
      await as('care', '/v1/subscribers/import', {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: good,
      }),
      403,
      'FORBIDDEN',
    );
  });

  it("applies the new group's policy from the next request on: moved to an ask-first group, a dial request awaits confirmation", async () => {
    await create({ imsi: '262040000000001', msisdn: '491790000001', group: 'default' });
    const dial = () =>
      as('network', '/v1/triggers/dial-request', { method: 'POST', json: { msisdn: '491790000001' } });
    const before = await readJson(await dial());
    expect(before.outcome).toBe('queued');

    const group = await as('admin', '/v1/groups', {
      method: 'POST',
      json: { name: 'asks-first', policy: { confirmation: 'ask-first', confirmFor: ['first-use', 'dial'] } },
    });
    expect(group.status, JSON.stringify(await readJson(group.clone()))).toBe(201);
    const moved = await as('admin', '/v1/subscribers/491790000001', {
      method: 'PATCH',
      json: { group: 'asks-first' },
    });
    expect(moved.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the harness caches policies for 50 ms

    const after = await dial();
    const outcome = await readJson(after);
    expect(after.status, JSON.stringify(outcome)).toBe(202);
    expect(outcome.outcome).toBe('awaiting-confirmation');
  });
});
