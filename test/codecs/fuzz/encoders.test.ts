/**
 * Encoders fed arbitrary trees and options throw only CodecError (the ONLY error codecs/ throws), and
 * whatever encodeWbxml accepts, decodeWbxml gives back: random element trees with names inside and outside
 * each vocabulary, text in odd places and strings XML cannot carry; packXml with broken credentials
 * and out-of-range transport options; serializeXml with unrepresentable characters.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { packXml } from '../../../codecs/ota/pack.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../../codecs/wbxml/encode-wbxml.ts';
import { vocabularyFor } from '../../../codecs/wbxml/vocabularies/index.ts';
import { el, type XmlElement, type XmlNode } from '../../../codecs/xml/element.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';
import {
  GENERATED_DOCUMENT_TYPES,
  randomDocument,
  type GeneratedDocumentType,
} from '../../support/random-documents.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';
import { treeDifference } from '../../support/tree-compare.ts';

const SEED = testSeed(0xe2c_2024);
const TREES_PER_TYPE = 600;

const NAMES: Record<GeneratedDocumentType, string[]> = {
  prov: [
    'wap-provisioningdoc',
    'characteristic',
    'parm',
    'name',
    'value',
    'type',
    'version',
    'NAPDEF',
    'APPID',
    'unknown-el',
  ],
  si: [
    'si',
    'indication',
    'info',
    'item',
    'href',
    'si-id',
    'created',
    'si-expires',
    'action',
    'class',
    'bogus',
  ],
  sl: ['sl', 'href', 'action', 'other'],
  'nokia-ota': ['CHARACTERISTIC-LIST', 'CHARACTERISTIC', 'PARM', 'TYPE', 'NAME', 'VALUE', 'lower', 'X'],
};

const VALUES = [
  '',
  'IPV4',
  'APN',
  'GSM-GPRS',
  'http://www.example.com/',
  'https://x.org/y.net/',
  '2024-01-15T10:30:00Z',
  '1999-13-45T99:99:99Z',
  'signal-high',
  'execute-low',
  'NAPID',
  'ADDRESS',
  'BOOKMARK',
  'GPRS',
  'w2',
  '1.0',
  'é中😀',
  '\u0000',
  '\u0007',
  '\uffff',
  'x'.repeat(300),
];

function randomTree(random: SeededRandom, type: GeneratedDocumentType, depth = 0): XmlElement {
  const names = NAMES[type];
  const name = depth === 0 && random.chance(0.8) ? names[0] : random.pick(names);
  const attributes: Array<[string, string]> = [];
  for (let i = random.int(0, 3); i > 0; i--) attributes.push([random.pick(names), random.pick(VALUES)]);
  const children: XmlNode[] = [];
  if (depth < 6) {
    for (let i = random.int(0, depth === 0 ? 5 : 3); i > 0; i--) {
      children.push(random.chance(0.15) ? random.pick(VALUES) : randomTree(random, type, depth + 1));
    }
  }
  return el(name, attributes, children);
}

/** A valid document damaged at the tree level: an attribute renamed or revalued, a child dropped or duplicated. */
function damagedDocument(random: SeededRandom, type: GeneratedDocumentType): XmlElement {
  const root = randomDocument(random, type);
  const elements: XmlElement[] = [];
  const walk = (element: XmlElement): void => {
    elements.push(element);
    element.children.forEach((child) => typeof child !== 'string' && walk(child));
  };
  walk(root);
  const target = random.pick(elements);
  switch (random.int(0, 4)) {
    case 0:
      if (target.attributes.length > 0)
        target.attributes[0] = [random.pick(NAMES[type]), target.attributes[0][1]];
      break;
    case 1:
      if (target.attributes.length > 0) target.attributes[0] = [target.attributes[0][0], random.pick(VALUES)];
      break;
    case 2:
      target.children.push(random.pick(VALUES));
      break;
    case 3:
      target.name = random.pick(NAMES[type]);
      break;
    default:
      target.attributes.push([random.pick(NAMES[type]), random.pick(VALUES)]);
  }
  return root;
}

