import { afterEach, describe, expect, it } from 'vitest';
import { MoError, startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient } from './smpp-test-client.ts';

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

describe('MO and USSD injection', () => {
  it('delivers an MO SMS in the GSM default alphabet and resolves on deliver_sm_resp', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    await sim.injectMo({ from: '447700900123', to: '2020', text: 'SETTINGS {x}' });
    const [mo] = client.delivered;
    expect(mo.esm_class).toBe(0);
    expect(mo.data_coding).toBe(0);
    expect(mo.source_addr).toBe('447700900123');
    expect(mo.destination_addr).toBe('2020');
    expect(mo.short_message?.message).toBe('SETTINGS {x}'); // node-smpp decodes data_coding 0 as GSM
    expect(sim.counters().mo.sent).toBe(1);
  });

  it('delivers Latin-1 and UCS-2 text with the matching data_coding', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    await sim.injectMo({ from: '1', to: '2', text: 'déjà vu', coding: 'latin1' });
    await sim.injectMo({ from: '1', to: '2', text: 'Настройки' });
    const [latin1, ucs2] = client.delivered;
    expect(latin1.data_coding).toBe(0x03);
    expect(latin1.short_message?.message).toBe('déjà vu');
    expect(ucs2.data_coding).toBe(0x08);
    expect(ucs2.short_message?.message).toBe('Настройки');
  });

  it('delivers USSD with the ussd_service_op TLV', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    await sim.injectMo({
      from: '447700900123',
      to: '*100#',
      text: '*100*1#',
      ussd: { op: 'pssr-indication' },
    });
    await sim.injectMo({ from: '447700900123', to: '*100#', text: '1', ussd: { op: 18 } });
    const [request, confirm] = client.delivered;
    expect(request.ussd_service_op).toBe(1);
    expect(request.service_type).toBe('USSD');
    expect(confirm.ussd_service_op).toBe(18);
  });

  it('goes to a receiver bind, not a transmitter', async () => {
    sim = await startSmscSimulator();
    const transmitter = await bound('bind_transmitter');
    const receiver = await bound('bind_receiver');
    await sim.injectMo({ from: '1', to: '2', text: 'hi' });
    expect(receiver.delivered).toHaveLength(1);
    expect(transmitter.delivered).toHaveLength(0);
  });

  it('rejects with NO_RECEIVER_BIND when nobody can take it', async () => {
    sim = await startSmscSimulator();
    await bound('bind_transmitter');
    const error = await sim.injectMo({ from: '1', to: '2', text: 'hi' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MoError);
    expect((error as MoError).code).toBe('NO_RECEIVER_BIND');
  });

  it('rejects with MO_NOT_GSM7 when GSM 7-bit is forced on text it cannot carry', async () => {
    sim = await startSmscSimulator();
    await bound();
    const error = await sim
      .injectMo({ from: '1', to: '2', text: 'Ж', coding: 'gsm7' })
      .catch((caught: unknown) => caught);
    expect((error as MoError).code).toBe('MO_NOT_GSM7');
  });
});
