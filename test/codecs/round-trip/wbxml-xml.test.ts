/**
 * Property: XML text -> parseXml -> encodeWbxml -> decodeWbxml -> serializeXml -> parseXml is the identity.
 * The final tree must equal the first one exactly (attribute order included — the order is part of a
 * byte-exact encoding), for seeded random documents of every type, every string-table strategy, compact and
 * pretty output; plus the corpus' hand-written edge cases and values XML itself makes hard (TAB/LF/CR).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../../codecs/wbxml/encode-wbxml.ts';
import { vocabularyFor } from '../../../codecs/wbxml/vocabularies/index.ts';
import { documentTypeOf } from '../../../codecs/xml/document-type.ts';
import { el, type XmlElement, type XmlNode } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';
import { allStrings, documentCorpus } from '../../support/document-corpus.ts';
import { GENERATED_DOCUMENT_TYPES, randomDocument } from '../../support/random-documents.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';
import { treeDifference } from '../../support/tree-compare.ts';
import { toXmlText } from '../../support/xml-text.ts';

const DOCUMENTS_PER_TYPE = 200;
const SEED = testSeed(0x3b1_2024);
/** Inline strings, the 'auto' table, and a table holding every string of the document. */
const STRING_TABLES = ['none', 'auto', 'every string'] as const;
type StringTableChoice = (typeof STRING_TABLES)[number];

/** The tree without source line numbers: what must survive the round trip exactly. */
function withoutLines(element: XmlElement): unknown {
  return {
    name: element.name,
    attributes: element.attributes,
    children: element.children.map((child: XmlNode) =>
      typeof child === 'string' ? child : withoutLines(child),
    ),
  };
}

function roundTrip(
  xml: string,
  stringTable: StringTableChoice,
  pretty: boolean,
): { first: XmlElement; last: XmlElement; wbxml: Uint8Array; text: string } {
  const first = parseXml(xml);
  const vocabulary = vocabularyFor(documentTypeOf(first));
  const wbxml = encodeWbxml(first, vocabulary, {
    stringTable: stringTable === 'every string' ? allStrings(first) : stringTable,
  });
  const decoded = decodeWbxml(wbxml, { vocabulary });
  // The decoder's own tree is the same document (before any text round trip).
  const decodedDifference = treeDifference(first, decoded.root);
  if (decodedDifference)
    throw new Error(`decodeWbxml gave a different tree: ${decodedDifference}\n${toHex(wbxml)}`);
  const text = serializeXml(decoded.root, { pretty, declaration: pretty });
  return { first, last: parseXml(text), wbxml, text };
}

describe.each(GENERATED_DOCUMENT_TYPES)('XML -> WBXML -> XML round trip of random %s documents', (type) => {
  const random = new SeededRandom(SEED + type.length * 104_729 + type.charCodeAt(0));
  const cases = Array.from({ length: DOCUMENTS_PER_TYPE }, (_, i) => {
    const root = randomDocument(random, type, { richText: 0.5, longValues: 0.2 });
    return {
      i,
      xml: toXmlText(root, { declaration: i % 2 === 0, doctype: i % 3 === 0, indent: i % 4 === 0 }),
    };
  });

  it.each(STRING_TABLES.flatMap((table) => [false, true].map((pretty) => [table, pretty] as const)))(
    'string table %s, pretty %s',
    (stringTable, pretty) => {
      for (const { i, xml } of cases) {
        const context = `seed ${SEED} (OTAGW_TEST_SEED to replay), ${type} #${i}\n${xml}`;
        let result: ReturnType<typeof roundTrip>;
        try {
          result = roundTrip(xml, stringTable, pretty);
        } catch (error) {
          throw new Error(`${String(error)}\n${context}`, { cause: error });
        }
        expect(withoutLines(result.last), `${context}\n--- serialized ---\n${result.text}`).toEqual(
          withoutLines(result.first),
        );
      }
    },
  );
});

describe('XML -> WBXML -> XML round trip of the fixed corpus', () => {
  const corpus = documentCorpus({ randomPerType: 0 });
  it.each(corpus.map((doc) => [doc.name, doc.xml] as const))('%s', (_name, xml) => {
    for (const stringTable of STRING_TABLES) {
      const { first, last, text } = roundTrip(xml, stringTable, false);
      expect(withoutLines(last), text).toEqual(withoutLines(first));
    }
  });
});

describe('XML -> WBXML -> XML round trip of values XML makes hard', () => {
  const awkward = [
    'tab\there',
    'line\nfeed',
    'carriage\rreturn',
    'crlf\r\nend',
    '  leading and trailing spaces  ',
    ']]> looks like a CDATA end',
    '&amp; is already an entity reference',
    'a "double" and \'single\' quote',
    '😀 outside the BMP, 中文, Ωmega',
    '',
  ];
  it.each(awkward.map((value) => [JSON.stringify(value), value] as const))(
    'attribute value %s',
    (_name, value) => {
      const root = el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [
          el(
            'characteristic',
            [['type', 'BOOTSTRAP']],
            [
              el('parm', [
                ['name', 'NAME'],
                ['value', value],
              ]),
            ],
          ),
        ],
      );
      const { first, last, text } = roundTrip(toXmlText(root), 'none', false);
      expect(withoutLines(last), text).toEqual(withoutLines(first));
    },
  );

  it.each(
    awkward.filter((value) => value.trim() !== '').map((value) => [JSON.stringify(value), value] as const),
  )('SI text %s', (_name, value) => {
    const root = el('si', [], [el('indication', [['href', 'http://www.example.com/']], [value])]);
    const { first, last, text } = roundTrip(toXmlText(root), 'auto', false);
    expect(withoutLines(last), text).toEqual(withoutLines(first));
  });
});
