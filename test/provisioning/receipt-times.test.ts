import smpp from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSmscUrl, SmscConfigError } from '../../src/connectors/config.ts';
import { readDeliverSm, readReceipt } from '../../src/connectors/smpp/deliver-sm.ts';
import { parseReceiptDate } from '../../src/connectors/smpp/receipt-text.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };

describe('receipt text dates are read in the SMSC time zone', () => {
  it('reads the same wall clock as different instants in winter and summer (Europe/Berlin)', () => {
    expect(parseReceiptDate('2401151200', 'Europe/Berlin')?.toISOString()).toBe('2024-01-15T11:00:00.000Z');
    expect(parseReceiptDate('2407151200', 'Europe/Berlin')?.toISOString()).toBe('2024-07-15T10:00:00.000Z');
    expect(parseReceiptDate('20240715120030', 'America/New_York')?.toISOString()).toBe(
      '2024-07-15T16:00:30.000Z',
    );
  });

  it('takes the offset in force after a daylight-saving change, not the one before it', () => {
    // Berlin moved to CEST (+2) at 2024-03-31 01:00Z; 03:30 local that morning is 01:30Z.
    expect(parseReceiptDate('2403310330', 'Europe/Berlin')?.toISOString()).toBe('2024-03-31T01:30:00.000Z');
    // and back to CET (+1) at 2024-10-27 01:00Z; 04:00 local is 03:00Z.
    expect(parseReceiptDate('2410270400', 'Europe/Berlin')?.toISOString()).toBe('2024-10-27T03:00:00.000Z');
  });

  it('reads UTC when no zone is configured', () => {
    expect(parseReceiptDate('2401151200')?.toISOString()).toBe('2024-01-15T12:00:00.000Z');
  });

  it('is an SMSC setting: timeZone in SMSC_URL, UTC by default, an unknown zone refused by name', () => {
    expect(parseSmscUrl('smpp://otagw:pw@smsc.example:2775?timeZone=Europe/Berlin').timeZone).toBe(
      'Europe/Berlin',
    );
    expect(parseSmscUrl('smpp://otagw:pw@smsc.example:2775').timeZone).toBe('UTC');
    expect(() => parseSmscUrl('smpp://otagw:pw@smsc.example:2775?timeZone=Mars/Olympus')).toThrow(
      SmscConfigError,
    );
    expect(() => parseSmscUrl('smpp://otagw:pw@smsc.example:2775?timeZone=Mars/Olympus')).toThrow(/timeZone/);
  });

  it("gives a deliver_sm receipt the SMSC's dates in its zone", () => {
    const raw = new smpp.PDU('deliver_sm', {
      source_addr: '447700900123',
      destination_addr: '1234',
      esm_class: 0x04,
      short_message: Buffer.from(
        'id:77 sub:001 dlvrd:001 submit date:2401151159 done date:2401151200 stat:DELIVRD err:000 text:x',
      ),
    }).toBuffer();
    const report = readReceipt(readDeliverSm(raw), 'smsc', { text: 'dec', tlv: 'dec' }, 'Europe/Berlin');
    expect(report?.submittedAt?.toISOString()).toBe('2024-01-15T10:59:00.000Z');
    expect(report?.doneAt?.toISOString()).toBe('2024-01-15T11:00:00.000Z');
  });
});

describeEachStore('receipt times of a delivered push (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("stores our receive time as receiptAt, never before the segment's submittedAt, and the SMSC's dates apart", async () => {
    const subscriber = uniqueSubscriber();
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const startedAt = Date.now();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 5001) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.segments.length).toBeGreaterThan(0);
    for (const segment of view.segments) {
      expect(segment.submittedAt).toBeInstanceOf(Date);
      expect(segment.receiptAt).toBeInstanceOf(Date);
      // The simulator's done date has minute precision: read as the receipt time it came before the submit.
      expect(segment.receiptAt!.getTime()).toBeGreaterThanOrEqual(segment.submittedAt!.getTime());
      expect(segment.receiptAt!.getTime()).toBeLessThanOrEqual(Date.now());
    }
    const stored = await h.store.db.query<{ smsc_submit_date: Date; smsc_done_date: Date }>(
      `SELECT smsc_submit_date, smsc_done_date FROM segments WHERE provisioning_id = $1`,
      [result.provisioningId],
    );
    const minuteOfStart = Math.floor(startedAt / 60_000) * 60_000;
    for (const row of stored) {
      // The simulator writes UTC, the harness SMSC has the default zone: the minute the push went out.
      expect(row.smsc_done_date.getTime() % 60_000).toBe(0);
      expect(row.smsc_done_date.getTime()).toBeGreaterThanOrEqual(minuteOfStart);
      expect(row.smsc_done_date.getTime()).toBeLessThanOrEqual(Date.now());
      expect(row.smsc_submit_date.getTime()).toBeLessThanOrEqual(row.smsc_done_date.getTime());
    }
  });
});
