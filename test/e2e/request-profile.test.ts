/** A care request naming a profile (by name or id) is pinned to that profile's latest version. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getVersion, listProfiles, saveVersion } from '../../src/profiles/repository.ts';
import { FULL_INPUT } from '../profiles/sample-parameters.ts';
import { describeEachStore } from '../support/stores.ts';
import { startHarness, uniqueSubscriber, type Harness } from '../provisioning/harness.ts';

describeEachStore('a request for a profile (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { workers: 0 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("pins the profile's latest version, found by name or id; an unknown profile is PROFILE_NOT_FOUND", async () => {
    const [found] = await listProfiles(h.store.db);
    const profile = found.name;
    await saveVersion(h.store.db, found.id, { parameters: FULL_INPUT, createdBy: 'test' });
    const latest = (await getVersion(h.store.db, found.id))!;
    expect(latest.version).toBeGreaterThan(1);
    const request = async (profileId: string) => {
      const subscriber = uniqueSubscriber();
      await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2)`, [
        subscriber.imsi,
        subscriber.msisdn,
      ]);
      return h.service.request({
        msisdn: subscriber.msisdn,
        profileId,
        reason: 'test',
        source: 'care',
        actor: { name: 'agent' },
      });
    };
    expect((await request(profile)).profileVersionId).toBe(latest.id);
    expect((await request(found.id)).profileVersionId).toBe(latest.id);
    await expect(request('no-such-profile')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    await expect(request('00000000-0000-4000-8000-000000000001')).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
    });
  });
});
