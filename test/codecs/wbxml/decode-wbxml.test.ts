/**
 * Decoder behaviour on hand-built inputs. Each input is laid out by hand from the WBXML container rules
 * (docs/protocol.md §1: header, global tokens, tag/attribute code pages) and the token tables (§2, §7, §8), written
 * as `hex octets "and text"`.
 */
import { describe, expect, it } from 'vitest';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import {
  nokiaOtaVocabulary,
  provVocabulary,
  siVocabulary,
  slVocabulary,
} from '../../../codecs/wbxml/vocabularies/index.ts';
import { isWrittenWithEndTag } from '../../../codecs/xml/element.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { bytesOf, codecErrorOf, shape } from './support.ts';

/** OMA CP header: WBXML 1.3, public id 0x0B, UTF-8, empty string table (docs/protocol.md §2). */
const CP = '03 0B 6A 00';
/** SI header as Kannel sends it: WBXML 1.2, public id 0x05, UTF-8, no string table (docs/protocol.md §8.1). */
const SI = '02 05 6A 00';

const decodeTree = (layout: string, options?: Parameters<typeof decodeWbxml>[1]): XmlElement =>
  shape(decodeWbxml(bytesOf(layout), options).root);
const tree = (xml: string): XmlElement => shape(parseXml(xml));

function errorOf(layout: string, options?: Parameters<typeof decodeWbxml>[1]) {
  return codecErrorOf(() => decodeWbxml(bytesOf(layout), options));
}

describe('decodeWbxml header', () => {
  it('reads WBXML 1.0, whose header has no charset field, as UTF-8', () => {
    const decoded = decodeWbxml(bytesOf('00 0B 00 45 C6 55 01 87 07 06 03 "é" 00 01 01 01'));
    expect(decoded).toMatchObject({ version: 0x00, publicId: 0x0b, charset: 0 });
    expect(shape(decoded.root)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="é"/></characteristic></wap-provisioningdoc>',
      ),
    );
  });

  it.each([0x01, 0x02, 0x03])('reads version octet 0x0%i with a charset field', (version) => {
    expect(decodeWbxml(bytesOf(`0${version} 0B 6A 00 45 01`)).version).toBe(version);
  });

  it('rejects a version beyond 1.3 with WBXML_UNSUPPORTED_VERSION', () => {
    expect(errorOf('04 0B 6A 00 45 01')).toMatchObject({ code: 'WBXML_UNSUPPORTED_VERSION', offset: 0 });
  });

  it('reads a public id given as FPI text in the string table (publicid 0 + offset)', () => {
    const decoded = decodeWbxml(bytesOf('03 00 00 6A 1E "-//WAPFORUM//DTD PROV 1.0//EN" 00 45 01'));
    expect(decoded.publicId).toBe('-//WAPFORUM//DTD PROV 1.0//EN');
    expect(decoded.vocabulary).toBe(provVocabulary);
  });

  it('reads an FPI at a non-zero string table offset, next to other strings', () => {
    const decoded = decodeWbxml(
      bytesOf('02 00 04 6A 20 "abc" 00 "-//WAPFORUM//DTD SL 1.0//EN" 00 85 08 83 00 01'),
    );
    expect(decoded.vocabulary).toBe(slVocabulary);
    expect(shape(decoded.root)).toEqual(tree('<sl href="abc"/>'));
  });

  it('uses the caller-given vocabulary for the unknown public id 1 (Nokia OTA, docs/protocol.md §7)', () => {
    const layout = '01 01 6A 00 45 C6 06 01 87 12 49 01 01 01';
    expect(errorOf(layout)).toMatchObject({ code: 'WBXML_UNKNOWN_PUBLIC_ID', offset: 1 });
    expect(decodeTree(layout, { vocabulary: nokiaOtaVocabulary })).toEqual(
      tree(
        '<CHARACTERISTIC-LIST><CHARACTERISTIC TYPE="ADDRESS"><PARM NAME="BEARER" VALUE="GPRS"/></CHARACTERISTIC></CHARACTERISTIC-LIST>',
      ),
    );
  });

  it('uses the caller-given vocabulary for a public id it has no table for', () => {
    expect(decodeWbxml(bytesOf('01 82 0B 6A 00 05'), { vocabulary: nokiaOtaVocabulary }).publicId).toBe(
      0x10b,
    );
    expect(errorOf('03 04 6A 00 45 01')).toMatchObject({ code: 'WBXML_UNKNOWN_PUBLIC_ID' });
  });

  it('prefers a known public id over the caller-given vocabulary', () => {
    expect(decodeWbxml(bytesOf(`${SI} 05`), { vocabulary: provVocabulary }).vocabulary).toBe(siVocabulary);
  });

  it('rejects an unknown FPI text without a caller-given vocabulary', () => {
    expect(errorOf('03 00 00 6A 04 "x-y" 00 45 01')).toMatchObject({ code: 'WBXML_UNKNOWN_PUBLIC_ID' });
  });
});

