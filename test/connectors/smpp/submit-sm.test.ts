import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { parseSmscConfig, parseSmscUrl } from '../../../src/connectors/config.ts';
import {
  buildSubmitSm,
  relativeValidityPeriod,
  submitSmTemplate,
} from '../../../src/connectors/smpp/submit-sm.ts';
import type { OutboundPush, SmsSegment } from '../../../src/connectors/types.ts';
import { textPush } from '../../../src/texts/send.ts';

const base = { host: '127.0.0.1', systemId: 'otagw', password: 'secret' };

// docs/protocol.md §5.2: port16 + concat8 UDH, `0B 05 04 0B 84 23 F0 00 03 rr tt nn`, then the WSP payload
const udh = [0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x2a, 0x02, 0x01];
const segment: SmsSegment = {
  index: 1,
  total: 2,
  reference: 0x2a,
  tpud: Uint8Array.from([...udh, 0x01, 0x06, 0x2f]),
  udhi: true,
  tlv: {
    sourcePort: 9200,
    destinationPort: 2948,
    sarMsgRefNum: 0x2a,
    sarTotalSegments: 2,
    sarSegmentSeqnum: 1,
  },
};
const push: OutboundPush = { id: 'p1', destination: '447700900123', segments: [segment] };

function encodeDecode(fields: ReturnType<typeof buildSubmitSm>) {
  return new smpp.PDU(new smpp.PDU('submit_sm', fields).toBuffer());
}

