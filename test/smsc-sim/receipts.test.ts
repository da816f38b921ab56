import { afterEach, describe, expect, it } from 'vitest';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient, receiptTextOf, sleep } from './smpp-test-client.ts';

let sim: SmscSimulator;
const clients: TestClient[] = [];
async function bound(
  command: 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver' = 'bind_transceiver',
) {
  const client = await TestClient.bound(sim.port, 'otagw', 'otagwsim', command);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await sim?.close();
});

const TEXT_ID =
  /^id:(\S+) sub:001 dlvrd:00[01] submit date:\d{10} done date:\d{10} stat:(\w+) err:(\d{3}) text:/;

describe('delivery receipts', () => {
  it('answers submit_sm with a message id and sends a receipt carrying it as TLVs and text', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    const response = await client.submit({ destination_addr: '447700900001' });
    expect(response.command_status).toBe(0);
    const [receipt] = await client.waitForDeliveries(1);
    expect(receipt.esm_class).toBe(0x04);
    expect(receipt.receipted_message_id).toBe(response.message_id);
    expect(receipt.message_state).toBe(2);
    expect(receipt.source_addr).toBe('447700900001');
    expect(receiptTextOf(receipt)).toMatch(TEXT_ID);
    expect(TEXT_ID.exec(receiptTextOf(receipt))?.[1]).toBe(response.message_id);
    expect(sim.submitted()).toEqual([
      expect.objectContaining({
        messageId: response.message_id,
        respMessageId: response.message_id,
        receiptStat: 'DELIVRD',
      }),
    ]);
  });

  it('sends TLVs only in tlv format and text only in text format', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptFormat: 'tlv' } });
    const client = await bound();
    await client.submit({});
    const [tlvOnly] = await client.waitForDeliveries(1);
    expect(tlvOnly.receipted_message_id).toBeDefined();
    expect(receiptTextOf(tlvOnly)).toBe('');
    sim.setBehaviour({ receiptFormat: 'text' });
    await client.submit({});
    const [, textOnly] = await client.waitForDeliveries(2);
    expect(textOnly.receipted_message_id).toBeUndefined();
    expect(textOnly.message_state).toBeUndefined();
    expect(receiptTextOf(textOnly)).toMatch(TEXT_ID);
  });

  it('gives the id in hex in submit_sm_resp and in decimal in the receipt (and vice versa)', async () => {
    sim = await startSmscSimulator({ behaviour: { respIdBase: 'hex', receiptIdBase: 'dec' } });
    const client = await bound();
    const hexResponse = await client.submit({});
    const [receipt] = await client.waitForDeliveries(1);
    expect(hexResponse.message_id).toMatch(/^[0-9a-f]+$/);
    expect(receipt.receipted_message_id).toBe(String(Number.parseInt(hexResponse.message_id as string, 16)));
    expect(TEXT_ID.exec(receiptTextOf(receipt))?.[1]).toBe(receipt.receipted_message_id);

    sim.setBehaviour({ respIdBase: 'dec', receiptIdBase: 'hex', hexUppercase: true });
    const decResponse = await client.submit({});
    const [, second] = await client.waitForDeliveries(2);
    expect(second.receipted_message_id).toBe(Number(decResponse.message_id).toString(16).toUpperCase());
  });

  it('can put a different base in receipted_message_id than in the text', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptIdBase: 'dec', receiptTlvIdBase: 'hex' } });
    const client = await bound();
    const response = await client.submit({});
    const [receipt] = await client.waitForDeliveries(1);
    expect(receipt.receipted_message_id).toBe(Number(response.message_id).toString(16));
    expect(TEXT_ID.exec(receiptTextOf(receipt))?.[1]).toBe(response.message_id);
  });

  it('decides the outcome by destination prefix or glob, first rule first', async () => {
    sim = await startSmscSimulator({
      behaviour: {
        receiptOutcomes: [
          { prefix: '4479', stat: 'UNDELIV' },
          { glob: '4478?*9', stat: 'EXPIRED' },
          { prefix: '447', stat: 'REJECTD' },
        ],
      },
    });
    const client = await bound();
    const destinations = ['447900000001', '447800000009', '447700000001', '331234'];
    for (const destination_addr of destinations) await client.submit({ destination_addr });
    const receipts = await client.waitForDeliveries(4);
    const stateBySource = Object.fromEntries(receipts.map((pdu) => [pdu.source_addr, pdu.message_state]));
    expect(stateBySource).toEqual({ '447900000001': 5, '447800000009': 3, '447700000001': 8, '331234': 2 });
    const statOf = (destination: string) =>
      TEXT_ID.exec(receiptTextOf(receipts.find((pdu) => pdu.source_addr === destination)!))?.[2];
    expect(statOf('447900000001')).toBe('UNDELIV');
    expect(statOf('331234')).toBe('DELIVRD');
  });

  it('mixes outcomes by percentage', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptOutcomeMix: { UNDELIV: 25, EXPIRED: 25 } } });
    const client = await bound();
    await Promise.all(Array.from({ length: 20 }, () => client.submit({})));
    const receipts = await client.waitForDeliveries(20);
    const states = receipts.map((pdu) => pdu.message_state);
    expect(states.filter((state) => state === 5)).toHaveLength(5);
    expect(states.filter((state) => state === 3)).toHaveLength(5);
    expect(states.filter((state) => state === 2)).toHaveLength(10);
  });

  it('sends no receipt when registered_delivery does not ask for one', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptOutcomes: [{ prefix: '9', stat: 'UNDELIV' }] } });
    const client = await bound();
    await client.submit({ registered_delivery: 0 });
    await client.submit({ registered_delivery: 2, destination_addr: '1' }); // failure only, but delivered
    await client.submit({ registered_delivery: 2, destination_addr: '9' }); // failure only, and failed
    const receipts = await client.waitForDeliveries(1);
    await sleep(30);
    expect(client.delivered).toHaveLength(1);
    expect(receipts[0].source_addr).toBe('9');
  });

  it('waits receiptDelayMs before sending the receipt', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptDelayMs: 300 } });
    const client = await bound();
    await client.submit({});
    await client.request('enquire_link');
    expect(client.delivered).toHaveLength(0);
    await client.waitForDeliveries(1);
  });

  it('sends receipts to a receiver bind when the submit came on a transmitter bind', async () => {
    sim = await startSmscSimulator();
    const transmitter = await bound('bind_transmitter');
    const receiver = await bound('bind_receiver');
    const response = await transmitter.submit({});
    const [receipt] = await receiver.waitForDeliveries(1);
    expect(receipt.receipted_message_id).toBe(response.message_id);
    expect(transmitter.delivered).toHaveLength(0);
  });

  it('keeps receipts until a receiver bind of the system comes', async () => {
    sim = await startSmscSimulator();
    const transmitter = await bound('bind_transmitter');
    await transmitter.submit({});
    await transmitter.submit({});
    await sleep(20);
    expect(sim.counters().receipts.parked).toBe(2);
    const receiver = await bound('bind_receiver');
    await receiver.waitForDeliveries(2);
    expect(sim.counters().receipts).toMatchObject({ parked: 0, sent: 2 });
  });

  it('sends receipts on another bind of the same system when told to', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptsOnOtherBind: true } });
    const first = await bound();
    const second = await bound();
    for (let i = 0; i < 4; i++) await first.submit({});
    for (let i = 0; i < 3; i++) await second.submit({});
    await first.waitForDeliveries(3);
    await second.waitForDeliveries(4);
  });

  it('duplicates receipts by percentage', async () => {
    sim = await startSmscSimulator({ behaviour: { duplicateReceiptPercent: 50 } });
    const client = await bound();
    const responses = await Promise.all(Array.from({ length: 4 }, () => client.submit({})));
    const receipts = await client.waitForDeliveries(6);
    const ids = receipts.map((pdu) => pdu.receipted_message_id);
    expect(new Set(ids)).toEqual(new Set(responses.map((response) => response.message_id)));
    expect(sim.counters().receipts).toMatchObject({ sent: 6, duplicates: 2 });
  });

  it('sends the receipt before the submit_sm_resp when told to', async () => {
    sim = await startSmscSimulator({ behaviour: { outOfOrderReceiptPercent: 100, outOfOrderLagMs: 30 } });
    const client = await bound();
    const order: string[] = [];
    client.session.on('deliver_sm', () => order.push('receipt'));
    const response = await client.submit({});
    order.push('response');
    expect(order).toEqual(['receipt', 'response']);
    expect(client.delivered[0].receipted_message_id).toBe(response.message_id);
  });
});
