/**
 * The feeder's target updates and a cancel at the same moment (PostgreSQL, real concurrent transactions):
 * both lock a campaign's targets in one order, so they never deadlock (40P01, logged once per benchmark
 * run before: the bench cancels its campaign while the feeder links a round of targets), and a target
 * whose push was requested just before the cancel keeps its push instead of being counted skipped.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { linkTargets } from '../../src/campaigns/repository.ts';
import { lockProvisionings } from '../../src/provisioning/repository.ts';
import { readJson, startApi, type ApiHarness } from '../http/support/api-harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { seedBase } from './base.ts';

const COUNT = 3000;
const PREFIX = '49153';
const GROUPS = ['default', 'postpaid', 'corporate'] as const;
const PROFILE = 'northwind-standard';
const ROUNDS = 6;

describeEachStore('campaign targets: the feeder and a cancel at once (%s)', (kind) => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true });
    await seedBase(api.store.db, { count: COUNT, prefix: PREFIX, groups: GROUPS, profile: PROFILE });
  }, 60_000);
  afterAll(async () => api?.close());

  const post = async (path: string, json?: unknown): Promise<Record<string, unknown>> => {
    const response = await api.fetch(path, { method: 'POST', key: api.keys.admin, json });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBeLessThan(300);
    return body;
  };

  /** A running campaign over the whole base, and a provisioning for each of its pending targets. */
  async function startedWithPushes(): Promise<{
    id: string;
    links: Array<{ subscriberId: string; provisioningId: string }>;
  }> {
    const draft = await post('/v1/campaigns', {
      name: 'locks',
      selector: { msisdnPrefix: PREFIX },
      content: { kind: 'profile', profile: PROFILE },
    });
    const id = draft.id as string;
    await post(`/v1/campaigns/${id}/start`);
    // As the feeder's requests leave them: one queued provisioning per target, not linked yet.
    const rows = await api.store.db.query<{ subscriber_id: string; id: string }>(
      `INSERT INTO provisionings (subscriber_id, source, actor, state, idempotency_key, campaign_id)
       SELECT t.subscriber_id, 'campaign', 'test', 'queued', 'campaign.' || t.campaign_id || '.' || t.subscriber_id,
              t.campaign_id
         FROM campaign_targets t WHERE t.campaign_id = $1 AND t.state = 'pending'
       RETURNING subscriber_id, id`,
      [id],
    );
    // In the reverse of the feed order, the order a hash join may take as well.
    const links = rows
      .map((row) => ({ subscriberId: row.subscriber_id, provisioningId: row.id }))
      .sort((a, b) => (a.subscriberId < b.subscriberId ? 1 : -1));
    return { id, links };
  }

  it('links and cancels at once without a deadlock, and every requested push stays counted', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { id, links } = await startedWithPushes();
      // Three link statements (feeder rounds) race the cancel, as in the benchmark's last second.
      const thirds = [0, 1, 2].map((part) => links.filter((_, index) => index % 3 === part));
      const outcomes = await Promise.allSettled([
        ...thirds.map((part) => linkTargets(api.store.db, id, part)),
        api
          .fetch(`/v1/campaigns/${id}/cancel`, { method: 'POST', key: api.keys.admin })
          .then(async (response) => {
            expect(response.status, JSON.stringify(await readJson(response))).toBe(200);
          }),
      ]);
      const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);
      // Every target's push was requested before the cancel took effect or while it ran: each is linked
      // and queued, none counted skipped while its push goes out.
      const counts = await api.store.db.query<{ state: string; linked: boolean; count: number }>(
        `SELECT state, provisioning_id IS NOT NULL AS linked, count(*)::int AS count FROM campaign_targets
          WHERE campaign_id = $1 AND coalesce(skip_reason, '') NOT IN ('NO_HANDSET', 'FORMAT_NONE')
          GROUP BY 1, 2`,
        [id],
      );
      expect(counts).toEqual([{ state: 'queued', linked: true, count: links.length }]);
      const campaign = await readJson(await api.fetch(`/v1/campaigns/${id}`, { key: api.keys.admin }));
      expect(campaign.state).toBe('cancelled');
    }
  }, 120_000);

  it('links while workers lock the same provisionings in batches (FOR UPDATE in id order) without a deadlock', async () => {
    const { id, links } = await startedWithPushes();
    const ids = links.map((link) => link.provisioningId).sort();
    // Worker batches: 50 provisionings each, locked in id order and held a moment, as a batch's
    // transitions are; the feeder links them all at once meanwhile, in the targets' order.
    const batches = Array.from({ length: Math.ceil(ids.length / 50) }, (_, index) =>
      ids.filter((_, at) => at % Math.ceil(ids.length / 50) === index),
    );
    const outcomes = await Promise.allSettled([
      linkTargets(api.store.db, id, links),
      ...batches.map((batch) =>
        api.store.db.transaction(async (tx) => {
          await lockProvisionings(tx, batch);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      ),
    ]);
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);
    const [linked] = await api.store.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM campaign_targets WHERE campaign_id = $1 AND provisioning_id IS NOT NULL`,
      [id],
    );
    expect(linked!.count).toBe(links.length);
    await api.fetch(`/v1/campaigns/${id}/cancel`, { method: 'POST', key: api.keys.admin });
  }, 60_000);
});
