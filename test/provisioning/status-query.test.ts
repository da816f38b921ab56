/**
 * Issue #15 item 2: status queries. A submitted push whose final receipts do not come is asked about with
 * query_sm for each unfinished segment, statusQueryAfterMs after its submit (per SMSC); the simulator
 * answers with the message's state, which settles the segment as its receipt would, shown on the
 * timeline as a status-query event. A push the SMSC cannot tell about keeps its expiry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };

describeEachStore('status queries for pushes without their receipts', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    // every receipt is lost: only query_sm can tell what became of a push
    h = await startHarness(kind, {
      behaviour: { lostReceiptPercent: 100 },
      smsc: { statusQueryAfterMs: 300 },
      provisioning: { expirySweepIntervalMs: 100 },
    });
  }, 30_000);
  afterAll(async () => h?.close());

  async function queries(outcome: string): Promise<number> {
    const metric = await h.metrics.registry.getSingleMetric('otagw_status_queries_total')?.get();
    return metric?.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  }

  async function pushTo(subscriber: { imsi: string; msisdn: string }, serial: number): Promise<string> {
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, serial) },
      NETWORK,
    );
    await h.waitForState(result.provisioningId!, ['submitted', ...FINAL]);
    return result.provisioningId!;
  }

  it('settles a push as delivered from the answers to query_sm, each segment asked about', async () => {
    const finalBefore = await queries('final');
    const id = await pushTo(uniqueSubscriber(), 8801);
    const view = await h.waitForState(id, FINAL, 10_000);
    expect(view.state).toBe('delivered');
    const asked = view.events.filter((event) => event.cause === 'status-query');
    expect(asked.length).toBeGreaterThanOrEqual(1);
    const answered = asked.flatMap(
      (event) => (event.details as { segments: Array<{ segment: number }> }).segments,
    );
    expect(new Set(answered.map((answer) => answer.segment)).size).toBe(view.segments.length);
    expect(asked[0].details).toMatchObject({
      segments: expect.arrayContaining([
        expect.objectContaining({ outcome: 'state', state: 'delivered', final: true }),
      ]),
    });
    // the timeline: the query before the move to delivered
    const causes = view.events.map((event) => event.cause);
    expect(causes.indexOf('status-query')).toBeLessThan(causes.indexOf('receipts'));
    expect(view.segments.every((segment) => segment.receiptState === 'DELIVRD')).toBe(true);
    expect(await queries('final')).toBe(finalBefore + view.segments.length);
    expect(h.sim.counters().queries).toBeGreaterThanOrEqual(view.segments.length);
  });

  it('fails a push the SMSC says was undeliverable', async () => {
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ receiptOutcomes: [{ prefix: subscriber.msisdn, stat: 'UNDELIV' }] });
    try {
      const id = await pushTo(subscriber, 8802);
      const view = await h.waitForState(id, FINAL, 10_000);
      expect([view.state, view.failureCode]).toEqual(['failed', 'SMSC_UNDELIV']);
    } finally {
      h.sim.setBehaviour({ receiptOutcomes: [] });
    }
  });

  it('leaves a push the SMSC cannot tell about submitted, with its expiry', async () => {
    h.sim.setBehaviour({ querySm: false }); // ESME_RINVCMDID, as an SMSC without query_sm answers
    try {
      const id = await pushTo(uniqueSubscriber(), 8803);
      const submitted = await h.service.get(id);
      const deadline = Date.now() + 5_000;
      let view = submitted;
      while (!view?.events.some((event) => event.cause === 'status-query')) {
        if (Date.now() > deadline) throw new Error('never asked');
        await new Promise((resolve) => setTimeout(resolve, 50));
        view = await h.service.get(id);
      }
      expect(view.state).toBe('submitted');
      expect(view.expiresAt).toEqual(submitted?.expiresAt);
      const event = view.events.find((entry) => entry.cause === 'status-query');
      expect(event?.details).toMatchObject({
        segments: expect.arrayContaining([expect.objectContaining({ outcome: 'no-answer' })]),
      });
    } finally {
      h.sim.setBehaviour({ querySm: true });
    }
  });
});
