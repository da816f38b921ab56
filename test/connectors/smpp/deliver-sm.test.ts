import smpp from 'smpp';
import type { PduFields } from 'smpp';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import {
  isReceipt,
  readDataSm,
  readDeliverSm,
  readMo,
  readReceipt,
} from '../../../src/connectors/smpp/deliver-sm.ts';

/** deliver_sm bytes as node-smpp (another implementation) encodes them */
function deliverSm(fields: PduFields): Buffer {
  return new smpp.PDU('deliver_sm', {
    source_addr: '447700900123',
    destination_addr: '1234',
    ...fields,
  }).toBuffer();
}

const dec = { text: 'dec', tlv: 'dec' } as const;

describe('deliver_sm receipts', () => {
  it('prefers the TLVs (receipted_message_id, message_state, network_error_code)', () => {
    const message = readDeliverSm(
      deliverSm({
        esm_class: 0x04,
        short_message: Buffer.from('id:999 stat:EXPIRED err:001'),
        receipted_message_id: '00042',
        message_state: 2,
        network_error_code: Buffer.from([0x03, 0x00, 0x00]),
      }),
    );
    expect(isReceipt(message)).toBe(true);
    expect(readReceipt(message, 'smsc', dec)).toMatchObject({
      messageId: '42',
      rawMessageId: '00042',
      state: 'delivered',
      source: 'tlv',
      networkErrorCode: 0,
      stat: 'EXPIRED',
      destination: '447700900123',
    });
  });

  it('falls back to the text when there are no TLVs', () => {
    const text =
      'id:1A2B sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:UNDELIV err:034 text:';
    const message = readDeliverSm(deliverSm({ esm_class: 0x04, short_message: Buffer.from(text) }));
    const report = readReceipt(message, 'smsc', { text: 'hex', tlv: 'hex' });
    expect(report).toMatchObject({
      messageId: String(0x1a2b),
      state: 'failed',
      source: 'text',
      stat: 'UNDELIV',
      error: '034',
    });
    expect(report?.doneAt?.toISOString()).toBe('2024-01-01T12:01:00.000Z');
  });

  it('reads receipt text from message_payload when short_message is empty', () => {
    const text = Buffer.from('id:5 stat:DELIVRD');
    const raw = Buffer.concat([
      deliverSm({ esm_class: 0x04 }),
      Buffer.from([0x04, 0x24, 0x00, text.length]), // message_payload TLV 0x0424 (SMPP 3.4 §5.3.2.32)
      text,
    ]);
    raw.writeUInt32BE(raw.length, 0);
    const report = readReceipt(readDeliverSm(raw), 'smsc', dec);
    expect(report).toMatchObject({ messageId: '5', stat: 'DELIVRD', state: 'delivered' });
  });

  it('recognises a receipt by receipted_message_id even with esm_class 0', () => {
    const message = readDeliverSm(deliverSm({ esm_class: 0, receipted_message_id: '7', message_state: 5 }));
    expect(isReceipt(message)).toBe(true);
    expect(readReceipt(message, 'smsc', dec)?.state).toBe('failed');
  });

  it('gives nothing for a receipt without any id', () => {
    const message = readDeliverSm(deliverSm({ esm_class: 0x04, short_message: Buffer.from('stat:DELIVRD') }));
    expect(readReceipt(message, 'smsc', dec)).toBeUndefined();
  });
});

describe('deliver_sm MO messages', () => {
  it('decodes GSM text with the raw bytes alongside', () => {
    const message = readDeliverSm(
      deliverSm({ data_coding: 0, short_message: Buffer.from([0x53, 0x45, 0x54, 0x00]) }),
    );
    expect(isReceipt(message)).toBe(false);
    const mo = readMo(message, 'smsc');
    expect(mo).toMatchObject({ from: '447700900123', to: '1234', text: 'SET@', dataCoding: 0 });
    expect(Array.from(mo.bytes)).toEqual([0x53, 0x45, 0x54, 0x00]);
  });

  it('splits off a UDH when UDHI is set', () => {
    const message = readDeliverSm(
      deliverSm({
        esm_class: 0x40,
        data_coding: 8,
        short_message: Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x48]),
      }),
    );
    const mo = readMo(message, 'smsc');
    expect(Array.from(mo.udh ?? [])).toEqual([0x05, 0x00, 0x03, 0x01, 0x02, 0x01]);
    expect(mo.text).toBe('H');
  });

  it('marks USSD by ussd_service_op', () => {
    const message = readDeliverSm(
      deliverSm({ service_type: 'USSD', short_message: Buffer.from('*123#'), ussd_service_op: 1 }),
    );
    expect(readMo(message, 'smsc')).toMatchObject({ text: '*123#', ussd: { serviceOp: 1 } });
  });

  it('reads data_sm with its content in message_payload', () => {
    const pdu = new smpp.PDU('data_sm', {
      source_addr: '447700900123',
      destination_addr: '1234',
      data_coding: 3,
      message_payload: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    });
    expect(readMo(readDataSm(pdu.toBuffer()), 'smsc').text).toBe('café');
  });

  it('throws only CodecError on truncated bodies', () => {
    const full = deliverSm({ short_message: Buffer.from('hello'), ussd_service_op: 1 });
    for (let length = 16; length < full.length - 5; length++) {
      try {
        readDeliverSm(full.subarray(0, length));
      } catch (error) {
        expect(error).toBeInstanceOf(CodecError);
      }
    }
  });
});
