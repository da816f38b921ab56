import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { encodeDeliverSm, encodeSubmitSmResp, nextSequence } from '../../src/smsc-sim/pdu-writer.ts';
import { moFields } from '../../src/smsc-sim/mo.ts';
import { receiptFields } from '../../src/smsc-sim/receipts.ts';

/** node-smpp's own encoder is the reference: the fast path must put exactly its bytes on the wire. */
describe('pdu writer', () => {
  it('writes submit_sm_resp as node-smpp does, with and without an error status', () => {
    const ok = new smpp.PDU('submit_sm_resp', { sequence_number: 7, message_id: '1000000a' }).toBuffer();
    const refused = new smpp.PDU('submit_sm_resp', { sequence_number: 8, command_status: 0x58 }).toBuffer();
    expect(encodeSubmitSmResp(7, 0, '1000000a')).toEqual(ok);
    expect(encodeSubmitSmResp(8, 0x58, '')).toEqual(refused);
  });

  it.each(['tlv', 'text', 'both'] as const)('writes a %s receipt deliver_sm as node-smpp does', (format) => {
    const fields = receiptFields({
      format,
      stat: 'UNDELIV',
      textId: '268435466',
      tlvId: '1000000a',
      submittedAt: Date.UTC(2024, 0, 2, 3, 4),
      doneAt: Date.UTC(2024, 0, 2, 3, 5),
      originalText: 'hi',
      sourceAddr: 'OTAGW',
      sourceAddrTon: 5,
      sourceAddrNpi: 0,
      destinationAddr: '447700900001',
      destinationAddrTon: 1,
      destinationAddrNpi: 1,
    });
    const reference = new smpp.PDU('deliver_sm', { ...fields, sequence_number: 42 }).toBuffer();
    expect(encodeDeliverSm(42, fields)).toEqual(reference);
  });

  it('writes USSD and long MO deliver_sm as node-smpp does', () => {
    for (const fields of [
      moFields({ from: '447700900001', to: '*100#', text: '*100#', ussd: {} }),
      moFields({ from: '447700900001', to: '2020', text: 'long '.repeat(60) }),
    ]) {
      const reference = new smpp.PDU('deliver_sm', { ...fields, sequence_number: 3 }).toBuffer();
      expect(encodeDeliverSm(3, fields)).toEqual(reference);
    }
  });

  it('numbers requests like node-smpp, wrapping after 0x7FFFFFFF', () => {
    const session = { sequence: 0x7ffffffe };
    expect([nextSequence(session), nextSequence(session), nextSequence(session)]).toEqual([0x7fffffff, 1, 2]);
  });
});