describe('submit_sm for a segment', () => {
  it('sends the UDH in short_message with UDHI set and the configured DCS', () => {
    const config = parseSmscConfig({ ...base, sourceAddr: '1234', esmClass: 0x03 });
    const fields = buildSubmitSm(submitSmTemplate(config), config, push, segment);
    const decoded = encodeDecode(fields);
    expect(decoded.esm_class).toBe(0x43);
    expect(decoded.data_coding).toBe(0x04);
    expect(decoded.registered_delivery).toBe(1);
    expect(decoded.destination_addr).toBe('447700900123');
    expect(decoded.source_addr).toBe('1234');
    expect(decoded.dest_addr_ton).toBe(1);
    expect(Buffer.from(fields.short_message as Buffer)).toEqual(Buffer.from(segment.tpud));
  });

  it('sends ports and SAR as TLVs without a UDH in TLV mode', () => {
    const config = parseSmscConfig({ ...base, segmentMode: 'tlv' });
    const fields = buildSubmitSm(submitSmTemplate(config), config, push, segment);
    const decoded = encodeDecode(fields);
    expect(decoded.esm_class).toBe(0x00);
    expect(fields.short_message).toEqual(Buffer.from([0x01, 0x06, 0x2f]));
    expect(decoded.source_port).toBe(9200);
    expect(decoded.dest_port).toBe(2948);
    expect(decoded.sar_msg_ref_num).toBe(0x2a);
    expect(decoded.sar_total_segments).toBe(2);
    expect(decoded.sar_segment_seqnum).toBe(1);
  });

  it('sends a push without receipts when it asks for none, and sets a relative validity', () => {
    const config = parseSmscConfig(base);
    const fields = buildSubmitSm(
      submitSmTemplate(config),
      config,
      { ...push, receipts: 'none', validityMinutes: 24 * 60 + 90 },
      segment,
    );
    expect(fields.data_coding).toBe(0x04);
    expect(fields.registered_delivery).toBe(0);
    expect(fields.validity_period).toBe('000001013000000R');
  });

  it('sends a wap-push with the data coding configured for the SMSC (dcs= in SMSC_URL)', () => {
    const config = parseSmscUrl('smpp://otagw:secret@127.0.0.1:2775?dcs=245');
    const template = submitSmTemplate(config);
    const fields = buildSubmitSm(template, config, { ...push, kind: 'wap-push' }, segment);
    expect(fields.data_coding).toBe(0xf5);
    expect(fields.esm_class).toBe(0x40);
    // a push that does not say its kind is a wap-push
    expect(buildSubmitSm(template, config, push, segment).data_coding).toBe(0xf5);
  });

  it('sends text in the SMSC default alphabet, without UDHI or port TLVs, in either segment mode', () => {
    const text: SmsSegment = { index: 1, total: 1, reference: 0, tpud: Buffer.from('PIN 1234'), udhi: false };
    for (const segmentMode of ['udh', 'tlv'] as const) {
      const config = parseSmscConfig({ ...base, segmentMode, dataCoding: 0xf5, esmClass: 0x03 });
      const fields = buildSubmitSm(
        submitSmTemplate(config),
        config,
        { id: 'pin', destination: '447700900123', kind: 'text', segments: [text] },
        text,
      );
      const decoded = encodeDecode(fields);
      expect(decoded.data_coding).toBe(0x00);
      expect(decoded.esm_class).toBe(0x03);
      expect(fields.short_message).toEqual(Buffer.from('PIN 1234'));
      expect(decoded.dest_port).toBeUndefined();
      expect(decoded.sar_msg_ref_num).toBeUndefined();
    }
  });

  it('sends UCS-2 text with data_coding 0x08 and concatenated text with UDHI, in either segment mode', () => {
    for (const segmentMode of ['udh', 'tlv'] as const) {
      const config = parseSmscConfig({ ...base, segmentMode });
      const ucs2 = textPush({ id: 't1', destination: '447700900123', text: 'Привет' });
      const [single] = ucs2.segments.map((part) =>
        buildSubmitSm(submitSmTemplate(config), config, ucs2, part),
      );
      expect([single.data_coding, single.esm_class]).toEqual([0x08, 0x00]);
      const long = textPush({ id: 't2', destination: '447700900123', text: 'a'.repeat(200) });
      const parts = long.segments.map((part) =>
        encodeDecode(buildSubmitSm(submitSmTemplate(config), config, long, part)),
      );
      expect(parts.map((part) => [part.data_coding, part.esm_class])).toEqual([
        [0x00, 0x40],
        [0x00, 0x40],
      ]);
      expect(parts.map((part) => part.dest_port)).toEqual([undefined, undefined]);
    }
  });

  it('sends text from the push’s sender address, else the SMSC’s', () => {
    const config = parseSmscConfig({ ...base, sourceAddr: 'Northwind' });
    const from = textPush({ id: 't', destination: '447700900123', text: 'hi', source: '2020' });
    expect(buildSubmitSm(submitSmTemplate(config), config, from, from.segments[0]).source_addr).toBe('2020');
    const plain = textPush({ id: 't', destination: '447700900123', text: 'hi' });
    expect(buildSubmitSm(submitSmTemplate(config), config, plain, plain.segments[0]).source_addr).toBe(
      'Northwind',
    );
  });

  it('answers a USSD request in the session (pssr-response) only on an SMSC configured with ussd', () => {
    const answer = textPush({
      id: 'u',
      destination: '447700900123',
      text: 'a'.repeat(300),
      ussdAnswer: true,
    });
    expect(answer.segments).toHaveLength(1); // USSD has no concatenation: the first 160 septets
    const withUssd = parseSmscUrl('smpp://otagw:secret@127.0.0.1:2775?ussd=true');
    const inSession = encodeDecode(
      buildSubmitSm(submitSmTemplate(withUssd), withUssd, answer, answer.segments[0]),
    );
    expect(inSession.ussd_service_op).toBe(17);
    const withoutUssd = parseSmscConfig(base);
    const bySms = encodeDecode(
      buildSubmitSm(submitSmTemplate(withoutUssd), withoutUssd, answer, answer.segments[0]),
    );
    expect(bySms.ussd_service_op).toBeUndefined();
  });

  it('asks for receipts as the SMSC is configured (dlr=), or not at all', () => {
    const config = parseSmscUrl('smpp://otagw:secret@127.0.0.1:2775?dlr=2');
    const template = submitSmTemplate(config);
    const build = (extra: Partial<OutboundPush>) =>
      buildSubmitSm(template, config, { ...push, ...extra }, segment).registered_delivery;
    expect(build({ receipts: 'each-segment' })).toBe(2);
    expect(build({ receipts: 'none' })).toBe(0);
    expect(build({})).toBe(2);
    const silent = parseSmscConfig({ ...base, registeredDelivery: 0 });
    expect(
      buildSubmitSm(submitSmTemplate(silent), silent, { ...push, receipts: 'each-segment' }, segment),
    ).toMatchObject({ registered_delivery: 0 });
  });

  it('refuses a TLV-mode segment without TLV addressing', () => {
    const config = parseSmscConfig({ ...base, segmentMode: 'tlv' });
    const { tlv: _tlv, ...bare } = segment;
    expect(() => buildSubmitSm(submitSmTemplate(config), config, push, bare)).toThrow(/TLV/);
  });

  it('writes relative validity periods as YYMMDDhhmmss000R (SMPP 3.4 §7.1.1)', () => {
    expect(relativeValidityPeriod(5)).toBe('000000000500000R');
    expect(relativeValidityPeriod(200 * 24 * 60)).toBe('000099000000000R');
  });
});
