/**
 * Issue #15 item 7: message ids reused by an SMSC. After a restart an SMSC may number its messages from
 * the start again; the new message's receipts must settle the new push, not be dropped because an old
 * message with the same id already had its final receipt (in the connector) or be matched to the old
 * push's segment (in the store).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { ReceiptMatcher } from '../../src/connectors/smpp/receipt-matcher.ts';
import type { DeliveryReport } from '../../src/connectors/types.ts';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };

describe('ReceiptMatcher and an id used again', () => {
  const delivered = (messageId: string): DeliveryReport => ({
    smscId: 'smsc',
    messageId,
    rawMessageId: messageId,
    state: 'delivered',
    source: 'tlv',
  });
  const segment = (pushId: string) => ({ pushId, segmentIndex: 1, destination: '4917001', bindId: 'smsc/0' });

  it("gives a new segment with an old id its own receipts (the old one's final state forgotten)", () => {
    const emitted: DeliveryReport[] = [];
    const matcher = new ReceiptMatcher({ parkMs: 1000, trackMs: 60_000, trackMax: 100 }, (r) =>
      emitted.push(r),
    );
    matcher.register('268435456', segment('old-push'), 0);
    matcher.receive(delivered('268435456'), 10);
    matcher.register('268435456', segment('new-push'), 20);
    matcher.receive(delivered('268435456'), 30);
    expect(emitted.map((report) => report.pushId)).toEqual(['old-push', 'new-push']);
    expect(matcher.counters()).toMatchObject({ duplicatesDropped: 0, reusedIds: 1 });
  });

  it('keeps the progress of a segment registered twice (a late response after a timeout)', () => {
    const emitted: DeliveryReport[] = [];
    const matcher = new ReceiptMatcher({ parkMs: 1000, trackMs: 60_000, trackMax: 100 }, (r) =>
      emitted.push(r),
    );
    matcher.register('7', segment('push'), 0);
    matcher.receive(delivered('7'), 10);
    matcher.register('7', segment('push'), 20);
    matcher.receive(delivered('7'), 30);
    expect(emitted).toHaveLength(1);
    expect(matcher.counters()).toMatchObject({ duplicatesDropped: 1, reusedIds: 0 });
  });
});

describeEachStore('an SMSC restart numbering its messages from the start', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { behaviour: { receiptDelayMs: 5 } });
  }, 30_000);
  afterAll(async () => h?.close());

  async function deliveredPush(): Promise<{ id: string; messageIds: string[] }> {
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, Math.floor(Math.random() * 1e6)) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    return { id: view.id, messageIds: view.segments.map((segment) => String(segment.messageId)) };
  }

  async function waitForBound(): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!h.connector.isAvailable() || h.sim.binds().length === 0) {
      if (Date.now() > deadline) throw new Error('the connector did not bind again');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('delivers pushes whose segments get the ids of pushes delivered before the restart', async () => {
    h.sim.restart({ messageIdsFromStart: true });
    await waitForBound();
    const before = [await deliveredPush(), await deliveredPush()];
    h.sim.restart({ messageIdsFromStart: true });
    await waitForBound();
    const after = [await deliveredPush(), await deliveredPush()];
    // the same ids again, for other pushes: each got its own receipts
    expect(after.flatMap((push) => push.messageIds)).toEqual(before.flatMap((push) => push.messageIds));
    const counters = (h.connector.counters() as Record<string, { receipts: Record<string, number> }>)[
      h.connector.status()[0].smscId
    ];
    expect(counters.receipts.reusedIds).toBeGreaterThanOrEqual(after[0].messageIds.length);
  });

  it('matches a receipt in the store to the segment submitted last with the id, not an older one touched later', async () => {
    h.sim.restart({ messageIdsFromStart: true });
    await waitForBound();
    const old = await deliveredPush();
    h.sim.restart({ messageIdsFromStart: true });
    await waitForBound();
    // the old segment's row changed after the new submit (say, a late duplicate receipt stored on it):
    // matching must still go by submit time
    h.sim.setBehaviour({ receiptDelayMs: 400 });
    try {
      const subscriber = uniqueSubscriber();
      const result = await h.service.requestFirstUse(
        { ...subscriber, imei: imeiWith(TAC.nokiaN95, Math.floor(Math.random() * 1e6)) },
        NETWORK,
      );
      await h.waitForState(result.provisioningId!, ['submitted', ...FINAL]);
      await h.store.db.query(
        `UPDATE segments SET updated_at = now() + interval '1 hour' WHERE provisioning_id = $1`,
        [old.id],
      );
      const view = await h.waitForState(result.provisioningId!, FINAL);
      expect(view.state).toBe('delivered');
      expect(view.segments.map((segment) => String(segment.messageId))).toEqual(old.messageIds);
    } finally {
      h.sim.setBehaviour({ receiptDelayMs: 5 });
    }
  });
});

describe('the connector counters in /metrics', () => {
  it('exports duplicates dropped, unreadable, unmatched receipts and reused ids per SMSC and worker', async () => {
    const { createMetrics, registerSmscConnectorCounters } =
      await import('../../src/observability/metrics.ts');
    const metrics = createMetrics();
    registerSmscConnectorCounters(metrics, () => [
      {
        workerId: 'w1',
        counters: {
          sim: {
            receipts: {
              matched: 9,
              unmatched: 2,
              duplicatesDropped: 3,
              parked: 0,
              unreadable: 1,
              reusedIds: 4,
              notStored: 5,
            },
          },
        },
      },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('otagw_smsc_receipts_duplicates_dropped{smsc="sim",worker="w1"} 3');
    expect(text).toContain('otagw_smsc_receipts_unreadable{smsc="sim",worker="w1"} 1');
    expect(text).toContain('otagw_smsc_receipts_unmatched{smsc="sim",worker="w1"} 2');
    expect(text).toContain('otagw_smsc_message_ids_reused{smsc="sim",worker="w1"} 4');
    expect(text).toContain('otagw_smsc_receipts_not_stored{smsc="sim",worker="w1"} 5');
  });
});
