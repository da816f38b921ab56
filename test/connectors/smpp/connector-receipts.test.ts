import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryReport } from '../../../src/connectors/types.ts';
import { pushOf, sleep, startHarness, waitFor, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Submits `pushes` pushes of `segments` segments and waits for one matched final receipt per segment. */
async function submitAndCollect(h: Harness, pushes: number, segments: number): Promise<DeliveryReport[]> {
  const all = await Promise.all(
    Array.from({ length: pushes }, (_, i) =>
      h.connector.submit(pushOf(`push-${i}`, `4477009${String(i).padStart(5, '0')}`, segments)),
    ),
  );
  for (const results of all) for (const result of results) expect(result.ok).toBe(true);
  const total = pushes * segments;
  await waitFor(
    `${total} matched receipts`,
    () => h.receipts.filter((r) => r.pushId !== undefined).length >= total,
  );
  return h.receipts;
}

/** Each (push, segment) appears exactly once. */
function expectEachSegmentOnce(receipts: DeliveryReport[], pushes: number, segments: number): void {
  const keys = receipts.map((r) => `${r.pushId}#${r.segmentIndex}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys).toHaveLength(pushes * segments);
  expect(receipts.every((r) => r.pushId !== undefined)).toBe(true);
}

describe('SmppConnector receipts', () => {
  it('reads receipts carried only as TLVs', async () => {
    harness = await startHarness({ receiptFormat: 'tlv' });
    const receipts = await submitAndCollect(harness, 2, 2);
    expectEachSegmentOnce(receipts, 2, 2);
    expect(receipts.every((r) => r.source === 'tlv' && r.state === 'delivered' && r.stat === undefined)).toBe(
      true,
    );
  });

  it('reads receipts carried only as text', async () => {
    harness = await startHarness({ receiptFormat: 'text' });
    const receipts = await submitAndCollect(harness, 2, 2);
    expectEachSegmentOnce(receipts, 2, 2);
    expect(
      receipts.every((r) => r.source === 'text' && r.state === 'delivered' && r.stat === 'DELIVRD'),
    ).toBe(true);
    expect(receipts[0].doneAt).toBeInstanceOf(Date);
  });

  it('maps failure states per destination', async () => {
    harness = await startHarness({
      receiptFormat: 'text',
      receiptOutcomes: [
        { prefix: '447700900001', stat: 'UNDELIV' },
        { prefix: '447700900002', stat: 'EXPIRED' },
        { prefix: '447700900003', stat: 'REJECTD' },
      ],
    });
    await harness.connector.submit(pushOf('a', '447700900001'));
    await harness.connector.submit(pushOf('b', '447700900002'));
    await harness.connector.submit(pushOf('c', '447700900003'));
    await waitFor('three receipts', () => harness!.receipts.length === 3);
    const byPush = Object.fromEntries(harness.receipts.map((r) => [r.pushId, r]));
    expect(byPush.a).toMatchObject({ state: 'failed', stat: 'UNDELIV' });
    expect(byPush.b).toMatchObject({ state: 'expired', stat: 'EXPIRED' });
    expect(byPush.c).toMatchObject({ state: 'rejected', stat: 'REJECTD' });
  });

  it('matches hex response ids to decimal receipt ids when configured like Kannel msg-id-type', async () => {
    harness = await startHarness(
      { respIdBase: 'hex', receiptIdBase: 'dec', hexUppercase: true, idMinLength: 12, receiptFormat: 'text' },
      { msgIdResp: 'hex', msgIdReceipt: 'dec' },
    );
    const receipts = await submitAndCollect(harness, 3, 2);
    expectEachSegmentOnce(receipts, 3, 2);
    expect(harness.sim.submitted()[0].respMessageId).toMatch(/^0+[0-9A-F]+$/);
  });

  it('copes with receipted_message_id in another base than the receipt text', async () => {
    harness = await startHarness(
      { respIdBase: 'hex', receiptIdBase: 'dec', receiptTlvIdBase: 'hex', receiptFormat: 'both' },
      { msgIdResp: 'hex', msgIdReceipt: 'dec', msgIdReceiptTlv: 'hex' },
    );
    expectEachSegmentOnce(await submitAndCollect(harness, 2, 2), 2, 2);
  });

  it('never matches a receipt to the wrong segment when the id bases are misconfigured', async () => {
    harness = await startHarness(
      { respIdBase: 'hex', receiptIdBase: 'dec', receiptFormat: 'text' },
      { msgIdResp: 'opaque', msgIdReceipt: 'opaque', receiptParkMs: 100 },
    );
    await harness.connector.submit(pushOf('p', '447700900001', 3));
    await waitFor('unmatched receipts', () => harness!.receipts.length === 3);
    expect(harness.receipts.every((r) => r.pushId === undefined)).toBe(true);
    expect(harness.connector.counters().receipts.unmatched).toBe(3);
  });

  it('matches receipts that arrive on another bind than the submit', async () => {
    harness = await startHarness({ receiptsOnOtherBind: true }, { binds: 2 });
    await waitFor('two binds', () => harness!.connector.status().every((s) => s.state === 'bound'));
    const receipts = await submitAndCollect(harness, 4, 2);
    expectEachSegmentOnce(receipts, 4, 2);
    const submitBind = new Map(harness.sim.submitted().map((s) => [s.messageId, s.bindId]));
    expect(submitBind.size).toBe(8);
    expect(new Set(receipts.map((r) => r.bindId)).size).toBe(2);
  });

  it('matches receipts that come on the receiver of a transmitter + receiver pair', async () => {
    harness = await startHarness({}, { bindMode: 'tx-rx' });
    await waitFor('both binds', () => harness!.connector.status().every((s) => s.state === 'bound'));
    const receipts = await submitAndCollect(harness, 2, 3);
    expectEachSegmentOnce(receipts, 2, 3);
    expect(new Set(receipts.map((r) => r.bindId))).toEqual(new Set(['smsc/0/rx']));
    expect(harness.sim.counters().binds.byMode).toEqual({ transmitter: 1, receiver: 1, transceiver: 0 });
  });

  it('matches duplicated receipts exactly once', async () => {
    harness = await startHarness({ duplicateReceiptPercent: 100 });
    const receipts = await submitAndCollect(harness, 3, 2);
    await sleep(50);
    expectEachSegmentOnce(receipts, 3, 2);
    expect(harness.sim.counters().receipts.duplicates).toBe(6);
    expect(harness.connector.counters().receipts.duplicatesDropped).toBe(6);
  });

  it('matches receipts that overtake their submit_sm_resp exactly once', async () => {
    harness = await startHarness({ outOfOrderReceiptPercent: 100, outOfOrderLagMs: 30 });
    const receipts = await submitAndCollect(harness, 3, 2);
    expectEachSegmentOnce(receipts, 3, 2);
  });

  it('survives everything at once: other bind, duplicates, out of order, delays, mixed outcomes', async () => {
    harness = await startHarness(
      {
        receiptsOnOtherBind: true,
        duplicateReceiptPercent: 30,
        outOfOrderReceiptPercent: 30,
        receiptDelayMs: 15,
        respIdBase: 'hex',
        receiptIdBase: 'dec',
        receiptOutcomeMix: { UNDELIV: 20, EXPIRED: 10 },
      },
      { binds: 3, window: 5, msgIdResp: 'hex', msgIdReceipt: 'dec' },
    );
    await waitFor('three binds', () => harness!.connector.status().every((s) => s.state === 'bound'));
    const receipts = await submitAndCollect(harness, 10, 3);
    await sleep(50);
    expectEachSegmentOnce(receipts, 10, 3);
    const states = new Set(receipts.map((r) => r.state));
    expect(states).toEqual(new Set(['delivered', 'failed', 'expired']));
  });

  it('delivers parked receipts that never get matched, once, after the parking time', async () => {
    harness = await startHarness(
      { lostResponsePercent: 100, duplicateReceiptPercent: 100 },
      { responseTimeoutMs: 100, receiptParkMs: 150 },
    );
    await harness.connector.submit(pushOf('p', '447700900001', 2));
    await waitFor('unmatched receipts', () => harness!.receipts.length === 2);
    await sleep(200);
    expect(harness.receipts).toHaveLength(2);
    expect(new Set(harness.receipts.map((r) => r.messageId)).size).toBe(2);
  });
});
