/**
 * Hostile input: the decoder must only ever throw CodecError — for random bytes, every truncation of
 * the golden vectors and single-octet corruptions of them. Seeds are fixed so failures reproduce.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../../codecs/wbxml/encode-wbxml.ts';
import { nokiaOtaVocabulary, vocabularies } from '../../../codecs/wbxml/vocabularies/index.ts';
import type { Vocabulary } from '../../../codecs/wbxml/vocabulary.ts';
import { el } from '../../../codecs/xml/element.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';
import { libwbxmlVectors, publicVectors } from '../../support/fixtures.ts';
import { SeededRandom } from '../../support/seeded-random.ts';

/** Decodes; returns the CodecError code, 'ok', or fails the test on any other throw. */
function outcome(bytes: Uint8Array, vocabulary?: Vocabulary): string {
  try {
    decodeWbxml(bytes, { vocabulary });
    return 'ok';
  } catch (error) {
    if (!(error instanceof CodecError)) {
      throw new Error(`non-CodecError for ${toHex(bytes)}: ${String(error)}`, { cause: error });
    }
    return error.code;
  }
}

const goldenDocuments: Array<{ name: string; bytes: Uint8Array }> = [
  ...publicVectors()
    .filter((v) => v.wbxml)
    .map((v) => ({ name: v.name, bytes: fromHex(v.wbxml!) })),
  ...libwbxmlVectors().map((v) => ({ name: `libwbxml ${v.name}`, bytes: fromHex(v.wbxml) })),
];

/** Headers that get random bodies past the header checks (docs/protocol.md §2, §7, §8). */
const HEADERS = ['030b6a00', '02056a00', '02066a00', '01016a00', '000b00', '030b6a0461620000', '0305877700'];

describe('decodeWbxml on hostile input throws only CodecError', () => {
  it('5,000 random inputs (half behind a valid header)', () => {
    const random = new SeededRandom(0x5eed);
    const codes = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const body = random.bytes(random.int(0, 47));
      let bytes = body;
      if (i % 2 === 1) {
        const header = fromHex(HEADERS[i % HEADERS.length]);
        bytes = new Uint8Array(header.length + body.length);
        bytes.set(header);
        bytes.set(body, header.length);
      }
      const code = outcome(bytes, i % 3 === 0 ? nokiaOtaVocabulary : undefined);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    // The inputs reach deep enough to hit many different checks.
    expect(codes.size).toBeGreaterThan(8);
  });

  it('random bodies built from the tokens the vocabularies use', () => {
    const random = new SeededRandom(42);
    const interesting = [
      0x00, 0x01, 0x02, 0x03, 0x04, 0x43, 0x44, 0x83, 0x84, 0xc3, 0xc4, 0x45, 0x46, 0x86, 0xc6, 0x87, 0x85,
    ];
    for (let i = 0; i < 3000; i++) {
      const vocabulary = vocabularies[i % vocabularies.length];
      const header = [vocabulary.wbxmlVersion, vocabulary.publicId, 0x6a, 0x03, 0x61, 0x62, 0x00];
      const body = Array.from({ length: random.int(4, 43) }, () =>
        random.chance(0.6) ? random.pick(interesting) : random.int(0, 255),
      );
      outcome(Uint8Array.from([...header, ...body]), vocabulary);
    }
  });

  it.each(goldenDocuments.map((d) => [d.name, d.bytes] as const))(
    'every truncation of %s',
    (_name, bytes) => {
      const hint = nokiaOtaVocabulary;
      expect(outcome(bytes, hint)).toBe('ok');
      for (let length = 0; length < bytes.length; length++) {
        expect(outcome(bytes.subarray(0, length), hint)).not.toBe('ok');
      }
    },
  );

  it.each(goldenDocuments.map((d) => [d.name, d.bytes] as const))(
    'every single-octet corruption of %s',
    (_name, bytes) => {
      const random = new SeededRandom(bytes.length);
      const copy = new Uint8Array(bytes);
      for (let at = 0; at < bytes.length; at++) {
        const original = copy[at];
        copy[at] = original ^ random.int(1, 255);
        const code = outcome(copy, nokiaOtaVocabulary);
        // A corruption that still decodes must yield a tree that can be written out and encoded again, or
        // fail with a CodecError there too.
        if (code === 'ok') {
          try {
            const { root, vocabulary } = decodeWbxml(copy, { vocabulary: nokiaOtaVocabulary });
            serializeXml(root);
            encodeWbxml(root, vocabulary, { literals: 'allow' });
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        }
        copy[at] = original;
      }
    },
  );
});

describe('encodeWbxml on arbitrary trees throws only CodecError', () => {
  it('2,000 random trees with names and values drawn from the tables and elsewhere', () => {
    const random = new SeededRandom(7);
    const names = ['characteristic', 'parm', 'si', 'indication', 'sl', 'PARM', 'CHARACTERISTIC', 'x', ''];
    const attributeNames = ['name', 'value', 'type', 'href', 'created', 'NAME', 'VALUE', 'TYPE', 'y'];
    const values = [
      'NAPID',
      'IPV4',
      'http://www.a.com/',
      '2024-01-15T10:30:00Z',
      'GPRS',
      '',
      'é',
      'x\u0000',
      '\ud800',
    ];
    const tree = (depth: number): XmlElement =>
      el(
        random.pick(names),
        Array.from(
          { length: random.int(0, 2) },
          () => [random.pick(attributeNames), random.pick(values)] as [string, string],
        ),
        depth > 3
          ? []
          : Array.from({ length: random.int(0, 2) }, () =>
              random.chance(0.3) ? random.pick(values) : tree(depth + 1),
            ),
      );
    for (let i = 0; i < 2000; i++) {
      const vocabulary = vocabularies[i % vocabularies.length];
      let bytes: Uint8Array;
      try {
        bytes = encodeWbxml(tree(0), vocabulary, {
          literals: i % 2 ? 'allow' : 'reject',
          stringTable: i % 3 ? 'none' : 'auto',
        });
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        continue;
      }
      // Whatever the encoder accepted, the decoder reads back.
      expect(decodeWbxml(bytes, { vocabulary }).root).toBeDefined();
    }
  });
});
