import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { decodeWspPush } from '../../../codecs/wsp/decode-wsp-push.ts';
import { encodeWspPush, type WspPush } from '../../../codecs/wsp/encode-wsp-push.ts';
import { MEDIA_TYPES, APPLICATION_IDS } from '../../../codecs/wsp/tables.ts';
import { EMPTY_PROV_DOC, GOLDEN_WSP_PUSHES as GOLDEN, ascii, nokiaWsp } from './golden-wsp-pushes.ts';

const empty = new Uint8Array(0);

describe('WSP push golden vectors', () => {
  it.each(GOLDEN)('decodes $name ($source)', ({ hex, push }) => {
    expect(decodeWspPush(fromHex(hex))).toEqual(push);
  });

  it.each(GOLDEN)('encodes $name byte for byte', ({ hex, push }) => {
    expect(toHex(encodeWspPush(push))).toBe(hex.toLowerCase());
  });

  it.each(GOLDEN)('round-trips $name', ({ hex }) => {
    expect(toHex(encodeWspPush(decodeWspPush(fromHex(hex))))).toBe(hex.toLowerCase());
  });

  it('carries the WBXML of the worked example as the body, 56 octets in all (docs/protocol.md §4.7)', () => {
    const bytes = fromHex(GOLDEN[0].hex);
    expect(bytes.length).toBe(56);
    expect(toHex(decodeWspPush(bytes).body)).toBe(EMPTY_PROV_DOC);
  });

  it('takes the Nokia bookmark body to be a WBXML document with unknown public id', () => {
    expect(toHex(decodeWspPush(fromHex(nokiaWsp)).body.subarray(0, 4))).toBe('01016a00');
  });
});

describe('WSP content type forms', () => {
  const encodeType = (contentType: WspPush['contentType']): string =>
    toHex(encodeWspPush({ transactionId: 0, contentType, body: empty })).slice(6);

  it('uses the general form with a Long-integer for a registered type without parameters (docs/protocol.md §4.3/§4.4)', () => {
    expect(encodeType({ mediaType: MEDIA_TYPES.emn, parameters: [] })).toBe('0302030a');
  });

  it('sends a media type without a code as text (Extension-media)', () => {
    expect(encodeType({ mediaType: 'application/x-example', parameters: [] })).toBe(
      ascii('application/x-example') + '00',
    );
  });

  it('looks media types up case-insensitively', () => {
    expect(encodeType({ mediaType: 'Application/VND.WAP.SIC', parameters: [] })).toBe('ae');
  });

  it('keeps an unassigned content-type code through decode and encode', () => {
    const decoded = decodeWspPush(fromHex('010601f5'));
    expect(decoded.contentType.mediaType).toBe('x-wsp-content-type-0x75');
    expect(toHex(encodeWspPush(decoded))).toBe('010601f5');
  });

  it('encodes an untyped parameter as Token-text name and text or integer value', () => {
    expect(
      encodeType({
        mediaType: MEDIA_TYPES.si,
        parameters: [
          { name: 'x-foo', value: 'bar' },
          { name: 'x-n', value: 300 },
        ],
      }),
    ).toBe('12' + 'ae' + ascii('x-foo') + '00' + ascii('bar') + '00' + ascii('x-n') + '00' + '02012c');
  });

  it('round-trips every well-known parameter kind', () => {
    const parameters = [
      { name: 'q', value: 0.5 },
      { name: 'q', value: 0.333 },
      { name: 'charset', value: 'iso-8859-1' },
      { name: 'charset', value: '*' },
      { name: 'charset', value: 2000 },
      { name: 'level', value: '1.2' },
      { name: 'level', value: '3' },
      { name: 'level', value: 'beta' },
      { name: 'type', value: 5 },
      { name: 'type', value: 'application/vnd.wap.wmlc' },
      { name: 'type', value: 'application/x-other' },
      { name: 'name', value: 'settings' },
      { name: 'filename', value: 'a.wbxml' },
      { name: 'differences', value: 'content-length' },
      { name: 'differences', value: 'x-own' },
      { name: 'padding', value: 3 },
      { name: 'start', value: '<a>' },
      { name: 'start-info', value: 'info' },
      { name: 'comment', value: 'hello' },
      { name: 'domain', value: 'example.com' },
      { name: 'max-age', value: 3600 },
      { name: 'path', value: '/' },
      { name: 'secure', value: '' },
      { name: 'sec', value: 2 },
      { name: 'mac', value: 'ABCDEF' },
      { name: 'creation-date', value: 1_000_000_000 },
      { name: 'modification-date', value: 0 },
      { name: 'read-date', value: 42 },
      { name: 'size', value: 70_000 },
      { name: 'Untyped-Name', value: 'Value' },
      { name: 'untyped-number', value: 7 },
      { name: 'untyped-empty', value: '' },
    ];
    const push: WspPush = {
      transactionId: 9,
      contentType: { mediaType: MEDIA_TYPES.omaCp, parameters },
      body: fromHex('00'),
    };
    expect(decodeWspPush(encodeWspPush(push))).toEqual(push);
  });

  it('accepts a ucs-2 alias and decodes the canonical charset name', () => {
    const push: WspPush = {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [{ name: 'charset', value: 'ucs-2' }] },
      body: empty,
    };
    const bytes = encodeWspPush(push);
    expect(toHex(bytes)).toBe('01060605ae810203e8');
    expect(decodeWspPush(bytes).contentType.parameters).toEqual([
      { name: 'charset', value: 'iso-10646-ucs-2' },
    ]);
  });

  it('decodes the WSP 1.4 parameter codes to the same canonical names', () => {
    // Name 0x17 and Filename 0x18 as Text-value (WSP 1.4), docs/protocol.md §4.3.
    const hex = '01060a09ae97' + ascii('abc') + '0098' + ascii('f') + '00';
    expect(decodeWspPush(fromHex(hex)).contentType.parameters).toEqual([
      { name: 'name', value: 'abc' },
      { name: 'filename', value: 'f' },
    ]);
  });
});