function nonCodecErrors(run: () => void): string | undefined {
  try {
    run();
  } catch (error) {
    if (!(error instanceof CodecError))
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return undefined;
}

describe.each(GENERATED_DOCUMENT_TYPES)('encodeWbxml with arbitrary %s trees', (type) => {
  const random = new SeededRandom(SEED + type.charCodeAt(0) * 31 + type.length);
  const trees = Array.from({ length: TREES_PER_TYPE }, (_, i) =>
    i % 2 === 0 ? randomTree(random, type) : damagedDocument(random, type),
  );

  it.each(['reject', 'allow'] as const)(
    'throws only CodecError, and what it encodes (literals %s) decodes to the same tree',
    (literals) => {
      const vocabulary = vocabularyFor(type);
      const problems: string[] = [];
      let encoded = 0;
      for (const [i, tree] of trees.entries()) {
        let wbxml: Uint8Array | undefined;
        const failure = nonCodecErrors(() => {
          wbxml = encodeWbxml(tree, vocabulary, { literals, stringTable: i % 3 === 0 ? 'auto' : 'none' });
        });
        if (failure) problems.push(`#${i} encode: ${failure}\n  ${JSON.stringify(tree).slice(0, 400)}`);
        if (!wbxml) continue;
        encoded += 1;
        try {
          const back = decodeWbxml(wbxml, { vocabulary }).root;
          const difference = treeDifference(tree, back);
          if (difference)
            problems.push(
              `#${i} round trip: ${difference}\n  ${JSON.stringify(tree).slice(0, 400)}\n  ${toHex(wbxml)}`,
            );
        } catch (error) {
          problems.push(
            `#${i} decode of our own output threw ${String(error)}\n  ${JSON.stringify(tree).slice(0, 400)}\n  ${toHex(wbxml)}`,
          );
        }
      }
      expect(problems.slice(0, 5).join('\n'), `seed ${SEED}: ${problems.length} problems`).toBe('');
      // Both outcomes happen: the property is not vacuous.
      expect(encoded).toBeGreaterThan(TREES_PER_TYPE / 20);
      expect(encoded).toBeLessThan(TREES_PER_TYPE);
    },
  );
});

describe('encodeWbxml with strings UTF-8 cannot carry', () => {
  // A tree from parseXml never holds an unpaired surrogate, but one built from profile data (JSON "\ud800") can.
  it.each(GENERATED_DOCUMENT_TYPES)(
    'rejects a lone surrogate in a %s document with CodecError instead of altering it',
    (type) => {
      const root = randomDocument(new SeededRandom(SEED + 3), type);
      // the first leaf element (a parm / PARM / indication / sl): its last attribute is a free-text value
      let element = root;
      for (let next = element.children.find((child) => typeof child !== 'string'); next;) {
        element = next as XmlElement;
        next = element.children.find((child) => typeof child !== 'string');
      }
      element.attributes[element.attributes.length - 1][1] += '\ud800';
      let wbxml: Uint8Array | undefined;
      try {
        wbxml = encodeWbxml(root, vocabularyFor(type));
      } catch (error) {
        expect(error).toBeInstanceOf(CodecError);
        return;
      }
      // Accepting it is only acceptable if nothing was lost.
      expect(
        treeDifference(root, decodeWbxml(wbxml, { vocabulary: vocabularyFor(type) }).root),
        toHex(wbxml),
      ).toBeUndefined();
    },
  );
});

describe('packXml with broken credentials and transport options', () => {
  it('throws only CodecError', () => {
    const random = new SeededRandom(SEED + 1);
    const problems: string[] = [];
    const odd = <T>(values: T[]): T => random.pick(values);
    for (let i = 0; i < 2000; i++) {
      const type = random.pick(GENERATED_DOCUMENT_TYPES);
      const root = randomDocument(random, type);
      const options = {
        sec: odd(['NETWPIN', 'USERPIN', 'USERNETWPIN', 'USERPINMAC', 'none', 'BOGUS', undefined]),
        imsi: odd([
          random.digits(15),
          random.digits(14),
          '',
          'abc',
          random.digits(20),
          '12345',
          undefined,
          '１２３４５６７８９０１２３４５',
        ]),
        pin: odd([
          random.digits(4),
          '',
          '1234',
          'é',
          '\u0000',
          'x'.repeat(100),
          random.digits(5),
          random.digits(21),
          undefined,
        ]),
        dcs: odd([4, 0xf5, -1, 256, 1.5, undefined]),
        reference: odd([0, 255, 256, 65535, 65536, -1, 0.5, Number.NaN, undefined]),
        referenceBits: odd([8, 16, 7, undefined]),
        mode: odd(['udh', 'tlv', 'smoke', undefined]),
        transactionId: odd([0, 255, 256, -1, undefined]),
      };
      // Deliberately ill-typed: a caller's mistakes must still come back as CodecError.
      const failure = nonCodecErrors(() => packXml(root, options as Parameters<typeof packXml>[1]));
      if (failure) problems.push(`${failure} with ${JSON.stringify(options)}`);
    }
    expect(problems.slice(0, 5).join('\n'), `seed ${SEED}: ${problems.length} problems`).toBe('');
  });
});

describe('serializeXml with strings XML cannot carry', () => {
  it('throws only CodecError (XML_UNREPRESENTABLE_CHARACTER)', () => {
    const random = new SeededRandom(SEED + 2);
    const problems: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const tree = randomTree(random, random.pick(GENERATED_DOCUMENT_TYPES));
      for (const pretty of [false, true]) {
        const failure = nonCodecErrors(() => serializeXml(tree, { pretty }));
        if (failure) problems.push(`${failure}: ${JSON.stringify(tree).slice(0, 300)}`);
      }
    }
    expect(problems.slice(0, 5).join('\n')).toBe('');
  });
});
