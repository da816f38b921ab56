/**
 * Campaigns over the whole pipeline on both stores (real Redis, the SMSC simulator over real SMPP):
 * 2,000 subscribers of several models and groups run to the end with one push per handset and the
 * preview's figures sent; the rate held within 10% at the simulator; pause and resume; the breaker;
 * live first-use triggers ahead of the campaign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbKind } from '../../src/store/db.ts';
import { imeiWith, TAC, uniqueSubscriber } from '../provisioning/harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { baseSubscribers } from './base.ts';
import { ADMIN, GROUPS, pushesPerHandset, startCampaignRun, type CampaignRun } from './run-harness.ts';

const COUNT = 2000;

async function campaignProvisionings(
  run: CampaignRun,
  id: string,
): Promise<Array<{ state: string; segment_count: number | null; msisdn: string; created_at: Date }>> {
  return run.harness.store.db.query(
    `SELECT p.state, p.segment_count, s.msisdn, p.created_at FROM provisionings p
       JOIN subscribers s ON s.id = p.subscriber_id WHERE p.campaign_id = $1`,
    [id],
  );
}

/** SMS per second between the first and the last of these times, leaving out the first second. */
function steadyRate(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const from = sorted[0]! + 1_000;
  const measured = sorted.filter((time) => time >= from);
  const seconds = (measured[measured.length - 1]! - from) / 1000;
  return measured.length / seconds;
}

