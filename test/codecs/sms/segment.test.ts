import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { MAX_TP_UD_OCTETS } from '../../../codecs/sms/data-coding.ts';
import {
  NOKIA_OTA_SETTINGS_PORT,
  NOKIA_OTA_SOURCE_PORT,
  WAP_CL_SESSION_PORT,
  WAP_PUSH_PORT,
} from '../../../codecs/sms/ports.ts';
import { segmentDatagram, type SegmentOptions } from '../../../codecs/sms/segment.ts';
import { decodeUdh } from '../../../codecs/sms/udh.ts';
import { publicVectors } from '../../support/fixtures.ts';
import { SeededRandom } from '../../support/seeded-random.ts';

const WAP_PUSH: SegmentOptions = {
  destinationPort: WAP_PUSH_PORT,
  sourcePort: WAP_CL_SESSION_PORT,
  reference: 0x42,
};

/** docs/protocol.md §4.7: the 56-octet WSP PDU of the worked example (MAC is the Gecko NETWPIN vector). */
const WORKED_EXAMPLE_WSP =
  '01062f1f2db6918092' +
  '31414635343546453238323344433933343730363434353046393046463142424639353745313436' +
  '00' +
  '030b6a004501';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('segmentDatagram, one SMS', () => {
  it('sends the worked example as one SMS with the port element only: 63 octets of TP-UD (docs/protocol.md §4.7)', () => {
    const segments = segmentDatagram(fromHex(WORKED_EXAMPLE_WSP), WAP_PUSH);
    expect(segments).toHaveLength(1);
    expect(toHex(segments[0].tpud)).toBe('0605040b8423f0' + WORKED_EXAMPLE_WSP);
    expect(segments[0].tpud.length).toBe(63);
    expect(segments[0]).toMatchObject({ index: 1, total: 1, udhi: true });
  });

  it("reproduces smsj's Nokia OTA bookmark SMS (public vector nokia-ota-bookmark)", () => {
    const vector = publicVectors().find((entry) => entry.name === 'nokia-ota-bookmark')!;
    const segments = segmentDatagram(fromHex(vector.tpud_without_udh as string), {
      destinationPort: NOKIA_OTA_SETTINGS_PORT,
      sourcePort: NOKIA_OTA_SOURCE_PORT,
      reference: 0,
    });
    expect(segments.map((segment) => toHex(segment.tpud))).toEqual([
      (vector.udh as string) + (vector.tpud_without_udh as string),
    ]);
  });

  it('fits 133 octets in one SMS and needs two for 134 (docs/protocol.md §5.2)', () => {
    const one = segmentDatagram(new Uint8Array(133), WAP_PUSH);
    expect(one).toHaveLength(1);
    expect(one[0].tpud.length).toBe(MAX_TP_UD_OCTETS);
    expect(segmentDatagram(new Uint8Array(134), WAP_PUSH)).toHaveLength(2);
  });

  it('sends an empty datagram as one SMS with just the port element', () => {
    expect(segmentDatagram(new Uint8Array(0), WAP_PUSH).map((segment) => toHex(segment.tpud))).toEqual([
      '0605040b8423f0',
    ]);
  });
});

