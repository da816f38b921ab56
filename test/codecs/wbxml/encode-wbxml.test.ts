/**
 * Encoder behaviour. Expected bytes are laid out by hand from the token tables (docs/protocol.md §2, §7, §8) and
 * the container rules (§1) — not produced by the encoder.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../../codecs/wbxml/encode-wbxml.ts';
import type { EncodeWbxmlOptions } from '../../../codecs/wbxml/encode-wbxml.ts';
import {
  nokiaOtaVocabulary,
  provVocabulary,
  siVocabulary,
  slVocabulary,
} from '../../../codecs/wbxml/vocabularies/index.ts';
import type { Vocabulary } from '../../../codecs/wbxml/vocabulary.ts';
import { el } from '../../../codecs/xml/element.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { readFixture } from '../../support/fixtures.ts';
import { bytesOf, codecErrorOf, shape } from './support.ts';

const CP = '03 0B 6A 00';
const SI = '02 05 6A 00';
const SL = '02 06 6A 00';
const OTA = '01 01 6A 00';

const encodeHex = (xml: string, vocabulary: Vocabulary, options?: EncodeWbxmlOptions): string =>
  toHex(encodeWbxml(parseXml(xml), vocabulary, options));
const hexOf = (layout: string): string => toHex(bytesOf(layout));
const cp = (inner: string) => `<wap-provisioningdoc>${inner}</wap-provisioningdoc>`;

describe('encodeWbxml OMA CP', () => {
  it('writes the CP header 03 0B 6A and the version="1.0" token', () => {
    expect(
      encodeHex(
        '<wap-provisioningdoc version="1.0"><characteristic type="ACCESS"/></wap-provisioningdoc>',
        provVocabulary,
      ),
    ).toBe(hexOf(`${CP} C5 46 01 86 5B 01 01`));
  });

  it('sends another version as version= + STR_I (docs/protocol.md §2.1)', () => {
    expect(encodeHex('<wap-provisioningdoc version="1.1"/>', provVocabulary)).toBe(
      hexOf(`${CP} 85 45 03 "1.1" 00 01`),
    );
  });

  it('uses name=value tokens for whole values and value tokens for whole values only', () => {
    const xml = cp(
      '<characteristic type="NAPDEF"><parm name="NAP-ADDRTYPE" value="APN"/><parm name="NAME" value="myAPN"/>' +
        '<parm name="NAPIDX" value="x"/><parm name="INTERNET"/></characteristic>',
    );
    expect(encodeHex(xml, provVocabulary)).toBe(
      hexOf(
        `${CP} 45 C6 55 01 87 09 06 89 01 87 07 06 03 "myAPN" 00 01 87 05 03 "NAPIDX" 00 06 03 "x" 00 01 87 14 01 01 01`,
      ),
    );
  });

  it('sends names and types without a token as name=/type= + STR_I (docs/protocol.md §2.5)', () => {
    const xml = cp('<characteristic type="VENDOR-X"><parm name="ROLE" value="r"/></characteristic>');
    expect(encodeHex(xml, provVocabulary)).toBe(
      hexOf(`${CP} 45 C6 50 03 "VENDOR-X" 00 01 87 05 03 "ROLE" 00 06 03 "r" 00 01 01 01`),
    );
  });

  it('switches the attribute page only when needed and stays there, never the tag page (docs/protocol.md §1.6, §2.5)', () => {
    const xml = cp(
      '<characteristic type="APPLICATION"><parm name="APPID" value="w2"/><parm name="NAME" value="n"/>' +
        '<characteristic type="RESOURCE"><parm name="URI" value="u"/></characteristic></characteristic>' +
        '<characteristic type="APPLICATION"><parm name="APPID" value="w4"/></characteristic>' +
        '<characteristic type="NAPDEF"><parm name="NAME" value="m"/></characteristic>',
    );
    expect(encodeHex(xml, provVocabulary)).toBe(
      hexOf(
        `${CP} 45 C6 00 01 55 01 87 36 06 03 "w2" 00 01 87 07 06 03 "n" 00 01 ` +
          `C6 59 01 87 3A 06 03 "u" 00 01 01 01 ` +
          `C6 55 01 87 36 06 03 "w4" 00 01 01 ` +
          `C6 00 00 55 01 87 07 06 03 "m" 00 01 01 01`,
      ),
    );
  });

  it('round-trips a document with APPLICATION subtrees', () => {
    const root = parseXml(readFixture('typical-cp.xml'));
    expect(shape(decodeWbxml(encodeWbxml(root, provVocabulary)).root)).toEqual(shape(root));
  });

  it('switches back to page 0 for IPV4 inside an APPLICATION subtree, keeps IPV6/APPSRV on page 1', () => {
    const xml = cp(
      '<characteristic type="APPLICATION"><characteristic type="APPADDR"><parm name="ADDRTYPE" value="IPV6"/>' +
        '<parm name="ADDRTYPE" value="IPV4"/><parm name="ADDR" value="a"/></characteristic>' +
        '<characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="APPSRV"/></characteristic></characteristic>',
    );
    expect(encodeHex(xml, provVocabulary)).toBe(
      hexOf(
        `${CP} 45 C6 00 01 55 01 C6 56 01 87 35 06 86 01 87 35 06 00 00 85 01 87 00 01 34 06 03 "a" 00 01 01 ` +
          `C6 57 01 87 30 06 8D 01 01 01 01`,
      ),
    );
  });

  it('uses AUTH-ENTITY=HA E1 on attribute page 0 (docs/protocol.md §10 #1)', () => {
    const xml = cp(
      '<characteristic type="NAPAUTHINFO"><parm name="AUTH-ENTITY" value="HA"/></characteristic>',
    );
    expect(encodeHex(xml, provVocabulary)).toBe(hexOf(`${CP} 45 C6 5A 01 87 4E 06 E1 01 01 01`));
  });

  it('sends every AAUTHTYPE value as a string and never emits the page-1 fragments (docs/protocol.md §10 #2)', () => {
    const xml = cp(
      '<characteristic type="APPAUTH"><parm name="AAUTHTYPE" value="HTTP-BASIC"/><parm name="AAUTHTYPE" value="BASIC"/>' +
        '<parm name="NAME" value=","/><parm name="NAME" value="DIGEST"/></characteristic>',
    );
    expect(encodeHex(xml, provVocabulary)).toBe(
      hexOf(
        `${CP} 45 C6 00 01 57 01 87 33 06 03 "HTTP-BASIC" 00 01 87 33 06 03 "BASIC" 00 01 ` +
          `87 07 06 03 "," 00 01 87 07 06 03 "DIGEST" 00 01 01 01`,
      ),
    );
  });

  it('writes an element without children with no content flag, and <x></x> with one', () => {
    expect(
      toHex(
        encodeWbxml(
          el('wap-provisioningdoc', [], [el('characteristic', { type: 'ACCESS' })]),
          provVocabulary,
        ),
      ),
    ).toBe(hexOf(`${CP} 45 86 5B 01 01`));
    expect(encodeHex(cp('<characteristic type="ACCESS"></characteristic>'), provVocabulary)).toBe(
      hexOf(`${CP} 45 C6 5B 01 01 01`),
    );
    expect(toHex(encodeWbxml(el('wap-provisioningdoc'), provVocabulary))).toBe(hexOf(`${CP} 05`));
  });

  it('writes non-ASCII text as UTF-8', () => {
    expect(
      encodeHex(
        cp('<characteristic type="NAPDEF"><parm name="NAME" value="é日𝄞"/></characteristic>'),
        provVocabulary,
      ),
    ).toBe(hexOf(`${CP} 45 C6 55 01 87 07 06 03 C3 A9 E6 97 A5 F0 9D 84 9E 00 01 01 01`));
  });
});

describe('encodeWbxml SI and SL', () => {
  it('picks the longest href prefix and puts .com/ etc. tokens anywhere in a value (docs/protocol.md §8.1)', () => {
    expect(encodeHex('<sl href="https://www.a.org/x.com/y" action="cache"/>', slVocabulary)).toBe(
      hexOf(`${SL} 85 0C 03 "a" 00 88 03 "x" 00 85 03 "y" 00 07 01`),
    );
    expect(encodeHex('<sl href="https://a.net/"/>', slVocabulary)).toBe(hexOf(`${SL} 85 0B 03 "a" 00 87 01`));
    expect(encodeHex('<sl href="ftp://a.edu/"/>', slVocabulary)).toBe(
      hexOf(`${SL} 85 08 03 "ftp://a" 00 86 01`),
    );
  });

  it('sends the indication text as STR_I without value tokens', () => {
    expect(
      encodeHex('<si><indication href="http://a.com/">see a.com/ now</indication></si>', siVocabulary),
    ).toBe(hexOf(`${SI} 45 C6 0C 03 "a" 00 85 01 03 "see a.com/ now" 00 01 01`));
  });

  it('sends created/si-expires as OPAQUE %Datetime with trailing zero octets dropped (docs/protocol.md §8.3)', () => {
    expect(
      encodeHex(
        '<si><indication si-expires="2024-01-15T00:00:00Z" created="2024-12-01T10:00:00Z"/></si>',
        siVocabulary,
      ),
    ).toBe(hexOf(`${SI} 45 86 10 C3 04 20 24 01 15 0A C3 05 20 24 12 01 10 01 01`));
  });

  it('rejects a created value that is not a %Datetime with WBXML_INVALID_DATETIME and the line', () => {
    for (const bad of [
      '2024-01-15',
      '2024-13-01T00:00:00Z',
      '2024-01-15 10:30:00Z',
      '2024-01-00T00:00:00Z',
    ]) {
      const error = codecErrorOf(() =>
        encodeWbxml(parseXml(`<si>\n<indication created="${bad}"/></si>`), siVocabulary),
      );
      expect(error).toMatchObject({ code: 'WBXML_INVALID_DATETIME', line: 2 });
    }
  });
});

describe('encodeWbxml Nokia OTA', () => {
  it('uses NAME=/VALUE= ATTRSTART tokens for whole values and VALUE= + STR_I otherwise (docs/protocol.md §7)', () => {
    const xml =
      '<CHARACTERISTIC-LIST><CHARACTERISTIC TYPE="ADDRESS"><PARM NAME="BEARER" VALUE="GPRS"/>' +
      '<PARM NAME="GPRS_ACCESSPOINTNAME" VALUE="GPRSinternet"/><PARM NAME="PORT" VALUE="9201"/></CHARACTERISTIC>' +
      '<CHARACTERISTIC TYPE="URL" VALUE="http://a/"/></CHARACTERISTIC-LIST>';
    expect(encodeHex(xml, nokiaOtaVocabulary)).toBe(
      hexOf(
        `${OTA} 45 C6 06 01 87 12 49 01 87 1C 11 03 "GPRSinternet" 00 01 87 14 61 01 01 86 07 11 03 "http://a/" 00 01 01`,
      ),
    );
  });

  it('rejects an attribute value with no bare token (TYPE=WEIRD) unless literals are allowed', () => {
    const xml = '<CHARACTERISTIC-LIST>\n<CHARACTERISTIC TYPE="WEIRD"/></CHARACTERISTIC-LIST>';
    expect(codecErrorOf(() => encodeHex(xml, nokiaOtaVocabulary))).toMatchObject({
      code: 'WBXML_UNKNOWN_ATTRIBUTE',
      line: 2,
    });
    expect(encodeHex(xml, nokiaOtaVocabulary, { literals: 'allow' })).toBe(
      hexOf(`01 01 6A 05 "TYPE" 00 45 86 04 00 03 "WEIRD" 00 01 01`),
    );
  });
});

describe('encodeWbxml elements and attributes the vocabulary cannot express', () => {
  const xml =
    '<wap-provisioningdoc>\n  <characteristic type="NAPDEF">\n    <x-ext a="1">t</x-ext>\n  </characteristic>\n</wap-provisioningdoc>';

  it('rejects an unknown element by default with WBXML_UNKNOWN_ELEMENT naming it and its line', () => {
    const error = codecErrorOf(() => encodeHex(xml, provVocabulary));
    expect(error).toMatchObject({ code: 'WBXML_UNKNOWN_ELEMENT', line: 3, offset: -1 });
    expect(error.message).toContain('x-ext');
  });

  it('rejects an unknown attribute by default with WBXML_UNKNOWN_ATTRIBUTE naming it and its line', () => {
    const error = codecErrorOf(() => encodeHex('<si>\n\n<indication foo="bar"/></si>', siVocabulary));
    expect(error).toMatchObject({ code: 'WBXML_UNKNOWN_ATTRIBUTE', line: 3 });
    expect(error.message).toContain('foo');
  });

  it('sends them as LITERAL_AC / LITERAL + string-table entries when literals are allowed', () => {
    expect(encodeHex(xml, provVocabulary, { literals: 'allow' })).toBe(
      hexOf(`03 0B 6A 08 "x-ext" 00 "a" 00 45 C6 55 01 C4 00 04 06 03 "1" 00 01 03 "t" 00 01 01 01`),
    );
  });

  it('uses LITERAL, LITERAL_C and LITERAL_A for the other shapes and reuses table entries', () => {
    const root = el('si', [], [el('x'), el('x', [], ['t']), el('x', { y: '' })]);
    const bytes = encodeWbxml(root, siVocabulary, { literals: 'allow' });
    expect(toHex(bytes)).toBe(
      hexOf(`02 05 6A 04 "x" 00 "y" 00 45 04 00 44 00 03 "t" 00 01 84 00 04 02 01 01`),
    );
    expect(shape(decodeWbxml(bytes).root)).toEqual(shape(root));
  });
});

describe('encodeWbxml string table', () => {
  const xml = cp(
    '<characteristic type="NAPDEF"><parm name="NAPID" value="internet.example"/><parm name="NAME" value="internet.example"/>' +
      '<parm name="NAP-ADDRESS" value="internet.example"/><parm name="AUTHNAME" value="u"/><parm name="AUTHSECRET" value="u"/></characteristic>',
  );

  it('puts nothing in the table by default', () => {
    expect(encodeWbxml(parseXml(xml), provVocabulary)[3]).toBe(0);
  });

  it("'auto' tables only strings that repeat and save bytes", () => {
    expect(encodeHex(xml, provVocabulary, { stringTable: 'auto' })).toBe(
      hexOf(
        `03 0B 6A 11 "internet.example" 00 45 C6 55 01 87 11 06 83 00 01 87 07 06 83 00 01 87 08 06 83 00 01 ` +
          `87 0D 06 03 "u" 00 01 87 0E 06 03 "u" 00 01 01 01`,
      ),
    );
  });

  it("'auto' never makes the reference document larger and decodes to the same tree", () => {
    const root = parseXml(readFixture('reference-cp.xml'));
    const plain = encodeWbxml(root, provVocabulary);
    const auto = encodeWbxml(root, provVocabulary, { stringTable: 'auto' });
    expect(auto.length).toBeLessThan(plain.length);
    expect(shape(decodeWbxml(auto).root)).toEqual(shape(root));
  });

  it('an explicit list forms the table in that order and every equal string uses STR_T', () => {
    expect(
      encodeHex(
        cp('<characteristic type="NAPDEF"><parm name="NAME" value="b"/></characteristic>'),
        provVocabulary,
        { stringTable: ['a', 'b', 'NAPDEF'] },
      ),
    ).toBe(hexOf(`03 0B 6A 0B "a" 00 "b" 00 "NAPDEF" 00 45 C6 55 01 87 07 06 83 02 01 01 01`));
  });

  it('sends the public id as FPI text through the string table when asked', () => {
    expect(encodeHex('<sl href="x"/>', slVocabulary, { publicIdAsString: true })).toBe(
      hexOf(`02 00 00 6A 1C "-//WAPFORUM//DTD SL 1.0//EN" 00 85 08 03 "x" 00 01`),
    );
    expect(encodeHex(cp(''), provVocabulary, { publicIdAsString: true, stringTable: ['NAP1'] })).toBe(
      hexOf(`03 00 05 6A 23 "NAP1" 00 "-//WAPFORUM//DTD PROV 1.0//EN" 00 45 01`),
    );
  });

  it('refuses a string public id for Nokia OTA, which has no FPI', () => {
    expect(
      codecErrorOf(() => encodeHex('<CHARACTERISTIC-LIST/>', nokiaOtaVocabulary, { publicIdAsString: true }))
        .code,
    ).toBe('WBXML_NO_FORMAL_PUBLIC_ID');
  });

  it('rejects an unknown stringTable option', () => {
    expect(codecErrorOf(() => encodeHex(cp(''), provVocabulary, { stringTable: 'all' as never })).code).toBe(
      'WBXML_BAD_OPTION',
    );
  });
});

describe('encodeWbxml limits', () => {
  it('rejects U+0000 in a string with WBXML_NUL_IN_STRING', () => {
    const root = el('si', [], [el('indication', { href: 'a' }, ['x\u0000y'])]);
    expect(codecErrorOf(() => encodeWbxml(root, siVocabulary)).code).toBe('WBXML_NUL_IN_STRING');
  });

  it('rejects an unpaired surrogate with WBXML_INVALID_STRING instead of altering the text', () => {
    for (const text of ['x\ud800', '\udc00y', 'a\ud800\ud800']) {
      const root = el('sl', { href: text });
      expect(codecErrorOf(() => encodeWbxml(root, slVocabulary)).code).toBe('WBXML_INVALID_STRING');
    }
    expect(
      codecErrorOf(() => encodeWbxml(el('si', [], [el('x\udfff')]), siVocabulary, { literals: 'allow' }))
        .code,
    ).toBe('WBXML_INVALID_STRING');
  });

  it('rejects nesting deeper than 64 with WBXML_TOO_DEEP', () => {
    const nest = (depth: number): XmlElement => {
      let node = el('characteristic', { type: 'NAPDEF' });
      for (let i = 2; i < depth; i++) node = el('characteristic', { type: 'NAPDEF' }, [node]);
      return el('wap-provisioningdoc', [], [node]);
    };
    expect(() => encodeWbxml(nest(64), provVocabulary)).not.toThrow();
    expect(codecErrorOf(() => encodeWbxml(nest(65), provVocabulary)).code).toBe('WBXML_TOO_DEEP');
  });

  it('ignores empty text children', () => {
    expect(toHex(encodeWbxml(el('si', [], [el('indication', [], [''])]), siVocabulary))).toBe(
      hexOf(`${SI} 45 06 01`),
    );
  });

  it('is not affected by a previous call that failed half-way', () => {
    expect(() => encodeWbxml(el('si', [], [el('nope')]), siVocabulary)).toThrow();
    expect(toHex(encodeWbxml(el('sl', { href: 'x' }), slVocabulary))).toBe(hexOf(`${SL} 85 08 03 "x" 00 01`));
  });
});
