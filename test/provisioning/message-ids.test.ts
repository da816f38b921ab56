/**
 * Message ids as the SMSC writes them: the segment keeps the id of submit_sm_resp exactly as sent (the
 * raw column, shown to operators) and matches receipts on the normalised one (docs/protocol.md §6.7).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };

describeEachStore('message ids in another base (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    // submit_sm_resp: zero-padded upper-case hex; receipts: decimal. The gateway is told both bases.
    h = await startHarness(kind, {
      behaviour: { respIdBase: 'hex', hexUppercase: true, idMinLength: 12, receiptIdBase: 'dec' },
      smsc: { msgIdResp: 'hex', msgIdReceipt: 'dec' },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("stores the SMSC's id as sent and the normalised one that receipts match", async () => {
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 4242) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    // Delivered: every receipt (decimal ids) found its segment (hex ids) by the normalised id.
    expect(view.state).toBe('delivered');

    const sent = h.sim.submitted().filter((segment) => segment.destinationAddr.endsWith(subscriber.msisdn));
    expect(sent).toHaveLength(view.segments.length);
    const stored = await h.store.db.query<{ message_id: string; message_id_normalised: string }>(
      `SELECT message_id, message_id_normalised FROM segments WHERE provisioning_id = $1 ORDER BY segment_number`,
      [view.id],
    );
    expect(stored.map((row) => row.message_id).sort()).toEqual(
      sent.map((segment) => segment.respMessageId).sort(),
    );
    expect(stored.map((row) => row.message_id_normalised).sort()).toEqual(
      sent.map((segment) => segment.messageId).sort(),
    );
    for (const row of stored) {
      expect(row.message_id).toMatch(/^0+[0-9A-F]+$/);
      expect(row.message_id).not.toBe(row.message_id_normalised);
    }
    expect(view.segments.map((segment) => segment.messageId)).toEqual(stored.map((row) => row.message_id));
  });
});
