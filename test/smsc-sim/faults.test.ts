import { afterEach, describe, expect, it } from 'vitest';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient, sleep } from './smpp-test-client.ts';

let sim: SmscSimulator;
const clients: TestClient[] = [];
async function bound(systemId = 'otagw', password = 'otagwsim') {
  const client = await TestClient.bound(sim.port, systemId, password);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await sim?.close();
});

const statuses = (responses: Array<{ command_status: number }>) =>
  responses.map((response) => response.command_status);

describe('fault injection', () => {
  it('throttles a burst above the per-bind TPS with ESME_RTHROTTLED', async () => {
    // 1/s with a 2 s bucket: 2 tokens, the next one a second later
    sim = await startSmscSimulator({ behaviour: { throttleTpsPerBind: 1, throttleBurstMs: 2000 } });
    const client = await bound();
    const burst = await Promise.all(Array.from({ length: 6 }, () => client.submit({})));
    expect(statuses(burst)).toEqual([0, 0, 0x58, 0x58, 0x58, 0x58]);
    expect(sim.counters().errors).toEqual({ ESME_RTHROTTLED: 4 });
    sim.setBehaviour({ throttleTpsPerBind: null });
    expect((await client.submit({})).command_status).toBe(0);
  });

  it('shares the per-system TPS between the binds of one system', async () => {
    sim = await startSmscSimulator({
      accounts: [
        { systemId: 'alpha', password: 'a' },
        { systemId: 'beta', password: 'b' },
      ],
      behaviour: { throttleTpsPerSystem: 1, throttleBurstMs: 3000 },
    });
    const first = await bound('alpha', 'a');
    const second = await bound('alpha', 'a');
    const other = await bound('beta', 'b');
    const responses = [
      ...(await Promise.all([first.submit({}), first.submit({})])),
      ...(await Promise.all([second.submit({}), second.submit({})])),
    ];
    expect(statuses(responses)).toEqual([0, 0, 0, 0x58]);
    expect((await other.submit({})).command_status).toBe(0);
  });

  it('answers ESME_RMSGQFUL beyond windowLimit unanswered submits', async () => {
    sim = await startSmscSimulator({ behaviour: { windowLimit: 3, responseDelayMs: 300 } });
    const client = await bound();
    const responses = await Promise.all(Array.from({ length: 5 }, () => client.submit({})));
    expect(statuses(responses)).toEqual([0, 0, 0, 0x14, 0x14]);
    // once answered, the window is free again
    expect((await client.submit({})).command_status).toBe(0);
  });

  it('accepts a submit but never sends its receipt (lost receipt)', async () => {
    sim = await startSmscSimulator({ behaviour: { lostReceiptPercent: 50 } });
    const client = await bound();
    const responses = await Promise.all(Array.from({ length: 4 }, () => client.submit({})));
    expect(statuses(responses)).toEqual([0, 0, 0, 0]);
    await client.waitForDeliveries(2);
    await sleep(30);
    expect(client.delivered).toHaveLength(2);
    expect(sim.counters().receipts).toMatchObject({ sent: 2, lost: 2 });
  });

  it('never answers some submits (lost response), while their receipts still come', async () => {
    sim = await startSmscSimulator({ behaviour: { lostResponsePercent: 50 } });
    const client = await bound();
    const answered: string[] = [];
    for (let i = 0; i < 4; i++) {
      void client.submit({}).then((response) => answered.push(response.message_id as string));
    }
    const receipts = await client.waitForDeliveries(4);
    await sleep(20);
    expect(answered).toHaveLength(2);
    expect(sim.counters().submits).toMatchObject({ accepted: 4, unanswered: 2 });
    const unanswered = sim.submitted().filter((segment) => segment.respMessageId === null);
    expect(unanswered).toHaveLength(2);
    expect(receipts.map((pdu) => pdu.receipted_message_id)).toEqual(
      expect.arrayContaining(unanswered.map((s) => s.messageId)),
    );
  });

  it('answers a fixed error status for matching destinations', async () => {
    sim = await startSmscSimulator({
      behaviour: {
        destinationErrors: [
          { prefix: '999', status: 'ESME_RINVDSTADR' },
          { glob: '88*', status: 0x45 },
        ],
      },
    });
    const client = await bound();
    expect((await client.submit({ destination_addr: '999123' })).command_status).toBe(0x0b);
    expect((await client.submit({ destination_addr: '88123' })).command_status).toBe(0x45);
    expect((await client.submit({ destination_addr: '77123' })).command_status).toBe(0);
    expect(sim.counters().errors).toEqual({ ESME_RINVDSTADR: 1, ESME_RSUBMITFAIL: 1 });
    await client.waitForDeliveries(1);
    await sleep(20);
    expect(client.delivered).toHaveLength(1);
  });

  it('answers some submits with generic_nack', async () => {
    sim = await startSmscSimulator({ behaviour: { genericNackPercent: 50 } });
    const client = await bound();
    const responses = await Promise.all(Array.from({ length: 4 }, () => client.submit({})));
    expect(responses.map((response) => response.command)).toEqual([
      'submit_sm_resp',
      'generic_nack',
      'submit_sm_resp',
      'generic_nack',
    ]);
    expect(responses[1].command_status).toBe(0x02);
    expect(sim.counters().genericNacks).toBe(2);
  });

  it('closes the connection after N submits, answering the Nth first', async () => {
    sim = await startSmscSimulator({ behaviour: { dropAfterSubmits: 3 } });
    const client = await bound();
    const responses = await Promise.all(Array.from({ length: 3 }, () => client.submit({})));
    expect(statuses(responses)).toEqual([0, 0, 0]);
    await client.waitForClose();
    expect(sim.counters()).toMatchObject({ connectionsDropped: 1, binds: { current: 0 } });
    // receipts the dropped link did not acknowledge wait for the next bind: none is lost
    const again = await bound();
    await again.waitForDeliveries(3 - client.delivered.length);
    const receiptIds = new Set(
      [...client.delivered, ...again.delivered].map((pdu) => pdu.receipted_message_id),
    );
    expect(receiptIds).toEqual(new Set(responses.map((response) => response.message_id)));
    expect(sim.counters().receipts.parked).toBe(0);
  });

  it('sends a receipt again on another bind when the link drops before deliver_sm_resp', async () => {
    sim = await startSmscSimulator({ behaviour: { receiptDelayMs: 20 } });
    const silent = await TestClient.connect(sim.port);
    clients.push(silent);
    await silent.request('bind_transceiver', { system_id: 'otagw', password: 'otagwsim' });
    silent.session.removeAllListeners('deliver_sm'); // a client that never acknowledges
    const seen: string[] = [];
    silent.session.on('deliver_sm', (pdu) => seen.push(pdu.receipted_message_id as string));
    const response = await silent.submit({});
    while (seen.length === 0) await sleep(5);
    sim.dropConnections();
    await silent.waitForClose();
    const next = await bound();
    const [again] = await next.waitForDeliveries(1);
    expect(again.receipted_message_id).toBe(response.message_id);
    expect(sim.counters().receipts).toMatchObject({ sent: 2, redelivered: 1 });
  });

  it('delays every submit_sm_resp by responseDelayMs', async () => {
    sim = await startSmscSimulator({ behaviour: { responseDelayMs: 300 } });
    const client = await bound();
    let answered = false;
    const pending = client.submit({}).then(() => (answered = true));
    await client.request('enquire_link'); // answered at once, so the submit has been read by now
    expect(answered).toBe(false);
    await pending;
    expect(sim.counters().submits.accepted).toBe(1);
  });

  it('answers unknown commands with generic_nack ESME_RINVCMDID', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    const raw = Buffer.alloc(16);
    raw.writeUInt32BE(16, 0);
    raw.writeUInt32BE(0x00000fff, 4); // no such command id
    raw.writeUInt32BE(0, 8);
    raw.writeUInt32BE(77, 12);
    const nack = new Promise<{ command: string; status: number; sequence: number }>((resolve) =>
      client.session.once('generic_nack', (pdu) =>
        resolve({ command: pdu.command, status: pdu.command_status, sequence: pdu.sequence_number }),
      ),
    );
    client.session.socket.write(raw);
    expect(await nack).toEqual({ command: 'generic_nack', status: 0x03, sequence: 77 });
  });
});
