import { expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { listSmscMinutes, listTail, receiptLatencies } from '../../src/store/repositories/smsc-history.ts';
import { forEachStore } from '../support/stores.ts';

const MINUTE = 60_000;

/** A provisioning of a fresh subscriber, to hang segments on. */
async function provisioningOf(db: Db, imsi: string, msisdn = '49' + imsi.slice(-9)): Promise<string> {
  const subscriber = await db.one<{ id: string }>(
    `INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2) RETURNING id`,
    [imsi, msisdn],
  );
  const provisioning = await db.one<{ id: string }>(
    `INSERT INTO provisionings (subscriber_id, source, actor, state) VALUES ($1, 'care', 'test', 'submitted')
     RETURNING id`,
    [subscriber!.id],
  );
  return provisioning!.id;
}

interface SegmentRow {
  smsc: string;
  submittedAt: Date | null;
  receipt?: { state: string; at: Date; error?: string };
  /** a refused submit: its command status name and when it was stored */
  rejected?: { status: string; at: Date };
}

async function storeSegments(db: Db, provisioningId: string, segments: SegmentRow[]): Promise<void> {
  for (const [index, segment] of segments.entries()) {
    await db.query(
      `INSERT INTO segments (provisioning_id, segment_number, smsc, submit_status, submitted_at, receipt_state,
         receipt_at, receipt_error, submit_error, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        provisioningId,
        index + 1,
        segment.smsc,
        segment.submittedAt ? 'submitted' : 'rejected',
        segment.submittedAt,
        segment.receipt?.state ?? null,
        segment.receipt?.at ?? null,
        segment.receipt?.error ?? null,
        segment.rejected?.status ?? null,
        segment.rejected?.at ?? segment.receipt?.at ?? new Date(),
      ],
    );
  }
}

forEachStore(({ db }) => {
  it('counts submitted segments and final receipts per SMSC and minute, leaving out older ones and intermediate receipts', async () => {
    const hourAgo = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE);
    const at = (minutes: number, seconds = 0): Date =>
      new Date(hourAgo.getTime() + minutes * MINUTE + seconds * 1000);
    await storeSegments(db(), await provisioningOf(db(), '001010000010001'), [
      { smsc: 'alpha', submittedAt: at(10, 5), receipt: { state: 'DELIVRD', at: at(10, 50) } },
      { smsc: 'alpha', submittedAt: at(10, 30), receipt: { state: 'UNDELIV', at: at(11, 10) } },
      { smsc: 'alpha', submittedAt: at(11), receipt: { state: 'ENROUTE', at: at(11, 1) } },
      { smsc: 'alpha', submittedAt: null },
      { smsc: 'beta', submittedAt: at(-5), receipt: { state: 'DELIVRD', at: at(12) } },
      { smsc: 'beta', submittedAt: at(-30) },
    ]);
    const minutes = await listSmscMinutes(db(), hourAgo);
    expect(minutes).toEqual([
      { smsc: 'alpha', minute: at(10), submitted: 2, receipts: 1, failedReceipts: 0 },
      { smsc: 'alpha', minute: at(11), submitted: 1, receipts: 1, failedReceipts: 1 },
      { smsc: 'beta', minute: at(12), submitted: 0, receipts: 1, failedReceipts: 0 },
    ]);
  });

  it('gives the submit -> receipt latency p50 and p95 of final receipts since the start of the window, by SMSC', async () => {
    const since = new Date(Date.now() - 30 * MINUTE);
    const submittedAt = new Date(Date.now() - 10 * MINUTE);
    const after = (ms: number): Date => new Date(submittedAt.getTime() + ms);
    const latencies = Array.from({ length: 20 }, (_, index) => (index + 1) * 1000);
    await storeSegments(
      db(),
      await provisioningOf(db(), '001010000010002'),
      latencies.map((ms) => ({ smsc: 'gamma', submittedAt, receipt: { state: 'DELIVRD', at: after(ms) } })),
    );
    await storeSegments(db(), await provisioningOf(db(), '001010000010003'), [
      { smsc: 'gamma', submittedAt, receipt: { state: 'ACCEPTD', at: after(500_000) } },
      { smsc: 'delta', submittedAt, receipt: { state: 'EXPIRED', at: after(250) } },
      {
        smsc: 'delta',
        submittedAt: new Date(since.getTime() - 3600_000),
        receipt: { state: 'DELIVRD', at: new Date(since.getTime() - 1) },
      },
    ]);
    const bySmsc = Object.fromEntries((await receiptLatencies(db(), since)).map((row) => [row.smsc, row]));
    // percentile_cont interpolates: p50 of 1..20 s is 10.5 s, p95 is 19.05 s.
    expect(bySmsc.gamma).toEqual({ smsc: 'gamma', receipts: 20, p50Ms: 10_500, p95Ms: 19_050 });
    expect(bySmsc.delta).toEqual({ smsc: 'delta', receipts: 1, p50Ms: 250, p95Ms: 250 });
  });

  it('tails the newest receipts and refused submits, filtered by SMSC, state and MSISDN prefix', async () => {
    const now = Date.now();
    const since = new Date(now - 60 * MINUTE);
    const ago = (minutes: number): Date => new Date(now - minutes * MINUTE);
    const first = await provisioningOf(db(), '001010000020001', '4915550001');
    const second = await provisioningOf(db(), '001010000020002', '4916660002');
    await storeSegments(db(), first, [
      { smsc: 'tail-a', submittedAt: ago(9), receipt: { state: 'DELIVRD', at: ago(8) } },
      { smsc: 'tail-a', submittedAt: ago(9), receipt: { state: 'UNDELIV', at: ago(7), error: '001' } },
      { smsc: 'tail-a', submittedAt: null, rejected: { status: 'ESME_RINVDSTADR', at: ago(6) } },
      { smsc: 'tail-a', submittedAt: ago(90), receipt: { state: 'DELIVRD', at: ago(61) } },
    ]);
    await storeSegments(db(), second, [
      { smsc: 'tail-b', submittedAt: ago(5), receipt: { state: 'ENROUTE', at: ago(4) } },
      { smsc: 'tail-b', submittedAt: ago(5), receipt: { state: 'EXPIRED', at: ago(3) } },
    ]);
    const tail = (filter: Partial<Parameters<typeof listTail>[1]>) =>
      listTail(db(), { since, limit: 10, ...filter }).then((rows) =>
        rows
          .filter((row) => row.smsc.startsWith('tail-'))
          .map((row) => `${row.smsc}:${row.state}:${row.code}`),
      );
    expect(await tail({})).toEqual([
      'tail-b:expired:EXPIRED',
      'tail-b:en route:ENROUTE',
      'tail-a:rejected:ESME_RINVDSTADR',
      'tail-a:failed:UNDELIV',
      'tail-a:delivered:DELIVRD',
    ]);
    expect(await tail({ smsc: 'tail-a', state: 'failed' })).toEqual(['tail-a:failed:UNDELIV']);
    expect(await tail({ msisdnPrefix: '49155' })).toEqual([
      'tail-a:rejected:ESME_RINVDSTADR',
      'tail-a:failed:UNDELIV',
      'tail-a:delivered:DELIVRD',
    ]);
    expect(await tail({ msisdnPrefix: '4915', state: 'rejected' })).toEqual([
      'tail-a:rejected:ESME_RINVDSTADR',
    ]);
    expect(await tail({ msisdnPrefix: '49155', limit: 2 })).toEqual([
      'tail-a:rejected:ESME_RINVDSTADR',
      'tail-a:failed:UNDELIV',
    ]);
    const [failed] = await listTail(db(), { since, limit: 1, smsc: 'tail-a', state: 'failed' });
    expect(failed).toMatchObject({
      provisioningId: first,
      segmentNumber: 2,
      msisdn: '4915550001',
      error: '001',
    });
    expect(failed.at).toEqual(ago(7));
  });
});