describe('WSP headers', () => {
  it('encodes a registered application id as a Long-integer (docs/protocol.md §4.5: 9011 -> 02 90 11)', () => {
    const bytes = encodeWspPush({
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.omaCp, parameters: [] },
      applicationId: 'x-oma-vodafone:otaprov.ua',
      body: empty,
    });
    expect(toHex(bytes)).toBe('010605b6af029011');
    expect(decodeWspPush(bytes).applicationId).toBe('x-oma-vodafone:otaprov.ua');
  });

  it('sends an application id with no code as a URI text and decodes it back', () => {
    const push: WspPush = {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [] },
      applicationId: 'x-example:push.ua',
      body: empty,
    };
    const bytes = encodeWspPush(push);
    expect(toHex(bytes)).toBe('010614aeaf' + ascii('x-example:push.ua') + '00');
    expect(decodeWspPush(bytes)).toEqual(push);
  });

  it('gives an unassigned numeric application id back as a number', () => {
    expect(decodeWspPush(fromHex('010603aeafb0')).applicationId).toBe(0x30);
  });

  it('keeps other well-known headers raw and re-encodes them unchanged', () => {
    // Content-Length (0x0D) as Long-integer 500, then Content-Location (0x0E) as text.
    const hex = '01060bb6' + '8d0201f4' + '8e' + ascii('/x') + '00' + 'af82' + 'cafe';
    const decoded = decodeWspPush(fromHex(hex));
    expect(decoded.applicationId).toBe(APPLICATION_IDS.wmlUserAgent);
    expect(decoded.headers).toEqual([
      { name: 'content-length', value: fromHex('0201f4') },
      { name: 'content-location', value: fromHex(ascii('/x') + '00') },
    ]);
    expect(toHex(decoded.body)).toBe('cafe');
    // The encoder writes the application id first; the raw headers keep their bytes.
    const again = encodeWspPush(decoded);
    expect(decodeWspPush(again)).toEqual(decoded);
  });

  it('round-trips an application header (Token-text name, Text-string value)', () => {
    const push: WspPush = {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [] },
      headers: [{ name: 'X-Operator', value: 'acme' }],
      body: empty,
    };
    const bytes = encodeWspPush(push);
    expect(toHex(bytes)).toBe('010611ae' + ascii('X-Operator') + '00' + ascii('acme') + '00');
    expect(decodeWspPush(bytes)).toEqual(push);
  });

  it('accepts a ConfirmedPush (0x07) as Android does (docs/protocol.md §4.1)', () => {
    expect(decodeWspPush(fromHex('010701b6')).contentType.mediaType).toBe(MEDIA_TYPES.omaCp);
  });

  it('quotes a text value whose first octet is >= 0x80 (docs/protocol.md §4.2)', () => {
    const push: WspPush = {
      transactionId: 1,
      contentType: { mediaType: MEDIA_TYPES.si, parameters: [] },
      headers: [{ name: 'content-location', value: 'é' }],
      body: empty,
    };
    expect(toHex(encodeWspPush(push))).toBe('010606ae8e7fc3a900');
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

describe('WSP push errors', () => {
  it.each([
    ['WSP_NOT_PUSH', '014001b6', 'a GET PDU'],
    ['WSP_BAD_HEADERS_LENGTH', '010605b6', 'HeadersLen beyond the end'],
    ['WSP_BAD_HEADERS_LENGTH', '010600', 'HeadersLen 0 (no content type)'],
    ['TRUNCATED', '01', 'no PDU type'],
    ['TRUNCATED', '0106', 'no HeadersLen'],
    ['WSP_BAD_CONTENT_TYPE_LENGTH', '0106020fae', 'a content type longer than the headers'],
    ['WSP_UNSUPPORTED_HEADER_PAGE', '010603ae7f02', 'a header code page shift'],
    ['WSP_BAD_PARAMETER', '01060302ae00', 'a parameter starting with NUL'],
    ['WSP_BAD_CONTENT_TYPE', '0106030200ae', 'a media type starting with NUL'],
    ['WSP_BAD_INTEGER', '01060403ae9100', 'SEC that is not a Short-integer'],
  ])('throws %s for %s', (code, hex) => {
    expect(codeOf(() => decodeWspPush(fromHex(hex)))).toBe(code);
  });

  const base = (parameters: WspPush['contentType']['parameters']): WspPush => ({
    transactionId: 1,
    contentType: { mediaType: MEDIA_TYPES.omaCp, parameters },
    body: empty,
  });

  it('refuses a transaction id that does not fit an octet', () => {
    expect(codeOf(() => encodeWspPush({ ...base([]), transactionId: 256 }))).toBe('WSP_BAD_TRANSACTION_ID');
  });

  it('refuses a charset it has no MIBenum for', () => {
    expect(codeOf(() => encodeWspPush(base([{ name: 'charset', value: 'klingon' }])))).toBe(
      'WSP_UNKNOWN_CHARSET',
    );
  });

  it('refuses a well-known parameter with a value of the wrong type', () => {
    expect(codeOf(() => encodeWspPush(base([{ name: 'sec', value: 'NETWPIN' }])))).toBe(
      'WSP_BAD_PARAMETER_VALUE',
    );
  });

  it('refuses a SEC value that is not a Short-integer', () => {
    expect(codeOf(() => encodeWspPush(base([{ name: 'sec', value: 128 }])))).toBe('WSP_BAD_INTEGER');
  });

  it('refuses text with a NUL in it', () => {
    expect(codeOf(() => encodeWspPush(base([{ name: 'mac', value: 'AB\u0000CD' }])))).toBe(
      'WSP_TEXT_CONTAINS_NUL',
    );
  });

  it('refuses a raw header value that is not exactly one WSP value', () => {
    const push = { ...base([]), headers: [{ name: 'content-length', value: fromHex('0201') }] };
    expect(codeOf(() => encodeWspPush(push))).toBe('WSP_BAD_HEADER_VALUE');
  });

  it('refuses an empty media type', () => {
    expect(codeOf(() => encodeWspPush({ ...base([]), contentType: { mediaType: '', parameters: [] } }))).toBe(
      'WSP_BAD_MEDIA_TYPE',
    );
  });
});