function runTests(kind: DbKind): void {
  describe('a campaign over 2,000 subscribers', () => {
    let run: CampaignRun;
    const prefix = kind === 'pg' ? '49162' : '49161';
    const base = baseSubscribers(COUNT, prefix, GROUPS);

    beforeAll(async () => {
      run = await startCampaignRun(kind, {
        count: COUNT,
        prefix,
        harness: { provisioning: { workerConcurrency: 50 } },
      });
    }, 60_000);
    afterAll(async () => run?.close());

    it('sends one push to every supported handset, exactly the pushes and SMS previewed, and completes', async () => {
      const id = await run.create({ selector: { groups: [...GROUPS] }, pacing: { tps: 3000 } });
      const draft = await run.campaigns.get(id);
      expect(draft.preview.subscribers).toBe(COUNT);
      await run.campaigns.start(id, ADMIN);
      // 1,400 pushes through one PGlite connection on a shared machine: minutes, not seconds.
      const done = await run.waitForState(id, ['completed'], 240_000);
      const { preview } = done;
      expect(done.counts).toMatchObject({
        selected: COUNT,
        delivered: preview.pushes,
        skipped: preview.unsupported.count,
        remaining: 0,
        queued: 0,
        submitted: 0,
        failed: 0,
      });
      expect(done.counts.skippedByReason).toEqual(preview.unsupported.reasons);
      const rows = await campaignProvisionings(run, id);
      expect(rows).toHaveLength(preview.pushes);
      expect(rows.reduce((sum, row) => sum + row.segment_count!, 0)).toBe(preview.segments);
      const numbers = base.map((subscriber) => subscriber.msisdn);
      expect(run.pushSegments(new Set(numbers))).toHaveLength(preview.segments);
      const perHandset = pushesPerHandset(run.harness, numbers);
      const supported = new Set(rows.map((row) => row.msisdn));
      for (const [msisdn, pushes] of perHandset) expect(pushes, msisdn).toBe(supported.has(msisdn) ? 1 : 0);
      const events = run.harness.seen.filter((event) => event.type === 'campaign.state');
      expect(events.map((event) => event.type === 'campaign.state' && event.to)).toEqual([
        'running',
        'completed',
      ]);
      expect(run.harness.seen.some((event) => event.type === 'campaign.progress')).toBe(true);
      // Started again, nothing is left to send: the target list is the campaign's own.
      await expect(run.campaigns.start(id, ADMIN)).rejects.toMatchObject({ code: 'CAMPAIGN_STATE_CONFLICT' });
    }, 300_000);
  });

  describe('pacing, pause and resume', () => {
    let run: CampaignRun;
    const prefix = kind === 'pg' ? '49164' : '49163';
    const base = baseSubscribers(600, prefix, GROUPS);
    const n95 = new Set(
      base
        .filter((subscriber) => subscriber.model === 'Nokia N95' && subscriber.group === 'default')
        .map((subscriber) => subscriber.msisdn),
    );

    beforeAll(async () => {
      run = await startCampaignRun(kind, { count: 600, prefix });
    }, 60_000);
    afterAll(async () => run?.close());

    it('holds the SMS rate within 10% of the tps given (submit times at the simulator), pauses and resumes', async () => {
      // Low enough that a PGlite pipeline on a busy shared machine keeps up: the feeder's pace is tested.
      const tps = 30;
      const id = await run.create({ selector: { models: ['N95'], groups: ['default'] }, pacing: { tps } });
      await run.campaigns.start(id, ADMIN);
      // Long enough that one push more or less (7 SMS) is a few per cent of what is measured.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      await run.campaigns.pause(id, ADMIN, 'operator asked');
      const paused = await run.waitForState(id, ['paused']);
      expect(paused.stateReason).toEqual({ reason: 'operator asked' });
      const times = run.pushSegments(n95).map((segment) => segment.receivedAt);
      const rate = steadyRate(times);
      expect(rate).toBeGreaterThan(tps * 0.9);
      expect(rate).toBeLessThan(tps * 1.1);

      // Paused: what was queued goes out, then nothing more.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const atPause = (await campaignProvisionings(run, id)).length;
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect((await campaignProvisionings(run, id)).length).toBe(atPause);
      const status = await run.campaigns.get(id);
      expect(status.counts.remaining).toBeGreaterThan(0);

      await run.campaigns.resume(id, ADMIN);
      const done = await run.waitForState(id, ['completed'], 30_000);
      expect(done.counts.delivered).toBe(n95.size);
      for (const [msisdn, pushes] of pushesPerHandset(run.harness, [...n95])) expect(pushes, msisdn).toBe(1);
    }, 60_000);
  });

  describe('software download and campaign hours', () => {
    let run: CampaignRun;
    const prefix = kind === 'pg' ? '49172' : '49171';
    const base = baseSubscribers(300, prefix, GROUPS);

    beforeAll(async () => {
      run = await startCampaignRun(kind, { count: 300, prefix });
    }, 60_000);
    afterAll(async () => run?.close());

    it('sends an SL push to every handset of a model, which the virtual handset decodes', async () => {
      const href = 'http://example.com/firmware/6230i.jad';
      const id = await run.create({
        selector: { models: ['Nokia 6230i'] },
        content: { kind: 'sl', href, action: 'execute-low' },
        pacing: { tps: 500 },
      });
      await run.campaigns.start(id, ADMIN);
      const done = await run.waitForState(id, ['completed'], 30_000);
      const owners = base.filter((subscriber) => subscriber.model === 'Nokia 6230i');
      expect(done.counts.delivered).toBe(owners.length);
      for (const owner of owners) {
        const pushes = run.harness.sim.handset(owner.msisdn).pushes();
        expect(pushes, owner.msisdn).toHaveLength(1);
        expect(pushes[0]!.xml).toContain(href);
        expect(pushes[0]!.xml).toContain('execute-low');
      }
    }, 60_000);

    it('feeds only the groups whose campaign hours are open in their own time zone', async () => {
      const hour = new Date().getUTCHours();
      const at = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
      const id = await run.create({
        selector: { groups: ['default', 'postpaid'], models: ['N95'] },
        pacing: { tps: 500 },
        window: { start: at(hour), end: at(hour + 2) },
      });
      await run.campaigns.start(id, ADMIN);
      const inUtc = base.filter(
        (subscriber) => subscriber.model === 'Nokia N95' && subscriber.group === 'default',
      );
      const deadline = Date.now() + 20_000;
      while ((await run.campaigns.get(id)).counts.delivered < inUtc.length && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const status = await run.campaigns.get(id);
      expect(status.state).toBe('running');
      expect(status.counts.delivered).toBe(inUtc.length);
      const pending = base.filter(
        (subscriber) => subscriber.model === 'Nokia N95' && subscriber.group === 'postpaid',
      );
      expect(status.counts.remaining).toBe(pending.length);
      const groups = await run.harness.store.db.query<{ group_name: string }>(
        `SELECT DISTINCT s.group_name FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
          WHERE p.campaign_id = $1`,
        [id],
      );
      expect(groups).toEqual([{ group_name: 'default' }]);
      await run.campaigns.cancel(id, ADMIN);
    }, 60_000);
  });

  describe('breaker', () => {
    let run: CampaignRun;
    const prefix = kind === 'pg' ? '49166' : '49165';

    beforeAll(async () => {
      run = await startCampaignRun(kind, {
        count: 600,
        prefix,
        harness: { behaviour: { receiptOutcomeMix: { UNDELIV: 30 } } },
      });
    }, 60_000);
    afterAll(async () => run?.close());

    it('pauses as breaker-paused when 30% of the receipts are UNDELIV, recording why', async () => {
      const id = await run.create({
        selector: { models: ['N95', '6230i'] },
        pacing: { tps: 400 },
        // The simulator's 30% lands on about a quarter of these pushes: a threshold clearly below it.
        breaker: { threshold: 0.15, window: 50 },
      });
      await run.campaigns.start(id, ADMIN);
      const tripped = await run.waitForState(id, ['breaker-paused', 'completed'], 30_000);
      expect(tripped.state).toBe('breaker-paused');
      expect(tripped.stateReason).toMatchObject({ window: 50, threshold: 0.15, finished: 50 });
      expect(tripped.stateReason!.failureRate as number).toBeGreaterThan(0.15);
      expect(tripped.stateReason!.codes).toHaveProperty('SMSC_UNDELIV');
      expect(tripped.counts.remaining).toBeGreaterThan(0);
      const audit = await run.harness.store.db.query<{ actor: string; action: string }>(
        `SELECT actor, action FROM audit_log WHERE subject_type = 'campaign' AND subject_id = $1`,
        [id],
      );
      expect(audit).toEqual([{ actor: 'campaign-feeder', action: 'campaign.breaker' }]);
      // Resumed, the breaker counts afresh from the resume.
      run.harness.sim.setBehaviour({ receiptOutcomeMix: {} });
      await run.campaigns.resume(id, ADMIN);
      const done = await run.waitForState(id, ['completed', 'breaker-paused'], 30_000);
      expect(done.state).toBe('completed');
    }, 60_000);
  });

  describe('live traffic first', () => {
    let run: CampaignRun;
    const prefix = kind === 'pg' ? '49168' : '49167';

    beforeAll(async () => {
      run = await startCampaignRun(kind, {
        count: 600,
        prefix,
        // One push at a time, slowly: the campaign's jobs wait in the queue.
        harness: { provisioning: { workerConcurrency: 1 }, behaviour: { responseDelayMs: 30 } },
      });
    }, 60_000);
    afterAll(async () => run?.close());

    it('sends a first-use push ahead of the campaign pushes already waiting', async () => {
      const id = await run.create({ selector: { models: ['N95'] }, pacing: { tps: 1000 } });
      await run.campaigns.start(id, ADMIN);
      const waiting = async (): Promise<number> => (await run.harness.queue.counts()).prioritized ?? 0;
      const deadline = Date.now() + 10_000;
      while ((await waiting()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await waiting()).toBeGreaterThanOrEqual(10);
      const live = uniqueSubscriber();
      const triggered = Date.now();
      const result = await run.harness.service.requestFirstUse(
        { imsi: live.imsi, msisdn: live.msisdn, imei: imeiWith(TAC.nokiaN95, 4242) },
        { name: 'network', role: 'network' },
      );
      expect(result.outcome).toBe('queued');
      await run.harness.waitForState(result.provisioningId!, ['delivered'], 20_000);
      const firstLive = run.harness.sim
        .submitted()
        .find((segment) => segment.destinationAddr === live.msisdn)!;
      // Campaign pushes that went out between the trigger and the live push: at most the one the
      // single worker had in hand (its segments).
      const campaignNumbers = new Set((await campaignProvisionings(run, id)).map((row) => row.msisdn));
      const overtaking = new Set(
        run
          .pushSegments(campaignNumbers)
          .filter((segment) => segment.receivedAt >= triggered && segment.receivedAt < firstLive.receivedAt)
          .map((segment) => segment.destinationAddr),
      );
      expect(overtaking.size).toBeLessThanOrEqual(1);
      await run.campaigns.cancel(id, ADMIN);
    }, 60_000);

    it('feeds nothing while more live jobs wait than the yield depth (200)', async () => {
      // 500 live jobs for one slow worker: the queue stays deeper than 200 for seconds.
      const callers = baseSubscribers(600, prefix, GROUPS).slice(0, 500);
      for (let start = 0; start < callers.length; start += 10) {
        await Promise.all(
          callers.slice(start, start + 10).map((caller) =>
            run.harness.service.request({
              msisdn: caller.msisdn,
              source: 'dial',
              reason: 'the subscriber called the IVR',
              actor: { name: 'ivr', role: 'network' },
            }),
          ),
        );
      }
      expect((await run.harness.queue.counts()).prioritized).toBeGreaterThan(400);
      const id = await run.create({ selector: { models: ['6230i'] }, pacing: { tps: 1000 } });
      await run.campaigns.start(id, ADMIN);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await campaignProvisionings(run, id)).toHaveLength(0);
      expect((await run.campaigns.get(id)).counts.remaining).toBeGreaterThan(0);
      await run.campaigns.cancel(id, ADMIN);
    }, 60_000);
  });
}

describeEachStore('campaigns over the pipeline (%s)', runTests);
