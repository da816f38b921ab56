/**
 * The simulator as issue #15 needs it: query_sm answered with a message's state, a receipt sent again
 * when the ESME refuses it or leaves it unanswered, and a restart that numbers messages from the start.
 */
import smpp, { type PDU } from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient, sleep } from './smpp-test-client.ts';

let sim: SmscSimulator;
const clients: TestClient[] = [];
async function bound(): Promise<TestClient> {
  const client = await TestClient.bound(sim.port);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await sim?.close();
});

function query(client: TestClient, messageId: string): Promise<PDU> {
  return new Promise((resolve) => {
    client.session.send(new smpp.PDU('query_sm', { message_id: messageId, source_addr: '12345' }), resolve);
  });
}

describe('query_sm', () => {
  it('answers ENROUTE before the receipt is due and the final state after, ESME_RQUERYFAIL for an unknown id', async () => {
    sim = await startSmscSimulator({
      behaviour: { receiptDelayMs: 300, receiptOutcomes: [{ prefix: '4477', stat: 'UNDELIV' }] },
    });
    const client = await bound();
    const delivered = await client.submit({ destination_addr: '4917001' });
    const undeliverable = await client.submit({ destination_addr: '4477001' });
    const early = await query(client, delivered.message_id!);
    expect([early.command, early.command_status, early.message_state]).toEqual(['query_sm_resp', 0, 1]);
    await sleep(350);
    const late = await query(client, delivered.message_id!);
    expect([late.message_state, late.error_code]).toEqual([2, 0]); // DELIVERED
    expect(late.final_date).toBeInstanceOf(Date);
    const failed = await query(client, undeliverable.message_id!);
    expect([failed.message_state, failed.error_code]).toEqual([5, 1]); // UNDELIVERABLE, GSM unknown subscriber
    const unknown = await query(client, '999');
    expect(unknown.command_status).toBe(0x67);
    expect(sim.counters().queries).toBe(4);
  });

  it('answers ESME_RINVCMDID when told the SMSC has no query_sm', async () => {
    sim = await startSmscSimulator({ behaviour: { querySm: false } });
    const client = await bound();
    const response = await client.submit({});
    expect((await query(client, response.message_id!)).command_status).toBe(0x03);
  });
});

describe('receipts the ESME did not take', () => {
  it('sends a receipt again after receiptResendMs when deliver_sm_resp carries an error', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptResendMs: 100 } });
    const client = await bound();
    client.session.removeAllListeners('deliver_sm');
    const seen: number[] = [];
    client.session.on('deliver_sm', (pdu: PDU) => {
      // the first copy refused (the store failed), the second taken
      client.session.send(pdu.response({ command_status: seen.length === 0 ? 0x08 : 0 }));
      seen.push(Date.now());
    });
    await client.submit({});
    const deadline = Date.now() + 2_000;
    while (seen.length < 2 && Date.now() < deadline) await sleep(10);
    expect(seen).toHaveLength(2);
    expect(seen[1] - seen[0]).toBeGreaterThanOrEqual(90);
    await sleep(250);
    expect(seen).toHaveLength(2);
    expect(sim.counters().receipts).toMatchObject({ sent: 2, refused: 1, redelivered: 1 });
  });

  it('sends a receipt again when it is not answered within receiptResendMs, on the same link', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptResendMs: 100 } });
    const client = await bound();
    client.session.removeAllListeners('deliver_sm');
    const seen: PDU[] = [];
    client.session.on('deliver_sm', (pdu: PDU) => {
      seen.push(pdu);
      if (seen.length > 1) client.session.send(pdu.response());
    });
    const response = await client.submit({});
    const deadline = Date.now() + 2_000;
    while (seen.length < 2 && Date.now() < deadline) await sleep(10);
    expect(seen.map((pdu) => pdu.receipted_message_id)).toEqual([response.message_id, response.message_id]);
    expect(sim.counters().receipts.redelivered).toBe(1);
  });
});

describe('restart', () => {
  it('drops every link and numbers messages from the start again', async () => {
    sim = await startSmscSimulator();
    const first = await bound();
    const before = await first.submit({});
    sim.restart({ messageIdsFromStart: true });
    await first.waitForClose();
    const second = await bound();
    const after = await second.submit({});
    expect(after.message_id).toBe(before.message_id);
    sim.restart();
    const third = await bound();
    expect((await third.submit({})).message_id).not.toBe(before.message_id);
  });
});
