/**
 * "Affected by version N" by the selection rules (issue 12), on both stores: besides the subscribers whose
 * last delivered version of the profile is older than N, the campaign selects those the rules as they are
 * now would give the profile and who never had it delivered. The expected sets come from the worker's own
 * selectProfile over the stored rules and the base's handsets, not from SQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProfile, createRule, listRules } from '../../src/profiles/repository.ts';
import { selectProfile } from '../../src/profiles/rules.ts';
import { readJson, startApi, type ApiHarness, type LooseJson } from '../http/support/api-harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { baseSubscribers, countBy, seedBase, type BaseSubscriber } from './base.ts';

const COUNT = 1200;
const PREFIX = '49152';
const GROUPS = ['default', 'postpaid', 'corporate'] as const;
const STANDARD = 'northwind-standard';
const LTE = 'northwind-lte';
/** By floor(n / 10): the handset's firmware (null: unknown), so every model meets every firmware. */
const FIRMWARES = [
  '5.02',
  'V 5.10',
  '5.1.0',
  '10.1',
  null,
  '005.9',
  'R3A011',
  'abc',
  '5.10.0.1',
  '6',
  '4.39',
];
const UNSUPPORTED: Record<string, string> = { '(no handset)': 'NO_HANDSET', 'Nokia 3310': 'FORMAT_NONE' };

/** The device the worker resolves for each model of base.ts (manufacturer, model; '' when none). */
const DEVICE: Record<string, { manufacturer: string; model: string }> = {
  'Nokia N95': { manufacturer: 'Nokia', model: 'N95' },
  'Nokia 6230i': { manufacturer: 'Nokia', model: '6230i' },
  'Nokia 6610': { manufacturer: 'Nokia', model: '6610' },
  'Nokia 3310': { manufacturer: 'Nokia', model: '3310' },
  'Sony Ericsson K750i': { manufacturer: 'Sony Ericsson', model: 'K750i' },
  '(not in the catalogue)': { manufacturer: '', model: '' },
};

const firmwareOf = (subscriber: BaseSubscriber): string | null =>
  FIRMWARES[Math.floor(subscriber.n / 10) % FIRMWARES.length]!;

