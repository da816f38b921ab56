import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { WAP_CL_SESSION_PORT, WAP_PUSH_PORT } from '../../../codecs/sms/ports.ts';
import { reassembleSegments, type SegmentInput } from '../../../codecs/sms/reassemble.ts';
import { segmentDatagram, type SegmentOptions } from '../../../codecs/sms/segment.ts';
import { encodeUdh } from '../../../codecs/sms/udh.ts';
import { SeededRandom } from '../../support/seeded-random.ts';
import { permutations } from './permutations.ts';

const WAP_PUSH: SegmentOptions = {
  destinationPort: WAP_PUSH_PORT,
  sourcePort: WAP_CL_SESSION_PORT,
  reference: 0x42,
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

function withUdh(udhHex: string, payloadHex: string): Uint8Array {
  return fromHex(udhHex + payloadHex);
}

describe('reassembleSegments', () => {
  it('returns ports and payload of a single SMS (docs/protocol.md §4.7 UDH)', () => {
    expect(reassembleSegments([fromHex('0605040b8423f0' + '010601b6')])).toEqual({
      destinationPort: 2948,
      sourcePort: 9200,
      payload: fromHex('010601b6'),
    });
  });

  it('reassembles hand-written parts given in any order (docs/protocol.md §5.2 layout)', () => {
    const parts = [
      withUdh('0b0504c34fc002' + '0003' + '070301', 'aa'),
      withUdh('0b0504c34fc002' + '0003' + '070302', 'bbbb'),
      withUdh('0b0504c34fc002' + '0003' + '070303', 'cc'),
    ];
    for (const order of permutations(parts)) {
      expect(reassembleSegments(order)).toEqual({
        destinationPort: 49999,
        sourcePort: 49154,
        reference: 7,
        payload: fromHex('aabbbbcc'),
      });
    }
  });

  it('accepts parts where only the first carries the port element', () => {
    const parts = [
      withUdh('0b0504' + '0b8423f0' + '0003' + '010201', '01'),
      withUdh('05' + '0003' + '010202', '02'),
    ];
    expect(reassembleSegments([parts[1], parts[0]])).toMatchObject({
      destinationPort: 2948,
      payload: fromHex('0102'),
    });
  });

  it('undoes segmentDatagram for random datagrams, orders and reference sizes', () => {
    const random = new SeededRandom(0x5e9);
    for (let i = 0; i < 300; i++) {
      const payload = random.bytes(random.int(0, 2000));
      const referenceBits = random.pick([8, 16] as const);
      const mode = random.pick(['udh', 'tlv'] as const);
      const reference = random.int(0, referenceBits === 8 ? 255 : 65535);
      const segments = segmentDatagram(payload, { ...WAP_PUSH, reference, referenceBits, mode });
      const inputs: SegmentInput[] = mode === 'udh' ? segments.map((segment) => segment.tpud) : segments;
      const result = reassembleSegments(random.shuffle(inputs));
      expect(toHex(result.payload)).toBe(toHex(payload));
      expect(result.destinationPort).toBe(WAP_PUSH_PORT);
      expect(result.sourcePort).toBe(WAP_CL_SESSION_PORT);
      if (segments.length > 1) expect(result.reference).toBe(reference);
    }
  });

  it('takes TLV-mode parts given as payload + SMPP values', () => {
    const result = reassembleSegments([
      {
        payload: fromHex('02'),
        tlv: { sourcePort: 1, destinationPort: 2, sarMsgRefNum: 9, sarTotalSegments: 2, sarSegmentSeqnum: 2 },
      },
      {
        payload: fromHex('01'),
        tlv: { sourcePort: 1, destinationPort: 2, sarMsgRefNum: 9, sarTotalSegments: 2, sarSegmentSeqnum: 1 },
      },
    ]);
    expect(result).toEqual({ destinationPort: 2, sourcePort: 1, reference: 9, payload: fromHex('0102') });
  });
});

describe('reassembleSegments rejects inconsistent sets', () => {
  const part = (reference: number, total: number, index: number, ports = '0b8423f0'): Uint8Array =>
    encodeUdhAndPayload(ports, `0003${hex(reference)}${hex(total)}${hex(index)}`, hex(index));

  it.each<[string, () => Uint8Array[]]>([
    ['SMS_MIXED_REFERENCES', () => [part(1, 2, 1), part(2, 2, 2)]],
    ['SMS_MIXED_REFERENCES', () => [part(1, 2, 1), withUdh('0c0504' + '0b8423f0' + '0804' + '00010202', '')]],
    ['SMS_MIXED_TOTALS', () => [part(1, 2, 1), part(1, 3, 2)]],
    ['SMS_DUPLICATE_PART', () => [part(1, 2, 1), part(1, 2, 1)]],
    ['SMS_MISSING_PART', () => [part(1, 3, 1), part(1, 3, 3)]],
    ['SMS_MISSING_PART', () => [part(1, 2, 2)]],
    ['SMS_PART_OUT_OF_RANGE', () => [part(1, 2, 1), part(1, 2, 3)]],
    ['SMS_PART_OUT_OF_RANGE', () => [part(1, 2, 0), part(1, 2, 1)]],
    ['SMS_MIXED_PORTS', () => [part(1, 2, 1), part(1, 2, 2, '0b840b84')]],
    ['SMS_NO_UDH', () => [part(1, 2, 1), withUdh('0605040b8423f0', '02')]],
    ['SMS_NO_PARTS', () => []],
    ['SMS_BAD_UDH_LENGTH', () => [fromHex('0b0504')]],
  ])('throws %s', (code, parts) => {
    expect(codeOf(() => reassembleSegments(parts()))).toBe(code);
  });

  it('throws SMS_INCOMPLETE_SAR for a TLV part with only some SAR values', () => {
    expect(
      codeOf(() =>
        reassembleSegments([
          { payload: fromHex('01'), tlv: { sourcePort: 1, destinationPort: 2, sarMsgRefNum: 1 } },
        ]),
      ),
    ).toBe('SMS_INCOMPLETE_SAR');
  });
});

function hex(octet: number): string {
  return octet.toString(16).padStart(2, '0');
}

/** UDH of a port element (data hex) and a concatenation element (IE hex), then the payload. */
function encodeUdhAndPayload(portsData: string, concatIe: string, payloadHex: string): Uint8Array {
  const ports = fromHex(portsData);
  const udh = encodeUdh([
    { type: 'ports16', destinationPort: (ports[0] << 8) | ports[1], sourcePort: (ports[2] << 8) | ports[3] },
  ]);
  // The concatenation IE is appended by hand so that out-of-range part numbers can be written.
  const concat = fromHex(concatIe);
  const header = new Uint8Array([udh[0] + concat.length, ...udh.subarray(1), ...concat]);
  return new Uint8Array([...header, ...fromHex(payloadHex)]);
}
