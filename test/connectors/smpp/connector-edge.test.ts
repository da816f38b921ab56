import type { PDU } from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSmscConfig, type SmscConfigInput } from '../../../src/connectors/config.ts';
import { SmppConnector } from '../../../src/connectors/smpp/smpp-connector.ts';
import type { DeliveryReport } from '../../../src/connectors/types.ts';
import { FAST_TIMERS, pushOf, waitFor } from './harness.ts';
import { selfSignedCertificate, startScriptedSmsc, type ScriptedSmsc } from './scripted-smsc.ts';

let smsc: ScriptedSmsc | undefined;
let connector: SmppConnector | undefined;
afterEach(async () => {
  await connector?.stop();
  await smsc?.close();
  connector = undefined;
  smsc = undefined;
});

async function connect(config: Partial<SmscConfigInput> = {}): Promise<SmppConnector> {
  connector = new SmppConnector(
    parseSmscConfig({
      host: '127.0.0.1',
      port: smsc!.port,
      systemId: 'otagw',
      password: 'secret',
      msgIdResp: 'dec',
      msgIdReceipt: 'dec',
      ...FAST_TIMERS,
      ...config,
    }),
  );
  await connector.start();
  return connector;
}

/** The PDUs the SMSC received from the connector after `from`, of one command. */
const receivedOf = (command: string) => smsc!.received.filter((pdu) => pdu.command === command);

/** A PDU as raw bytes: header (SMPP 3.4 §3.2) + body. */
function rawPdu(commandId: number, sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId, 4);
  header.writeUInt32BE(sequence, 12);
  return Buffer.concat([header, body]);
}

describe('SmppConnector against a scripted SMSC', () => {
  it('binds with interface_version 0x34 and the configured system_type and address range', async () => {
    smsc = await startScriptedSmsc();
    await connect({ systemType: 'OTA', addressRange: '^1234', bindTon: 1, bindNpi: 1 });
    const [bind] = receivedOf('bind_transceiver');
    expect(bind).toMatchObject({
      system_id: 'otagw',
      password: 'secret',
      system_type: 'OTA',
      interface_version: 0x34,
      addr_ton: 1,
      addr_npi: 1,
      address_range: '^1234',
    });
  });

  it('rebinds on ESME_RINVBNDSTS and sends the segment again', async () => {
    smsc = await startScriptedSmsc();
    let first = true;
    smsc.onSubmit = () => {
      if (!first) return 0;
      first = false;
      return 0x04; // ESME_RINVBNDSTS
    };
    await connect();
    const results = await connector!.submit(pushOf('rebind', '447700900001'));
    expect(results[0].ok).toBe(true);
    expect(receivedOf('bind_transceiver')).toHaveLength(2);
    expect(receivedOf('submit_sm')).toHaveLength(2);
  });

  it('answers an unbind from the SMSC and binds again', async () => {
    smsc = await startScriptedSmsc();
    await connect();
    const answered = new Promise<PDU>((resolve) => smsc!.sessions[0].unbind((response) => resolve(response)));
    expect((await answered).command).toBe('unbind_resp');
    await waitFor(
      'a new bind',
      () => receivedOf('bind_transceiver').length === 2 && connector!.isAvailable(),
    );
    expect(connector!.status()[0].lastError).toBeUndefined();
  });

  it("answers the SMSC's enquire_link", async () => {
    smsc = await startScriptedSmsc();
    await connect();
    const response = await new Promise<PDU>((resolve) => smsc!.sessions[0].enquire_link((r) => resolve(r)));
    expect(response).toMatchObject({ command: 'enquire_link_resp', command_status: 0 });
  });

  it('answers an unknown command with generic_nack ESME_RINVCMDID', async () => {
    smsc = await startScriptedSmsc();
    await connect();
    smsc.sessions[0].socket.write(rawPdu(0x00000999, 4242, Buffer.alloc(0)));
    await waitFor('generic_nack', () => receivedOf('generic_nack').length === 1);
    expect(receivedOf('generic_nack')[0]).toMatchObject({ command_status: 0x03, sequence_number: 4242 });
  });

  it('answers a deliver_sm it cannot read, and stays bound', async () => {
    smsc = await startScriptedSmsc();
    await connect();
    smsc.sessions[0].socket.write(rawPdu(0x00000005, 77, Buffer.from('no NUL terminators here')));
    await waitFor('deliver_sm_resp', () => receivedOf('deliver_sm_resp').length === 1);
    expect(receivedOf('deliver_sm_resp')[0]).toMatchObject({ command_status: 0, sequence_number: 77 });
    expect(connector!.isAvailable()).toBe(true);
  });

  it('answers and counts a receipt without any message id', async () => {
    smsc = await startScriptedSmsc();
    await connect();
    smsc.sessions[0].deliver_sm({ esm_class: 0x04, short_message: Buffer.from('stat:DELIVRD') });
    await waitFor('deliver_sm_resp', () => receivedOf('deliver_sm_resp').length === 1);
    expect(connector!.counters().receipts.unreadable).toBe(1);
  });

  it('still matches the receipt of a segment whose response came after the timeout', async () => {
    smsc = await startScriptedSmsc();
    const held: PDU[] = [];
    smsc.onSubmit = (pdu) => {
      held.push(pdu);
      return 'silence';
    };
    await connect({ responseTimeoutMs: 50 });
    const receipts: DeliveryReport[] = [];
    connector!.on('receipt', (report) => receipts.push(report));
    const results = await connector!.submit(pushOf('late', '447700900001'));
    expect(results[0]).toMatchObject({ ok: false, outcome: 'unknown' });
    const session = smsc.sessions[0];
    session.send(held[0].response({ message_id: '000123' }));
    session.deliver_sm({ esm_class: 0x04, receipted_message_id: '123', message_state: 2 });
    await waitFor('the receipt', () => receipts.length === 1);
    expect(receipts[0]).toMatchObject({ pushId: 'late', segmentIndex: 1, state: 'delivered' });
  });

  it('connects over TLS to an SMSC whose certificate it trusts', async () => {
    const { key, cert } = selfSignedCertificate('localhost');
    smsc = await startScriptedSmsc({ key, cert });
    await connect({ host: 'localhost', tls: true, tlsCa: cert });
    expect(connector!.isAvailable()).toBe(true);
    const results = await connector!.submit(pushOf('tls', '447700900001'));
    expect(results[0].ok).toBe(true);
  });

  it('refuses a TLS SMSC whose certificate it does not trust, and keeps retrying', async () => {
    const { key, cert } = selfSignedCertificate('localhost');
    smsc = await startScriptedSmsc({ key, cert });
    await connect({ host: 'localhost', tls: true });
    expect(connector!.isAvailable()).toBe(false);
    expect(connector!.status()[0].lastError).toMatch(/certificate/i);
    expect(['reconnect-wait', 'connecting']).toContain(connector!.status()[0].state);
  });
});
