import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { decodeUdh, encodeUdh, type UdhElement } from '../../../codecs/sms/udh.ts';
import { publicVectors } from '../../support/fixtures.ts';

const nokiaVector = publicVectors().find((vector) => vector.name === 'nokia-ota-bookmark')!;

interface GoldenUdh {
  name: string;
  source: string;
  hex: string;
  elements: UdhElement[];
}

const GOLDEN_UDH: GoldenUdh[] = [
  {
    name: 'WAP push ports 2948 <- 9200',
    source: 'docs/protocol.md §4.7 / §5.1 (Gammu, smsj)',
    hex: '0605040b8423f0',
    elements: [{ type: 'ports16', destinationPort: 2948, sourcePort: 9200 }],
  },
  {
    name: "Kannel's OMA CP ports 2948 <- 2948",
    source: 'docs/protocol.md §5.1',
    hex: '0605040b840b84',
    elements: [{ type: 'ports16', destinationPort: 2948, sourcePort: 2948 }],
  },
  {
    name: 'Nokia OTA ports 49999 <- 49154',
    source: nokiaVector.source,
    hex: nokiaVector.udh as string,
    elements: [{ type: 'ports16', destinationPort: 49999, sourcePort: 49154 }],
  },
  {
    name: 'ports + 8-bit concatenation, part 1 of 3, reference 0x2A',
    source: 'docs/protocol.md §5.2 layout `0B 05 04 dd dd ss ss 00 03 rr tt nn`',
    hex: '0b0504' + '0b8423f0' + '0003' + '2a0301',
    elements: [
      { type: 'ports16', destinationPort: 2948, sourcePort: 9200 },
      { type: 'concat8', reference: 0x2a, total: 3, index: 1 },
    ],
  },
  {
    name: "Gammu's UDH_NokiaWAPLong, part 2 of 2",
    source: 'docs/protocol.md §5.2 (`05 04 C3 4F 00 00 00 03 ref tot seq`)',
    hex: '0b0504c34f0000000307' + '0202',
    elements: [
      { type: 'ports16', destinationPort: 49999, sourcePort: 0 },
      { type: 'concat8', reference: 7, total: 2, index: 2 },
    ],
  },
  {
    name: 'ports + 16-bit concatenation',
    source: 'docs/protocol.md §5.1/§5.2 (`0C … 08 04 rr rr tt nn`)',
    hex: '0c0504' + '0b8423f0' + '0804' + '12340504',
    elements: [
      { type: 'ports16', destinationPort: 2948, sourcePort: 9200 },
      { type: 'concat16', reference: 0x1234, total: 5, index: 4 },
    ],
  },
  {
    name: '8-bit ports',
    source: 'docs/protocol.md §5.1 (IEI 0x04)',
    hex: '040402' + 'e2e3',
    elements: [{ type: 'ports8', destinationPort: 0xe2, sourcePort: 0xe3 }],
  },
  {
    name: 'an element with an IEI this codec does not know, kept raw',
    source: 'TS 23.040 §9.2.3.24 (IEI 0x24, national language single shift)',
    hex: '03240101',
    elements: [{ type: 'raw', iei: 0x24, data: fromHex('01') }],
  },
];

describe('UDH golden headers', () => {
  it.each(GOLDEN_UDH)('decodes $name ($source)', ({ hex, elements }) => {
    const decoded = decodeUdh(fromHex(hex + 'cafe'));
    expect(decoded.elements).toEqual(elements);
    expect(decoded.headerLength).toBe(hex.length / 2);
    expect(toHex(decoded.payload)).toBe('cafe');
  });

  it.each(GOLDEN_UDH)('encodes $name byte for byte', ({ hex, elements }) => {
    expect(toHex(encodeUdh(elements))).toBe(hex);
  });

  it('reads a UDH with no payload after it', () => {
    expect(decodeUdh(fromHex('0605040b8423f0')).payload.length).toBe(0);
  });

  it('reads an empty UDH (UDHL 0)', () => {
    expect(decodeUdh(fromHex('00ff'))).toEqual({ elements: [], headerLength: 1, payload: fromHex('ff') });
  });
});

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('UDH errors', () => {
  it.each([
    ['TRUNCATED', '', 'an empty TP-UD'],
    ['SMS_BAD_UDH_LENGTH', '0605040b84', 'a UDHL beyond the TP-UD'],
    ['SMS_BAD_IE_LENGTH', '03050a0b84', 'an element running past UDHL'],
    ['SMS_BAD_IE_LENGTH', '0105', 'an element header cut by UDHL'],
    ['SMS_BAD_IE_LENGTH', '06000401020100', 'an 8-bit concatenation element with 4 data octets'],
    ['SMS_BAD_IE_LENGTH', '0505030b8423', 'a 16-bit port element with 3 data octets'],
  ])('decodeUdh throws %s for %s', (code, hex) => {
    expect(codeOf(() => decodeUdh(fromHex(hex)))).toBe(code);
  });

  it.each<[string, UdhElement[]]>([
    ['SMS_BAD_UDH_ELEMENT', [{ type: 'concat8', reference: 256, total: 2, index: 1 }]],
    ['SMS_BAD_UDH_ELEMENT', [{ type: 'concat8', reference: 1, total: 2, index: 3 }]],
    ['SMS_BAD_UDH_ELEMENT', [{ type: 'concat16', reference: 1, total: 0, index: 0 }]],
    ['SMS_BAD_UDH_ELEMENT', [{ type: 'ports16', destinationPort: 70000, sourcePort: 0 }]],
    ['SMS_BAD_UDH_ELEMENT', [{ type: 'ports8', destinationPort: 2948, sourcePort: 0 }]],
    ['SMS_UDH_TOO_LONG', [{ type: 'raw', iei: 0x70, data: new Uint8Array(140) }]],
  ])('encodeUdh throws %s', (code, elements) => {
    expect(codeOf(() => encodeUdh(elements))).toBe(code);
  });
});