describe('segmentDatagram, concatenated', () => {
  it.each([
    [134, 2],
    [300, 3],
    [1000, 8],
    [128 * 255, 255],
  ])('splits %i octets into %i parts of 128 (docs/protocol.md §5.2)', (length, parts) => {
    expect(segmentDatagram(new Uint8Array(length), WAP_PUSH)).toHaveLength(parts);
  });

  it('puts the port element and the 8-bit concatenation element in every part', () => {
    const payload = new SeededRandom(7).bytes(300);
    const segments = segmentDatagram(payload, WAP_PUSH);
    for (const segment of segments) {
      expect(toHex(segment.tpud.subarray(0, 12))).toBe(
        '0b0504' + '0b8423f0' + '0003' + '42' + '03' + segment.index.toString(16).padStart(2, '0'),
      );
      expect(segment).toMatchObject({ total: 3, reference: 0x42, udhi: true });
      expect(segment.tpud.length).toBeLessThanOrEqual(MAX_TP_UD_OCTETS);
    }
    expect(segments.map((segment) => segment.index)).toEqual([1, 2, 3]);
    expect(segments.map((segment) => segment.tpud.length)).toEqual([140, 140, 12 + 300 - 256]);
    const joined = Buffer.concat(segments.map((segment) => decodeUdh(segment.tpud).payload));
    expect(toHex(joined)).toBe(toHex(payload));
  });

  it('carries 127 octets per part with a 16-bit reference (docs/protocol.md §5.2)', () => {
    const segments = segmentDatagram(new Uint8Array(254), {
      ...WAP_PUSH,
      reference: 0xbeef,
      referenceBits: 16,
    });
    expect(segments).toHaveLength(2);
    expect(toHex(segments[1].tpud.subarray(0, 13))).toBe('0c0504' + '0b8423f0' + '0804' + 'beef0202');
    expect(segments[1].tpud.length).toBe(140);
    expect(segmentDatagram(new Uint8Array(255), { ...WAP_PUSH, referenceBits: 16 })).toHaveLength(3);
  });

  it('refuses a datagram that needs more than 255 parts', () => {
    expect(codeOf(() => segmentDatagram(new Uint8Array(128 * 255 + 1), WAP_PUSH))).toBe(
      'SMS_TOO_MANY_SEGMENTS',
    );
    expect(
      codeOf(() => segmentDatagram(new Uint8Array(127 * 255 + 1), { ...WAP_PUSH, referenceBits: 16 })),
    ).toBe('SMS_TOO_MANY_SEGMENTS');
  });

  it('never makes a TP-UD longer than 140 octets', () => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 200; i++) {
      const length = random.int(0, 3000);
      const referenceBits = random.pick([8, 16] as const);
      for (const segment of segmentDatagram(new Uint8Array(length), { ...WAP_PUSH, referenceBits })) {
        expect(segment.tpud.length).toBeLessThanOrEqual(MAX_TP_UD_OCTETS);
      }
    }
  });
});

describe('segmentDatagram, TLV mode (docs/protocol.md §5.4)', () => {
  const TLV: SegmentOptions = { ...WAP_PUSH, mode: 'tlv' };

  it('sends up to 133 octets as one part with ports and no SAR values (the SMSC adds a 7-octet port UDH)', () => {
    const segments = segmentDatagram(new Uint8Array(133).fill(1), TLV);
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatchObject({
      index: 1,
      total: 1,
      udhi: false,
      tlv: { sourcePort: WAP_CL_SESSION_PORT, destinationPort: WAP_PUSH_PORT },
    });
    expect(segments[0].tlv).not.toHaveProperty('sarMsgRefNum');
    expect(segments[0].tpud.length).toBe(133);
  });

  it('splits by 127 with SAR values and no UDH, leaving room for the 16-bit concatenation UDH the SMSC may build', () => {
    const payload = new SeededRandom(3).bytes(134);
    expect(segmentDatagram(payload, TLV).map((segment) => segment.tpud.length)).toEqual([127, 7]);
    const segments = segmentDatagram(payload, { ...TLV, reference: 0x1234 });
    expect(segments.map((segment) => segment.tlv)).toEqual([
      {
        sourcePort: 9200,
        destinationPort: 2948,
        sarMsgRefNum: 0x1234,
        sarTotalSegments: 2,
        sarSegmentSeqnum: 1,
      },
      {
        sourcePort: 9200,
        destinationPort: 2948,
        sarMsgRefNum: 0x1234,
        sarTotalSegments: 2,
        sarSegmentSeqnum: 2,
      },
    ]);
    expect(toHex(Buffer.concat(segments.map((segment) => segment.tpud)))).toBe(toHex(payload));
    expect(segments.every((segment) => !segment.udhi)).toBe(true);
  });

  it('refuses more than 255 parts', () => {
    expect(codeOf(() => segmentDatagram(new Uint8Array(127 * 255 + 1), TLV))).toBe('SMS_TOO_MANY_SEGMENTS');
  });
});

describe('segmentDatagram option checks', () => {
  it.each<[string, Partial<SegmentOptions>]>([
    ['SMS_BAD_PORT', { destinationPort: 65536 }],
    ['SMS_BAD_PORT', { sourcePort: -1 }],
    ['SMS_BAD_REFERENCE', { reference: 256 }],
    ['SMS_BAD_REFERENCE', { reference: 65536, referenceBits: 16 }],
    ['SMS_BAD_REFERENCE', { reference: 1.5 }],
  ])('throws %s for %j', (code, options) => {
    expect(codeOf(() => segmentDatagram(new Uint8Array(10), { ...WAP_PUSH, ...options }))).toBe(code);
  });

  it('takes a 16-bit reference in TLV mode (sar_msg_ref_num has two octets)', () => {
    expect(
      segmentDatagram(new Uint8Array(300), { ...WAP_PUSH, mode: 'tlv', reference: 40000 })[0].tlv
        ?.sarMsgRefNum,
    ).toBe(40000);
  });
});
