import { afterEach, describe, expect, it } from 'vitest';
import { segmentDatagram } from '../../../codecs/sms/segment.ts';
import type { SegmentResult } from '../../../src/connectors/types.ts';
import { pushOf, startHarness, waitFor, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const failed = (results: SegmentResult[]) => results.filter((r) => !r.ok);

describe('SmppConnector submitting', () => {
  it('sends every segment of a push with UDHI, the configured DCS and a receipt request, and gets one id per segment', async () => {
    harness = await startHarness();
    const push = pushOf('push-1', '447700900001', 3);
    const results = await harness.connector.submit(push);
    expect(results.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(failed(results)).toEqual([]);
    const submitted = harness.sim.submitted();
    expect(submitted).toHaveLength(3);
    for (const [position, record] of submitted.entries()) {
      expect(record.esmClass & 0x40).toBe(0x40);
      expect(record.dataCoding).toBe(0x04);
      expect(record.registeredDelivery).toBe(1);
      expect(record.destinationAddr).toBe('447700900001');
      expect(Array.from(record.shortMessage ?? [])).toEqual(Array.from(push.segments[position].tpud));
    }
    const ids = results.map((r) => (r.ok ? r.messageId : ''));
    expect(new Set(ids).size).toBe(3);
    expect(ids).toEqual(submitted.map((record) => record.messageId));
  });

  it("reports each bind's submit round trip and actual send rate", async () => {
    harness = await startHarness({ responseDelayMs: 40 });
    expect(harness.connector.status()[0].rttMs).toBeUndefined();
    const results = await harness.connector.submit(pushOf('push-rtt', '447700900003', 4));
    expect(failed(results)).toEqual([]);
    const [bind] = harness.connector.status();
    expect(bind.rttMs!.last).toBeGreaterThanOrEqual(35);
    expect(bind.rttMs!.smoothed).toBeGreaterThanOrEqual(35);
    expect(bind.rttMs!.smoothed).toBeLessThan(1000);
    expect(bind.sentPerSecond).toBeGreaterThanOrEqual(4);
  });

  it('sends ports and SAR as TLVs, without UDH, in TLV mode', async () => {
    harness = await startHarness({}, { segmentMode: 'tlv' });
    const results = await harness.connector.submit(pushOf('push-tlv', '447700900002', 2));
    expect(failed(results)).toEqual([]);
    const [first, second] = harness.sim.submitted();
    expect(first).toMatchObject({
      esmClass: 0,
      sourcePort: 9200,
      destinationPort: 2948,
      sarTotalSegments: 2,
      sarSegmentSeqnum: 1,
    });
    expect(second.sarSegmentSeqnum).toBe(2);
    expect(Array.from(first.shortMessage ?? [])).toEqual([0x01, 0x06, 0x01]);
  });

  it('sends what codecs/sms segmentDatagram makes, in either mode', async () => {
    harness = await startHarness({}, { segmentMode: 'tlv' });
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const segments = segmentDatagram(payload, {
      destinationPort: 2948,
      sourcePort: 9200,
      reference: 0x1234,
      mode: 'tlv',
    });
    const results = await harness.connector.submit({ id: 'tlv', destination: '447700900010', segments });
    expect(failed(results)).toEqual([]);
    const received = harness.sim.submitted();
    expect(received.map((r) => r.sarSegmentSeqnum)).toEqual([1, 2, 3]);
    expect(received.every((r) => r.sarMsgRefNum === 0x1234 && r.esmClass === 0)).toBe(true);
    const joined = received.flatMap((r) => Array.from(r.shortMessage ?? []));
    expect(joined).toEqual(Array.from(payload));

    const udhSegments = segmentDatagram(payload, { destinationPort: 2948, sourcePort: 9200, reference: 7 });
    const mismatch = await harness.connector.submit({
      id: 'udh',
      destination: '447700900010',
      segments: udhSegments,
    });
    for (const result of mismatch) expect(result).toMatchObject({ ok: false, outcome: 'local-bug' });
  });

  it("maps the push's kind and receipt wish to the SMSC's data coding and receipt setting", async () => {
    harness = await startHarness({}, { segmentMode: 'tlv', dataCoding: 0xf5, registeredDelivery: 2 });
    const push = { ...pushOf('push-kind', '447700900011', 2), kind: 'wap-push' as const };
    expect(failed(await harness.connector.submit(push))).toEqual([]);
    const text = { index: 1, total: 1, reference: 0, tpud: Buffer.from('PIN 1234', 'latin1'), udhi: false };
    const pin = { id: 'pin', destination: '447700900011', kind: 'text' as const, segments: [text] };
    expect(failed(await harness.connector.submit({ ...pin, receipts: 'none' }))).toEqual([]);
    const [first, second, sent] = harness.sim.submitted();
    expect([first, second].map((r) => [r.dataCoding, r.registeredDelivery, r.sarSegmentSeqnum])).toEqual([
      [0xf5, 2, 1],
      [0xf5, 2, 2],
    ]);
    expect(sent).toMatchObject({ dataCoding: 0, registeredDelivery: 0, esmClass: 0, text: 'PIN 1234' });
    expect(sent.destinationPort).toBeUndefined();
  });

  it('fails a segment the SMSC refuses for good with the SMPP status name', async () => {
    harness = await startHarness({ destinationErrors: [{ prefix: '4499', status: 'ESME_RINVDSTADR' }] });
    const results = await harness.connector.submit(pushOf('push-bad', '449900000001', 2));
    for (const result of results) {
      expect(result).toMatchObject({
        ok: false,
        outcome: 'permanent',
        status: 0x0b,
        statusName: 'ESME_RINVDSTADR',
      });
    }
    const good = await harness.connector.submit(pushOf('push-good', '447700900003'));
    expect(good[0].ok).toBe(true);
  });

  it('reports generic_nack as a local bug and does not resend', async () => {
    harness = await startHarness({ genericNackPercent: 100 });
    const results = await harness.connector.submit(pushOf('push-nack', '447700900004', 2));
    for (const result of results) expect(result).toMatchObject({ ok: false, outcome: 'local-bug' });
    expect(harness.sim.counters().submits.received).toBe(2);
  });

  it('reports an unanswered submit as unknown after the response timeout; its receipt comes out unmatched', async () => {
    harness = await startHarness(
      { lostResponsePercent: 100 },
      { responseTimeoutMs: 200, receiptParkMs: 300 },
    );
    const results = await harness.connector.submit(pushOf('push-lost', '447700900005', 2));
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, outcome: 'unknown' });
      expect(result.ok ? '' : result.message).toMatch(/no submit_sm_resp/);
    }
    // the receipts name ids we never saw: they come out unmatched once the parking time is over
    await waitFor('unmatched receipts', () => harness!.receipts.length === 2);
    expect(harness.receipts.every((r) => r.pushId === undefined)).toBe(true);
    expect(harness.connector.isAvailable()).toBe(true);
  });

  it('loses nothing when some responses never come: each segment is either accepted or unknown', async () => {
    harness = await startHarness({ lostResponsePercent: 25 }, { responseTimeoutMs: 300, window: 5 });
    const results = await harness.connector.submit(pushOf('push-some-lost', '447700900006', 12));
    expect(results).toHaveLength(12);
    const unknown = results.filter((r) => !r.ok && r.outcome === 'unknown');
    const accepted = results.filter((r) => r.ok);
    expect(unknown).toHaveLength(3);
    expect(accepted).toHaveLength(9);
    await waitFor(
      'receipts for the accepted segments',
      () => harness!.receipts.filter((r) => r.pushId).length === 9,
    );
  });

  it('keeps at most `window` submits outstanding per bind', async () => {
    harness = await startHarness({ responseDelayMs: 30, windowLimit: 3 }, { window: 3 });
    const results = await harness.connector.submit(pushOf('push-window', '447700900007', 12));
    expect(failed(results)).toEqual([]);
    // the simulator answers ESME_RMSGQFUL to any submit beyond 3 outstanding: none happened
    expect(harness.sim.counters().errors).toEqual({});
  });

  it('shrinks its window on ESME_RMSGQFUL from a smaller SMSC window, resends, and loses nothing', async () => {
    harness = await startHarness({ responseDelayMs: 20, windowLimit: 2 }, { window: 8 });
    const results = await harness.connector.submit(pushOf('push-qfull', '447700900008', 16));
    expect(failed(results)).toEqual([]);
    expect(harness.sim.counters().errors.ESME_RMSGQFUL).toBeGreaterThan(0);
    expect(harness.connector.counters().throttled).toBe(harness.sim.counters().errors.ESME_RMSGQFUL);
    expect(harness.sim.counters().submits.accepted).toBe(16);
    expect(harness.connector.status()[0].windowSize).toBeLessThan(8);
  });

  it('fails segments as transient when it is not running', async () => {
    harness = await startHarness({}, {}, { start: false });
    const results = await harness.connector.submit(pushOf('push-early', '447700900009'));
    expect(results[0]).toMatchObject({ ok: false, outcome: 'transient' });
  });
});