describe('decodeWbxml charsets', () => {
  it('decodes ISO-8859-1 (MIBenum 4) strings, inline and in the string table', () => {
    expect(
      decodeTree('03 0B 04 04 E9 74 E9 00 45 C6 55 01 87 07 06 03 63 61 66 E9 00 01 87 07 06 83 00 01 01 01'),
    ).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="café"/>' +
          '<parm name="NAME" value="été"/></characteristic></wap-provisioningdoc>',
      ),
    );
  });

  it('decodes US-ASCII (MIBenum 3) and rejects octets above 0x7F in it', () => {
    expect(decodeTree('03 0B 03 00 45 C6 55 01 87 07 06 03 "ab" 00 01 01 01')).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="ab"/></characteristic></wap-provisioningdoc>',
      ),
    );
    expect(errorOf('03 0B 03 00 45 C6 55 01 87 07 06 03 E9 00 01 01 01')).toMatchObject({
      code: 'WBXML_INVALID_STRING',
    });
  });

  it('decodes UCS-2 (MIBenum 1000 = 87 68) with 2-octet terminators aligned to the string start', () => {
    // "AĀ" = 00 41 01 00: the octets 00 00 at odd offset 3–4 are not a terminator; 00 00 at 4–5 is.
    expect(decodeTree('03 0B 87 68 00 45 C6 55 01 87 07 06 03 00 41 01 00 00 00 01 01 01')).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="AĀ"/></characteristic></wap-provisioningdoc>',
      ),
    );
  });

  it('decodes UTF-16 (MIBenum 1015 = 87 77) strings, surrogate pairs and a string table with LITERAL', () => {
    // table: "x" 00 00 at offset 0, "日" at offset 4; body: SI text STR_I "é𝄞" then STR_T 4.
    expect(
      decodeTree('02 05 87 77 08 00 78 00 00 65 E5 00 00 45 46 04 00 03 00 E9 D8 34 DD 1E 00 00 83 04 01 01'),
    ).toEqual(tree('<si><indication><x/>é𝄞日</indication></si>'));
  });

  it('honours a little-endian byte-order mark in UTF-16', () => {
    expect(decodeTree('02 05 87 77 00 45 46 03 FF FE 41 00 42 00 00 00 01 01')).toEqual(
      tree('<si><indication>AB</indication></si>'),
    );
  });

  it('rejects a lone surrogate in UTF-16', () => {
    expect(errorOf('02 05 87 77 00 45 46 03 D8 00 00 41 00 00 01 01')).toMatchObject({
      code: 'WBXML_INVALID_STRING',
    });
  });

  it('treats charset 0 (unknown) as UTF-8', () => {
    expect(decodeWbxml(bytesOf('02 05 00 00 45 46 03 "ü" 00 01 01')).charset).toBe(0);
    expect(decodeTree('02 05 00 00 45 46 03 "ü" 00 01 01')).toEqual(
      tree('<si><indication>ü</indication></si>'),
    );
  });

  it('rejects invalid UTF-8 with WBXML_INVALID_STRING at the string', () => {
    expect(errorOf(`${SI} 45 C6 01 03 C3 28 00 01 01`)).toMatchObject({
      code: 'WBXML_INVALID_STRING',
      offset: 8,
    });
  });

  it('rejects a charset it cannot decode with WBXML_UNSUPPORTED_CHARSET', () => {
    // 2026 = Big5 -> mb_u_int32 8F 6A
    expect(errorOf('02 05 8F 6A 00 45 01')).toMatchObject({ code: 'WBXML_UNSUPPORTED_CHARSET', offset: 2 });
  });
});

