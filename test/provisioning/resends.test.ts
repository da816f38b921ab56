/**
 * Issue #15 item 4: a push sent again after an unknown outcome (no submit_sm_resp: the SMSC may have
 * taken it) is the one source of duplicates. Each such resend says on the timeline how many segments of
 * the attempt before may have got through, and is counted in otagw_resends_after_unknown_outcome_total;
 * a resend after a refusal (nothing got through) is not.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Actor, ProvisioningView } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };

describeEachStore('resends after an unknown outcome', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    // long enough for an answered submit to be answered on a loaded machine, short enough for a quick
    // test; the lost-job sweep leaves a push alone for longer than that wait (it would run it twice)
    h = await startHarness(kind, {
      smsc: { responseTimeoutMs: 1_500 },
      provisioning: { recoveryStaleMs: 10_000 },
    });
  }, 30_000);
  afterAll(async () => h?.close());

  async function resendCount(): Promise<number> {
    const metric = await h.metrics.registry
      .getSingleMetric('otagw_resends_after_unknown_outcome_total')
      ?.get();
    return metric?.values[0]?.value ?? 0;
  }

  async function untilEvent(id: string, cause: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = await h.service.get(id);
      if (view?.events.some((event) => event.cause === cause)) return;
      if (Date.now() > deadline) throw new Error(`no ${cause} event on ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const resubmitOf = (view: ProvisioningView) =>
    view.events.find((event) => event.cause === 'resubmit-after-unknown-outcome');

  it('counts a resend after submits left unanswered, and says how many segments may have got through', async () => {
    const before = await resendCount();
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ lostResponsePercent: 100 });
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 4401) },
      NETWORK,
    );
    try {
      await untilEvent(result.provisioningId!, 'submit-incomplete');
    } finally {
      h.sim.setBehaviour({ lostResponsePercent: 0 });
    }
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    const resubmit = resubmitOf(view);
    expect([resubmit?.fromState, resubmit?.toState]).toEqual(['submitting', 'submitting']);
    // the last segment waits until the others are accepted and on record, so it never went: the nine
    // before it may have got through
    expect(resubmit?.details).toMatchObject({ possiblySentBefore: view.segments.length - 1 });
    expect(await resendCount()).toBe(before + 1);
    // the handset had nine parts of the first attempt; the resend (same reference, same bytes) completes
    // the message once: before the last segment waited, the handset got this push twice
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
  });

  it('sends again only the segments left unanswered, under the same reference: the handset gets the push once', async () => {
    const before = await resendCount();
    const subscriber = uniqueSubscriber();
    // every other submit unanswered (the simulator's gates are exact): some of the push's segments
    // accepted with a message id, the others of unknown outcome, each of them on the handset
    h.sim.setBehaviour({ lostResponsePercent: 50 });
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 4403) },
      NETWORK,
    );
    try {
      // the accepted segments' ids are stored while the others still wait for their answer (a worker
      // killed now leaves them on record)
      const early = await h.service.get(result.provisioningId!);
      for (let view = early; ; view = await h.service.get(result.provisioningId!)) {
        expect(view?.events.some((event) => event.cause === 'submit-incomplete')).toBe(false);
        if (view?.segments.some((segment) => segment.messageId !== null)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await untilEvent(result.provisioningId!, 'submit-incomplete');
    } finally {
      h.sim.setBehaviour({ lostResponsePercent: 0 });
    }
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    const incomplete = view.events.find((event) => event.cause === 'submit-incomplete')!;
    const failures = incomplete.details.failures as Array<{ message: string }>;
    const unanswered = failures.length;
    // the last segment is held back while segments before it are not accepted: it was not sent
    const held = failures.filter((failure) => failure.message.startsWith('held back')).length;
    expect(held).toBe(1);
    const segments = view.segments.length;
    expect(unanswered).toBeGreaterThan(0);
    expect(unanswered).toBeLessThan(segments);
    const resubmit = resubmitOf(view)!;
    const first = view.events.find((event) => event.cause === 'submit')!;
    // composed again with the first attempt's reference and bytes; the accepted segments kept
    expect(resubmit.details).toMatchObject({
      reference: first.details.reference,
      digest: first.details.digest,
      keptSegments: segments - unanswered,
      possiblySentBefore: unanswered - held,
    });
    expect(await resendCount()).toBe(before + 1);
    // every segment was on the handset after the first attempt; the parts sent again are parts it has
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
    expect(view.segments.every((segment) => segment.receiptState === 'DELIVRD')).toBe(true);
  });

  it('does not count a resend after the SMSC refused every segment', async () => {
    const before = await resendCount();
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ destinationErrors: [{ prefix: subscriber.msisdn, status: 'ESME_RSYSERR' }] });
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 4402) },
      NETWORK,
    );
    try {
      await untilEvent(result.provisioningId!, 'submit-incomplete');
    } finally {
      h.sim.setBehaviour({ destinationErrors: [] });
    }
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(resubmitOf(view)?.details).toMatchObject({ possiblySentBefore: 0 });
    expect(await resendCount()).toBe(before);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
  });
});
