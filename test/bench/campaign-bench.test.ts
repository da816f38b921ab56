import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignDocument, parseCampaignBenchArgs, processMemoryMb } from '../../bench/campaign.ts';
import {
  CAMPAIGN_PROFILE,
  campaignSubscriber,
  defaultGroupCount,
  seedCampaignBase,
} from '../../bench/support/campaign-base.ts';
import { MODELS } from '../../bench/support/mix.ts';
import { loadConfig } from '../../src/config.ts';
import { parseImei } from '../../src/devices/imei.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.ts';

describe('bench:campaign arguments', () => {
  it('runs a million subscribers for 60 s at 500/s by default, and --quick a smoke run', () => {
    expect(parseCampaignBenchArgs([])).toMatchObject({
      quick: false,
      base: 1_000_000,
      seconds: 60,
      tps: 500,
    });
    expect(parseCampaignBenchArgs(['--quick'])).toMatchObject({ quick: true, base: 100_000, seconds: 20 });
    expect(parseCampaignBenchArgs(['--quick', '--base', '2000', '--tps', '50', '--json'])).toMatchObject({
      base: 2000,
      tps: 50,
      json: true,
    });
  });

  it('refuses what is not a positive number, and unknown options', () => {
    expect(() => parseCampaignBenchArgs(['--base', '1e3.5'])).toThrow(/--base/);
    expect(() => parseCampaignBenchArgs(['--base', '0'])).toThrow(/--base/);
    expect(() => parseCampaignBenchArgs(['--tps', 'fast'])).toThrow(/--tps/);
    expect(() => parseCampaignBenchArgs(['--subscribers', '5'])).toThrow();
  });

  it('posts a campaign for group default affected by version 2, paced as asked', () => {
    expect(campaignDocument(120)).toMatchObject({
      selector: { profile: CAMPAIGN_PROFILE, versions: { below: 2 }, groups: ['default'] },
      content: { kind: 'profile', profile: CAMPAIGN_PROFILE, version: 2 },
      pacing: { tps: 120 },
    });
  });

  it("reads a process's memory from /proc", () => {
    const { rssMb, hwmMb } = processMemoryMb(process.pid);
    expect(rssMb).toBeGreaterThan(10);
    expect(hwmMb).toBeGreaterThanOrEqual(rssMb);
  });
});

const COUNT = 2000;

describeEachStore('bench:campaign subscriber base on %s (2,000 subscribers)', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(kind);
    await seedAll(store.db, loadConfig({ env: {} }));
    await seedCampaignBase(store.db, COUNT);
  }, 60_000);
  afterAll(async () => {
    await store?.dispose();
  });

  it('writes every subscriber once, in its group, with a catalogued handset of the mix', async () => {
    const groups = await store.db.query<{ group_name: string; n: string; models: string }>(
      `SELECT s.group_name, count(*)::text AS n, count(DISTINCT p.device_model_id)::text AS models
       FROM subscribers s JOIN provisionings p ON p.subscriber_id = s.id
       WHERE s.msisdn LIKE '998%' GROUP BY s.group_name ORDER BY s.group_name`,
    );
    expect(groups).toEqual([
      { group_name: 'corporate', n: String(COUNT - defaultGroupCount(COUNT)), models: expect.any(String) },
      { group_name: 'default', n: String(defaultGroupCount(COUNT)), models: String(MODELS.length) },
    ]);
    const first = campaignSubscriber(1);
    const one = await store.db.query<{ imsi: string; group_name: string }>(
      'SELECT imsi, group_name FROM subscribers WHERE msisdn = $1',
      [first.msisdn],
    );
    expect(one).toEqual([{ imsi: first.imsi, group_name: first.group }]);
    const unknownHandset = await store.db.query(
      `SELECT 1 FROM provisionings WHERE actor = 'bench-campaign-base' AND device_model_id IS NULL`,
    );
    expect(unknownHandset).toHaveLength(0);
  });

  it('gives every handset a valid IMEI (the Luhn check digit the gateway checks)', async () => {
    const imeis = await store.db.query<{ current_imei: string }>(
      "SELECT current_imei FROM subscribers WHERE msisdn LIKE '998%'",
    );
    expect(imeis).toHaveLength(COUNT);
    const invalid = imeis.filter(({ current_imei: imei }) => !parseImei(imei).ok);
    expect(invalid.map(({ current_imei: imei }) => imei)).toEqual([]);
  });

  it('gives each one version 1 of the profile, delivered, with its timeline, segment and audit entry', async () => {
    const rows = await store.db.query<Record<string, string>>(
      `SELECT (SELECT latest_version::text FROM profiles WHERE name = $1) AS latest,
              (SELECT count(*)::text FROM provisionings p JOIN profile_versions v ON v.id = p.profile_version_id
                 JOIN profiles pr ON pr.id = v.profile_id
               WHERE pr.name = $1 AND v.version = 1 AND p.state = 'delivered') AS delivered_v1,
              (SELECT count(*)::text FROM provisioning_events e JOIN provisionings p ON p.id = e.provisioning_id
               WHERE p.actor = 'bench-campaign-base') AS events,
              (SELECT count(*)::text FROM segments s JOIN provisionings p ON p.id = s.provisioning_id
               WHERE p.actor = 'bench-campaign-base' AND s.receipt_state = 'DELIVRD') AS segments,
              (SELECT count(*)::text FROM audit_log WHERE actor = 'bench-campaign-base') AS audit`,
      [CAMPAIGN_PROFILE],
    );
    expect(rows[0]).toEqual({
      latest: '2',
      delivered_v1: String(COUNT),
      events: String(COUNT * 5),
      segments: String(COUNT),
      audit: String(COUNT),
    });
  });
});