describe('decodeWbxml code pages', () => {
  it('switches the tag page with SWITCH_PAGE in tag position (OMA CP tag page 1)', () => {
    expect(decodeTree(`${CP} 45 00 01 C6 55 01 87 07 06 03 "x" 00 01 01 01`)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="x"/></characteristic></wap-provisioningdoc>',
      ),
    );
    // wap-provisioningdoc (05) exists only on tag page 0.
    expect(errorOf(`${CP} 00 01 45 01`)).toMatchObject({ code: 'WBXML_UNKNOWN_TOKEN', offset: 6 });
  });

  it('keeps the attribute page across elements ("switch and stay", docs/protocol.md §1.6)', () => {
    // 59 is type=RESOURCE on attribute page 1 but type=PXAUTHINFO on page 0: page 1 is still in force.
    expect(
      decodeTree(`${CP} 45 C6 00 01 55 01 87 36 06 03 "w2" 00 01 86 59 01 01 86 00 00 59 01 01`),
    ).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="APPLICATION"><parm name="APPID" value="w2"/>' +
          '<characteristic type="RESOURCE"/></characteristic><characteristic type="PXAUTHINFO"/>' +
          '</wap-provisioningdoc>',
      ),
    );
  });

  it('keeps tag and attribute pages independent', () => {
    // Tag page switched to 1; attribute page still 0 (55 = type=NAPDEF on page 0, APPLICATION on page 1).
    expect(decodeTree(`${CP} 45 00 01 86 55 01 01`)).toEqual(
      tree('<wap-provisioningdoc><characteristic type="NAPDEF"/></wap-provisioningdoc>'),
    );
  });

  it('switches the attribute page in the middle of a value (page-1 fragments)', () => {
    expect(decodeTree(`${CP} 45 C6 00 01 57 01 87 33 06 91 92 00 00 9C 01 01 01`)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="APPAUTH"><parm name="AAUTHTYPE" value="HTTP-BASICHTTP-BASIC"/>' +
          '</characteristic></wap-provisioningdoc>',
      ),
    );
    expect(decodeTree(`${CP} 45 C6 00 01 57 01 87 33 06 91 93 90 91 92 01 01 01`)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="APPAUTH"><parm name="AAUTHTYPE" value="HTTP-DIGEST,HTTP-BASIC"/>' +
          '</characteristic></wap-provisioningdoc>',
      ),
    );
  });

  it('reads AAA/HA (E0/E1) on attribute page 0 (docs/protocol.md §10 #1)', () => {
    expect(decodeTree(`${CP} 45 C6 5A 01 87 4E 06 E1 01 87 4E 06 E0 01 01 01`)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPAUTHINFO"><parm name="AUTH-ENTITY" value="HA"/>' +
          '<parm name="AUTH-ENTITY" value="AAA"/></characteristic></wap-provisioningdoc>',
      ),
    );
  });
});

