/**
 * Golden vectors: every byte string here comes from a public source (test/fixtures/public-vectors.json, the
 * examples of docs/protocol.md) or from libwbxml's xml2wbxml (test/fixtures/libwbxml-vectors.json) — never from
 * our own encoder.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../../codecs/wbxml/encode-wbxml.ts';
import {
  nokiaOtaVocabulary,
  provVocabulary,
  siVocabulary,
  slVocabulary,
  vocabularyFor,
} from '../../../codecs/wbxml/vocabularies/index.ts';
import { documentTypeOf } from '../../../codecs/xml/document-type.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';
import { libwbxmlVectors, publicVector } from '../../support/fixtures.ts';
import { bytesOf, shape } from './support.ts';

describe('ProvCont Appendix C sample (public-vectors: prov-appendix-c)', () => {
  const vector = publicVector('prov-appendix-c');
  const bytes = fromHex(vector.wbxml!);

  it('decodes to the given XML', () => {
    const decoded = decodeWbxml(bytes);
    expect(decoded.vocabulary).toBe(provVocabulary);
    expect(decoded).toMatchObject({ version: 0x03, publicId: 0x0b, charset: 106 });
    expect(shape(decoded.root)).toEqual(shape(parseXml(vector.xml!)));
  });

  it('encodes byte-exactly with NAP1 in the string table', () => {
    expect(bytes.length).toBe(473);
    expect(toHex(encodeWbxml(parseXml(vector.xml!), provVocabulary, { stringTable: ['NAP1'] }))).toBe(
      vector.wbxml,
    );
  });

  it('re-encodes its own decoding byte-exactly (the empty ACCESS keeps C6 5B 01 01)', () => {
    const { root } = decodeWbxml(bytes);
    expect(toHex(encodeWbxml(root, provVocabulary, { stringTable: ['NAP1'] }))).toBe(vector.wbxml);
    expect(serializeXml(root)).toContain('<characteristic type="ACCESS"></characteristic>');
  });
});

describe('Gecko "CHT" vector with per-attribute code page switching (prov-code-page-switching-userpin)', () => {
  const vector = publicVector('prov-code-page-switching-userpin');

  it('decodes to the given XML', () => {
    expect(shape(decodeWbxml(fromHex(vector.wbxml!)).root)).toEqual(shape(parseXml(vector.xml!)));
  });

  it('re-encodes (switch-and-stay style) to bytes that decode to the same tree', () => {
    const root = parseXml(vector.xml!);
    const ours = encodeWbxml(root, provVocabulary);
    expect(shape(decodeWbxml(ours).root)).toEqual(shape(root));
    // Switch and stay never needs more octets than switching back for every value=.
    expect(ours.length).toBeLessThan(fromHex(vector.wbxml!).length);
  });
});

describe('NowSMS forum NETWPIN document (netwpin-nowsms-forum): string table + public id', () => {
  const vector = publicVector('netwpin-nowsms-forum');
  // As libwbxml's `wbxml2xml` prints it (string-table entry "test1" used twice via STR_T 83 00).
  const expectedXml =
    '<wap-provisioningdoc><characteristic type="BOOTSTRAP"><parm name="NAME" value="test1"/></characteristic>' +
    '<characteristic type="NAPDEF"><parm name="NAME" value="test1"/><parm name="NAPID" value="test1_NAPID"/>' +
    '<parm name="BEARER" value="GSM-GPRS"/><parm name="NAP-ADDRESS" value="test2"/>' +
    '<parm name="NAP-ADDRTYPE" value="APN"/><parm name="INTERNET"/><characteristic type="NAPAUTHINFO">' +
    '<parm name="AUTHTYPE" value="PAP"/><parm name="AUTHNAME" value="gprsusername"/>' +
    '<parm name="AUTHSECRET" value="gprspassword"/></characteristic></characteristic></wap-provisioningdoc>';

  it('decodes', () => {
    const decoded = decodeWbxml(fromHex(vector.wbxml!));
    expect(decoded).toMatchObject({ version: 0x03, publicId: 0x0b, charset: 106 });
    expect(shape(decoded.root)).toEqual(shape(parseXml(expectedXml)));
  });

  it('encodes byte-exactly with test1 in the string table', () => {
    expect(toHex(encodeWbxml(parseXml(expectedXml), provVocabulary, { stringTable: ['test1'] }))).toBe(
      vector.wbxml,
    );
  });
});

describe('Gecko empty document (netwpin-empty-doc) and the docs/protocol.md §4.7 body `03 0B 6A 00 45 01`', () => {
  it('decodes to an empty wap-provisioningdoc and re-encodes byte-exactly', () => {
    const bytes = fromHex(publicVector('netwpin-empty-doc').wbxml!);
    const { root } = decodeWbxml(bytes);
    expect(shape(root)).toEqual(shape(parseXml('<wap-provisioningdoc/>')));
    expect(encodeWbxml(root, provVocabulary)).toEqual(bytes);
  });

  it('encodes <wap-provisioningdoc></wap-provisioningdoc> as 45 01', () => {
    expect(toHex(encodeWbxml(parseXml('<wap-provisioningdoc></wap-provisioningdoc>'), provVocabulary))).toBe(
      '030b6a004501',
    );
  });
});

describe('smsj Nokia OTA bookmark (nokia-ota-bookmark)', () => {
  const vector = publicVector('nokia-ota-bookmark');
  // TP-UD = WSP push: TID 00, PDU type 06 (push), HeadersLen 2C, then 0x2C octets of content type
  // and headers (docs/protocol.md §4.1, §4.6); the WBXML document follows.
  const WSP_FIXED_OCTETS = 3;
  const tpud = fromHex(vector.tpud_without_udh!);
  const wbxml = tpud.subarray(WSP_FIXED_OCTETS + tpud[2]);

  it('finds the WBXML header 01 01 6A 00 after the WSP headers', () => {
    expect(toHex(wbxml.subarray(0, 4))).toBe('01016a00');
  });

  it('decodes with the Nokia OTA vocabulary given by the caller (public id 1 = unknown)', () => {
    const decoded = decodeWbxml(wbxml, { vocabulary: nokiaOtaVocabulary });
    expect(decoded).toMatchObject({ version: 0x01, publicId: 0x01, charset: 106 });
    expect(decoded.vocabulary).toBe(nokiaOtaVocabulary);
    expect(shape(decoded.root)).toEqual(shape(parseXml(vector.xml!)));
  });

  it('encodes byte-exactly', () => {
    expect(encodeWbxml(parseXml(vector.xml!), nokiaOtaVocabulary)).toEqual(wbxml);
  });
});

describe('SI example of docs/protocol.md §8.4', () => {
  const xml =
    '<si><indication href="http://www.example.com/news" si-id="id1" action="signal-medium" ' +
    'created="2024-01-15T10:30:00Z">Hello</indication></si>';
  const bytes = bytesOf(
    '02 05 6A 00 45 C6 0D 03 "example" 00 85 03 "news" 00 11 03 "id1" 00 07 0A C3 06 20 24 01 15 10 30 01 ' +
      '03 "Hello" 00 01 01',
  );

  it('encodes byte-exactly', () => {
    expect(encodeWbxml(parseXml(xml), vocabularyFor(documentTypeOf(parseXml(xml))))).toEqual(bytes);
  });

  it('decodes, with the %Datetime OPAQUE back in ISO form', () => {
    const decoded = decodeWbxml(bytes);
    expect(decoded.vocabulary).toBe(siVocabulary);
    expect(shape(decoded.root)).toEqual(shape(parseXml(xml)));
  });
});

describe('%Datetime examples of docs/protocol.md §8.3', () => {
  it.each([
    ['2024-01-15T10:30:00Z', 'C3 06 20 24 01 15 10 30'],
    ['1999-06-25T15:23:15Z', 'C3 07 19 99 06 25 15 23 15'],
  ])('%s <-> %s', (datetime, opaque) => {
    const xml = `<si><indication created="${datetime}"/></si>`;
    const bytes = bytesOf(`02 05 6A 00 45 86 0A ${opaque} 01 01`);
    expect(encodeWbxml(parseXml(xml), siVocabulary)).toEqual(bytes);
    expect(shape(decodeWbxml(bytes).root)).toEqual(shape(parseXml(xml)));
  });
});

describe('libwbxml xml2wbxml vectors (test/fixtures/libwbxml-vectors.json)', () => {
  it.each(libwbxmlVectors().map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const root = parseXml(vector.xml);
    const vocabulary = vocabularyFor(documentTypeOf(root));
    const bytes = fromHex(vector.wbxml);
    const decoded = decodeWbxml(bytes, { vocabulary });
    expect(decoded.vocabulary).toBe(vocabulary);
    expect(shape(decoded.root)).toEqual(shape(root));
    const ours = encodeWbxml(root, vocabulary);
    if (vector.expect === 'byte-equal') expect(toHex(ours)).toBe(vector.wbxml);
    else expect(shape(decodeWbxml(ours, { vocabulary }).root)).toEqual(shape(root));
  });

  it('includes the SL example <sl href="http://www.example.com/ota" action="execute-high"/>', () => {
    const sl = libwbxmlVectors().find((v) => v.name === 'sl-execute-high')!;
    expect(sl.wbxml).toBe(toHex(bytesOf('02 06 6A 00 85 0A 03 "example" 00 85 03 "ota" 00 06 01')));
    expect(decodeWbxml(fromHex(sl.wbxml)).vocabulary).toBe(slVocabulary);
  });
});