describeEachStore('campaigns: affected by version N, by the selection rules (%s)', (kind) => {
  let api: ApiHarness;
  let lteId: string;
  let standardId: string;
  const base = baseSubscribers(COUNT, PREFIX, GROUPS);

  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true });
    const db = api.store.db;
    await seedBase(db, { count: COUNT, prefix: PREFIX, groups: GROUPS, profile: STANDARD });
    await db.query(
      `UPDATE subscribers SET firmware_version = ($1::text[])[1 + (substr(msisdn, 6)::int / 10) % $2::int]
        WHERE msisdn LIKE $3`,
      [FIRMWARES, FIRMWARES.length, `${PREFIX}%`],
    );
    const [standard] = (await listRules(db)).filter((rule) => rule.priority === 1000);
    standardId = standard!.profileId;
    const lte = await createProfile(db, {
      name: LTE,
      parameters: { name: 'Northwind LTE', connections: [{ id: 'NW', bearer: 'GPRS', apn: 'lte' }] },
      createdBy: 'test',
    });
    lteId = lte.profile.id;
    // New rules move some handsets to the LTE profile: every N95, a 6230i from firmware 5.10 on, and a
    // postpaid K750i up to firmware 5.10 (inclusive bounds, compared as compareFirmware does).
    await createRule(db, { priority: 10, model: 'n95 ', profileId: lteId, createdBy: 'test' });
    await createRule(db, {
      priority: 10,
      manufacturer: 'NOKIA',
      model: '6230i',
      firmwareMin: '5.10',
      profileId: lteId,
      createdBy: 'test',
    });
    await createRule(db, {
      priority: 20,
      model: 'K750i',
      group: 'postpaid',
      firmwareMax: '5.10',
      profileId: lteId,
      createdBy: 'test',
    });
    // Earlier in the order and more specific: these 6230i stay on the standard profile.
    await createRule(db, {
      priority: 5,
      model: '6230i',
      firmwareMin: '10',
      profileId: standardId,
      createdBy: 'test',
    });
  }, 60_000);
  afterAll(async () => api?.close());

  /** Who the worker's selectProfile gives `profileId` now, as the campaign must find them. */
  async function pickedByRules(profileId: string): Promise<BaseSubscriber[]> {
    const rules = await listRules(api.store.db, { enabledOnly: true });
    return base.filter((subscriber) => {
      const device = DEVICE[subscriber.model];
      if (!device) return false; // no handset: the worker selects nothing
      const firmware = firmwareOf(subscriber);
      const rule = selectProfile(rules, {
        ...device,
        firmware: firmware ?? undefined,
        group: subscriber.group,
      });
      return rule?.profileId === profileId;
    });
  }

  const create = async (document: Record<string, unknown>): Promise<LooseJson> => {
    const response = await api.fetch('/v1/campaigns', {
      method: 'POST',
      key: api.keys.admin,
      json: { name: 'rules', ...document },
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    return body;
  };

  function expectPreview(preview: LooseJson, selected: readonly BaseSubscriber[]): void {
    const unsupported = selected.filter((subscriber) => UNSUPPORTED[subscriber.model] !== undefined);
    expect(preview.subscribers).toBe(selected.length);
    expect(preview.pushes).toBe(selected.length - unsupported.length);
    expect(preview.unsupported.count).toBe(unsupported.length);
    const asMap = (entries: Array<{ key: string; count: number }>): Map<string, number> =>
      new Map(entries.map((entry) => [entry.key, entry.count]));
    expect(asMap(preview.byModel)).toEqual(countBy(selected, (subscriber) => subscriber.model));
    expect(asMap(preview.byGroup)).toEqual(countBy(selected, (subscriber) => subscriber.group));
  }

  async function targetsOf(campaignId: string): Promise<string[]> {
    const started = await api.fetch(`/v1/campaigns/${campaignId}/start`, {
      method: 'POST',
      key: api.keys.admin,
    });
    expect(started.status).toBe(200);
    const rows = await api.store.db.query<{ msisdn: string }>(
      `SELECT s.msisdn FROM campaign_targets t JOIN subscribers s ON s.id = t.subscriber_id
        WHERE t.campaign_id = $1 ORDER BY s.msisdn`,
      [campaignId],
    );
    await api.fetch(`/v1/campaigns/${campaignId}/cancel`, { method: 'POST', key: api.keys.admin });
    return rows.map((row) => row.msisdn);
  }

  it('selects the subscribers on another profile whose handset a new rule moves to this one, exactly', async () => {
    const expected = await pickedByRules(lteId);
    // Nobody ever had the LTE profile: every one of them is selected by the rules alone.
    const draft = await create({ selector: { profile: LTE }, content: { kind: 'profile', profile: LTE } });
    expectPreview(draft.preview, expected);
    expect(await targetsOf(draft.id)).toEqual(expected.map((subscriber) => subscriber.msisdn).sort());

    // What the rules say, case by case: the subscribers are on the standard profile today.
    const models = countBy(expected, (subscriber) => subscriber.model);
    expect(models.get('Nokia N95')).toBe(base.filter((s) => s.model === 'Nokia N95').length);
    const moved6230i = expected.filter((subscriber) => subscriber.model === 'Nokia 6230i');
    expect(moved6230i.map(firmwareOf).sort()).toEqual(expect.arrayContaining(['V 5.10', '5.10.0.1', '6']));
    for (const firmware of moved6230i.map(firmwareOf)) {
      expect(['V 5.10', '5.10.0.1', '6']).toContain(firmware);
    }
    const k750i = expected.filter((subscriber) => subscriber.model === 'Sony Ericsson K750i');
    expect(k750i.length).toBeGreaterThan(0);
    for (const subscriber of k750i) {
      expect(subscriber.group).toBe('postpaid');
      expect(['5.02', 'V 5.10', '5.1.0', '005.9', 'R3A011', 'abc', '4.39']).toContain(firmwareOf(subscriber));
    }
    expect(expected.some((subscriber) => subscriber.deliveredVersion !== null)).toBe(true);
  });

  it('keeps the history part and leaves out those the rules keep elsewhere', async () => {
    // Standard version 3: last delivered below 3, or never had it and the rules (catch-all, after the
    // new ones and the corporate group's) give it now.
    const picked = await pickedByRules(standardId);
    const expected = base.filter(
      (subscriber) =>
        (subscriber.deliveredVersion !== null && subscriber.deliveredVersion < 3) ||
        (subscriber.deliveredVersion === null && picked.includes(subscriber)),
    );
    const draft = await create({
      selector: { profile: STANDARD, versions: { below: 3 } },
      content: { kind: 'profile', profile: STANDARD },
    });
    expectPreview(draft.preview, expected);
    // never provisioned N95 owners now go to LTE, corporate ones to the corporate profile: not selected
    const selected = new Set(await targetsOf(draft.id));
    expect(selected).toEqual(new Set(expected.map((subscriber) => subscriber.msisdn)));
    const neverN95 = base.filter((s) => s.deliveredVersion === null && s.model === 'Nokia N95');
    expect(neverN95.length).toBeGreaterThan(0);
    for (const subscriber of neverN95) expect(selected.has(subscriber.msisdn)).toBe(false);
    // (but a 6230i from firmware 10 on: the priority-5 rule gives it the standard profile in any group)
    const neverCorporate = base.filter(
      (s) => s.deliveredVersion === null && s.group === 'corporate' && s.model !== 'Nokia 6230i',
    );
    expect(neverCorporate.length).toBeGreaterThan(0);
    for (const subscriber of neverCorporate) expect(selected.has(subscriber.msisdn)).toBe(false);
    // A list of versions is that list only: the rules take no part.
    const listed = await create({
      selector: { profile: STANDARD, versions: [1] },
      content: { kind: 'profile', profile: STANDARD },
    });
    expectPreview(
      listed.preview,
      base.filter((subscriber) => subscriber.deliveredVersion === 1),
    );
  });

  it('takes the rules of the moment: a rule disabled after the draft is not in the target list', async () => {
    const draft = await create({ selector: { profile: LTE }, content: { kind: 'profile', profile: LTE } });
    const n95Rule = (await listRules(api.store.db)).find((rule) => rule.model === 'n95 ')!;
    await api.store.db.query(`UPDATE profile_rules SET enabled = false WHERE id = $1`, [n95Rule.id]);
    try {
      const expected = await pickedByRules(lteId);
      expect(expected.some((subscriber) => subscriber.model === 'Nokia N95')).toBe(false);
      expect(await targetsOf(draft.id)).toEqual(expected.map((subscriber) => subscriber.msisdn).sort());
    } finally {
      await api.store.db.query(`UPDATE profile_rules SET enabled = true WHERE id = $1`, [n95Rule.id]);
    }
  });
});