describe('decodeWbxml tokens', () => {
  it('concatenates ATTRSTART prefix, ATTRVALUE tokens and strings into one value (SI href)', () => {
    expect(decodeTree(`${SI} 45 86 0F 03 "a" 00 88 03 "b" 00 87 12 03 "x" 00 85 01 01`)).toEqual(
      tree('<si><indication href="https://www.a.org/b.net/" class="x.com/"/></si>'),
    );
  });

  it('reads ENTITY in content and in attribute values, astral planes included', () => {
    // 0xE9 = 81 69; 0x1D11E = 87 A2 1E (mb_u_int32, docs/protocol.md §1.2)
    expect(decodeTree(`${SI} 45 C6 0B 03 "caf" 00 02 81 69 01 03 "a" 00 02 87 A2 1E 02 81 69 01 01`)).toEqual(
      tree('<si><indication href="café">a𝄞é</indication></si>'),
    );
  });

  it('rejects ENTITY that is not a character', () => {
    expect(errorOf(`${SI} 45 C6 01 02 00 01 01`)).toMatchObject({ code: 'WBXML_INVALID_ENTITY', offset: 7 });
    expect(errorOf(`${SI} 45 C6 01 02 83 B0 00 01 01`)).toMatchObject({ code: 'WBXML_INVALID_ENTITY' }); // D800
    expect(errorOf(`${SI} 45 C6 01 02 C4 80 00 01 01`)).toMatchObject({ code: 'WBXML_INVALID_ENTITY' }); // 0x110000
  });

  it('reads STR_T references into the string table', () => {
    expect(decodeTree('02 05 6A 07 "ab" 00 "cde" 00 45 C6 0B 83 03 01 83 00 83 03 01 01')).toEqual(
      tree('<si><indication href="cde">abcde</indication></si>'),
    );
  });

  it('rejects a string table reference that points nowhere useful', () => {
    expect(errorOf('02 05 6A 03 "ab" 00 45 C6 01 83 03 01 01')).toMatchObject({
      code: 'WBXML_BAD_STRING_REFERENCE',
      offset: 10,
    });
    expect(errorOf('02 05 6A 02 "ab" 45 C6 01 83 00 01 01')).toMatchObject({
      code: 'WBXML_BAD_STRING_REFERENCE',
    });
  });

  it('reads all LITERAL forms for tags and LITERAL for attribute names', () => {
    // string table: "x-tag" at 0, "x-attr" at 6
    const layout =
      `03 0B 6A 0D "x-tag" 00 "x-attr" 00 C5 46 01 04 00 44 00 03 "t" 00 01 84 00 04 06 03 "v" 00 01 ` +
      `C4 00 04 06 07 01 03 "u" 00 01 01`;
    expect(decodeTree(layout)).toEqual(
      tree(
        '<wap-provisioningdoc version="1.0"><x-tag/><x-tag>t</x-tag><x-tag x-attr="v"/>' +
          '<x-tag x-attr="" name="NAME">u</x-tag></wap-provisioningdoc>',
      ),
    );
  });

  it('keeps OPAQUE data that is UTF-8 text as text, and rejects other OPAQUE data', () => {
    expect(decodeTree(`${CP} 45 C6 55 01 87 07 06 C3 03 "abc" 01 01 01`)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="NAPDEF"><parm name="NAME" value="abc"/></characteristic></wap-provisioningdoc>',
      ),
    );
    expect(errorOf(`${CP} 45 C6 55 01 87 07 06 C3 02 FF FE 01 01 01`)).toMatchObject({
      code: 'WBXML_INVALID_OPAQUE',
      offset: 11,
    });
  });

  it('turns a %Datetime OPAQUE of 1–7 octets into ISO text, zero-filling dropped octets (docs/protocol.md §8.3)', () => {
    expect(decodeTree(`${SI} 45 86 10 C3 04 20 24 01 15 01 01`)).toEqual(
      tree('<si><indication si-expires="2024-01-15T00:00:00Z"/></si>'),
    );
    expect(decodeTree(`${SI} 45 86 0A 03 "2024-01-15T10:30:00Z" 00 01 01`)).toEqual(
      tree('<si><indication created="2024-01-15T10:30:00Z"/></si>'),
    );
    expect(errorOf(`${SI} 45 86 0A C3 04 20 24 0A 15 01 01`)).toMatchObject({
      code: 'WBXML_INVALID_DATETIME',
    });
    expect(errorOf(`${SI} 45 86 0A C3 08 20 24 01 15 10 30 00 00 01 01`)).toMatchObject({
      code: 'WBXML_INVALID_DATETIME',
    });
  });

  it('skips processing instructions before, inside and after the root', () => {
    const pi = '43 05 03 "target" 00 01'; // PI: ATTRSTART name= + value, END (CP attribute page 0)
    expect(decodeTree(`${CP} ${pi} 45 ${pi} C6 55 01 ${pi} 01 01 ${pi}`)).toEqual(
      tree('<wap-provisioningdoc><characteristic type="NAPDEF"/></wap-provisioningdoc>'),
    );
  });

  it('accepts an element flagged with content but holding none (C6 5B 01 01) and remembers the form', () => {
    const { root } = decodeWbxml(bytesOf(`${CP} 45 C6 5B 01 01 86 5B 01 01`));
    const [long, short] = root.children as XmlElement[];
    expect(shape(root)).toEqual(
      tree(
        '<wap-provisioningdoc><characteristic type="ACCESS"/><characteristic type="ACCESS"/></wap-provisioningdoc>',
      ),
    );
    expect(isWrittenWithEndTag(long)).toBe(true);
    expect(isWrittenWithEndTag(short)).toBe(false);
  });

  it('decodes a Nokia OTA document where every attribute token is an ATTRSTART (docs/protocol.md §7)', () => {
    const layout =
      '01 01 6A 00 45 C6 06 01 87 12 49 01 87 10 03 "X" 00 11 03 "y" 00 01 01 86 07 11 03 "http://a/" 00 01 01';
    expect(decodeTree(layout, { vocabulary: nokiaOtaVocabulary })).toEqual(
      tree(
        '<CHARACTERISTIC-LIST><CHARACTERISTIC TYPE="ADDRESS"><PARM NAME="BEARER" VALUE="GPRS"/>' +
          '<PARM NAME="X" VALUE="y"/></CHARACTERISTIC><CHARACTERISTIC TYPE="URL" VALUE="http://a/"/>' +
          '</CHARACTERISTIC-LIST>',
      ),
    );
  });
});

describe('decodeWbxml errors', () => {
  it.each([
    ['EXT_I_0 in content', `${SI} 45 C6 01 40 "x" 00 01 01`, 7],
    ['EXT_T_1 in content', `${SI} 45 C6 01 81 00 01 01`, 7],
    ['EXT_2 in content', `${SI} 45 C6 01 C2 01 01`, 7],
    ['EXT_0 in an attribute list', `${SI} 45 86 0B C0 01 01`, 7],
  ])('rejects %s with WBXML_UNSUPPORTED_TOKEN', (_what, layout, offset) => {
    expect(errorOf(layout)).toMatchObject({ code: 'WBXML_UNSUPPORTED_TOKEN', offset });
  });

  it.each([
    ['a tag token not on the page', `${CP} 45 88 01`, 5],
    ['an unassigned ATTRSTART (4D)', `${CP} 45 86 4D 01 01`, 6],
    ['an unassigned ATTRVALUE (96)', `${CP} 45 86 05 96 01 01`, 7],
    ['a page the vocabulary does not have', `${SI} 45 00 07 86 01`, 7],
  ])('rejects %s with WBXML_UNKNOWN_TOKEN at its offset', (_what, layout, offset) => {
    expect(errorOf(layout)).toMatchObject({ code: 'WBXML_UNKNOWN_TOKEN', offset });
  });

  it.each([
    ['END as the root', `${CP} 01`],
    ['an ATTRVALUE before any ATTRSTART', `${CP} 45 86 85 01 01`],
    ['a string before any ATTRSTART', `${CP} 45 86 03 "x" 00 01 01`],
    ['LITERAL_A in an attribute list', `${CP} 45 86 05 84 00 01 01`],
    ['STR_I where the root should be', `${CP} 03 "x" 00`],
  ])('rejects %s with WBXML_UNEXPECTED_TOKEN', (_what, layout) => {
    expect(errorOf(layout)).toMatchObject({ code: 'WBXML_UNEXPECTED_TOKEN' });
  });

  it('rejects bytes after the root element with WBXML_TRAILING_BYTES', () => {
    expect(errorOf(`${CP} 45 01 01`)).toMatchObject({ code: 'WBXML_TRAILING_BYTES', offset: 6 });
  });

  it.each([
    ['an empty input', ''],
    ['a header only', CP],
    ['a missing END', `${CP} 45 C6 55 01`],
    ['an unterminated STR_I', `${SI} 45 C6 01 03 "abc"`],
    ['an OPAQUE longer than the input', `${SI} 45 C6 01 C3 09 01 02 01 01`],
    ['a string table longer than the input', '03 0B 6A 7F 00'],
  ])('rejects %s with TRUNCATED', (_what, layout) => {
    expect(errorOf(layout).code).toBe('TRUNCATED');
  });

  it('refuses nesting deeper than 64 elements with WBXML_TOO_DEEP', () => {
    const deepCharacteristics = (depth: number) =>
      `${CP} 45 ${'C6 55 01 '.repeat(depth - 1)}${'01 '.repeat(depth)}`;
    expect(decodeWbxml(bytesOf(deepCharacteristics(64))).root.name).toBe('wap-provisioningdoc');
    expect(errorOf(deepCharacteristics(65))).toMatchObject({ code: 'WBXML_TOO_DEEP' });
    expect(errorOf(deepCharacteristics(100_000))).toMatchObject({ code: 'WBXML_TOO_DEEP' });
  });
});
