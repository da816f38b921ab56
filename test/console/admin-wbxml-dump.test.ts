import { describe, expect, it } from 'vitest';
import { fromHex } from '../../codecs/bytes/hex.ts';
import { encodeWbxml } from '../../codecs/wbxml/encode-wbxml.ts';
import { nokiaOtaVocabulary, provVocabulary, siVocabulary } from '../../codecs/wbxml/vocabularies/index.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { dumpWbxml, spacedHex, type WbxmlToken } from '../../src/console/pages/admin-wbxml-dump.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { publicVector } from '../support/fixtures.ts';
import { fullParameters } from '../profiles/sample-parameters.ts';

const row = (token: WbxmlToken) => [token.offset, spacedHex(token.octets), token.kind, token.meaning];

/** The rows cover the document exactly once, in order: the dump is the hex, cut up. */
function expectCoversEveryOctet(bytes: Uint8Array, tokens: WbxmlToken[]): void {
  let offset = 0;
  for (const token of tokens) {
    expect(token.offset).toBe(offset);
    offset += token.octets.length;
  }
  expect(offset).toBe(bytes.length);
  expect(Buffer.concat(tokens.map((token) => token.octets))).toEqual(Buffer.from(bytes));
}

describe('dumpWbxml: the preview hex cut into tokens (docs/protocol.md §1)', () => {
  it('names the header fields, the string table, tags with their bits and attribute tokens of the ProvCont sample', () => {
    const bytes = fromHex(publicVector('prov-appendix-c').wbxml!);
    const dump = dumpWbxml(bytes);
    expect(dump.vocabulary).toBe('OMA CP PROV 1.0');
    expectCoversEveryOctet(bytes, dump.tokens);
    expect(dump.tokens.slice(0, 9).map(row)).toEqual([
      [0, '03', 'header', 'version: WBXML 1.3'],
      [1, '0B', 'header', 'public id: 0x0B (read as OMA CP PROV 1.0)'],
      [2, '6A', 'header', 'charset: MIBenum 106, UTF-8'],
      [3, '05', 'header', 'string table length: 5 octets'],
      [4, '4E 41 50 31 00', 'string-table', 'string table: 0: "NAP1"'],
      [9, 'C5', 'tag', 'tag wap-provisioningdoc (page 0), attributes and content follow'],
      [10, '46', 'attribute-start', 'attribute version="1.0" (page 0)'],
      [11, '01', 'end', 'END of the attributes of wap-provisioningdoc'],
      [12, 'C6', 'tag', 'tag characteristic (page 0), attributes and content follow'],
    ]);
    const meanings = dump.tokens.map((token) => token.meaning);
    // PPGAUTH-TYPE's value HTTP-BASIC is the ATTRVALUE 0x9C (docs/protocol.md §2.4); NAP1 goes by STR_T.
    expect(dump.tokens.find((t) => t.offset === 53)!.meaning).toBe('value "HTTP-BASIC" (page 0)');
    expect(meanings).toContain('STR_T: string table at 0, "NAP1"');
    // The empty ACCESS characteristic written `C6 5B 01 01` (docs/protocol.md §1.4).
    const access = dump.tokens.findIndex((t) => t.meaning === 'attribute type="ACCESS" (page 0)');
    expect(dump.tokens.slice(access - 1, access + 3).map((t) => spacedHex(t.octets))).toEqual([
      'C6',
      '5B',
      '01',
      '01',
    ]);
    expect(meanings.at(-1)).toBe('END of wap-provisioningdoc');
  });

  it('masks the values of secret parms as the preview XML does, and only those', () => {
    const dump = dumpWbxml(fromHex(publicVector('prov-appendix-c').wbxml!));
    const text = dump.tokens.map((token) => token.meaning).join('\n');
    for (const secret of ['proxypasswd', 'pxuserpasswd', 'wwwmmmsecret']) expect(text).not.toContain(secret);
    expect(dump.tokens.filter((t) => t.meaning === 'STR_I: "***"')).toHaveLength(3);
    expect(text).toContain('STR_I: "wwwmmmuser"');
    expect(text).toContain('STR_I: "BankMainProxy"');
  });

  it('follows attribute code page switches (docs/protocol.md §1.6)', () => {
    const bytes = fromHex(publicVector('prov-code-page-switching-userpin').wbxml!);
    const dump = dumpWbxml(bytes);
    expectCoversEveryOctet(bytes, dump.tokens);
    const switches = dump.tokens.filter((token) => token.kind === 'switch-page');
    expect(switches.length).toBeGreaterThan(0);
    expect(switches[0].meaning).toBe('SWITCH_PAGE: attribute code page 1 (§1.6)');
    const afterSwitch = dump.tokens[dump.tokens.indexOf(switches[0]) + 1];
    expect(afterSwitch.meaning).toMatch(/\(page 1\)$/);
    expect(dump.tokens.some((t) => t.kind === 'undecoded')).toBe(false);
  });

  it('reads Nokia OTA with the vocabulary the format names, as its public id is 1, unknown (docs/protocol.md §7)', () => {
    // The SJ vector's TP-UD: the WSP push header is 47 octets, then the WBXML `01 01 6A 00 ...`.
    const bytes = fromHex(publicVector('nokia-ota-bookmark').tpud_without_udh!).subarray(47);
    const dump = dumpWbxml(bytes, nokiaOtaVocabulary);
    expectCoversEveryOctet(bytes, dump.tokens);
    expect(dump.tokens.map(row).slice(0, 9)).toEqual([
      [0, '01', 'header', 'version: WBXML 1.1'],
      [1, '01', 'header', 'public id: 1, unknown (read as Nokia OTA Settings 7.0)'],
      [2, '6A', 'header', 'charset: MIBenum 106, UTF-8'],
      [3, '00', 'header', 'string table length: 0 octets'],
      [4, '45', 'tag', 'tag CHARACTERISTIC-LIST (page 0), content follows'],
      [5, 'C6', 'tag', 'tag CHARACTERISTIC (page 0), attributes and content follow'],
      [6, '7F', 'attribute-start', 'attribute TYPE="BOOKMARK" (page 0)'],
      [7, '01', 'end', 'END of the attributes of CHARACTERISTIC'],
      [8, '87', 'tag', 'tag PARM (page 0), attributes follow'],
    ]);
    expect(dump.tokens.find((t) => t.offset === 11)!.meaning).toBe('STR_I: "Wap"');
    // Without a vocabulary the body cannot be read: the header is shown and the rest is one row saying so.
    const blind = dumpWbxml(bytes);
    expect(blind.vocabulary).toBeNull();
    expect(blind.tokens.at(-1)).toMatchObject({ offset: 4, kind: 'undecoded' });
    expect(blind.tokens.at(-1)!.meaning).toContain('names no vocabulary');
  });

  it('shows an SI %Datetime OPAQUE as its date (docs/protocol.md §8.3)', () => {
    const root = parseXml(
      '<si><indication href="http://www.example.com/fw" created="2026-12-02T10:30:00Z">New firmware</indication></si>',
    );
    const bytes = encodeWbxml(root, siVocabulary);
    const dump = dumpWbxml(bytes);
    expectCoversEveryOctet(bytes, dump.tokens);
    const opaque = dump.tokens.find((token) => token.kind === 'opaque')!;
    expect(opaque.octets[0]).toBe(0xc3);
    expect(opaque.meaning).toBe('OPAQUE: 6 octets, %Datetime 2026-12-02T10:30:00Z (§8.3)');
    expect(dump.tokens.some((t) => t.meaning === 'STR_I: "New firmware"')).toBe(true);
  });

  it('covers every octet of what the renderer and encoder make of a full profile, secrets masked', () => {
    for (const format of ['oma-cp', 'nokia-ota'] as const) {
      const rendered = renderProfile(fullParameters(), { format });
      const vocabulary = format === 'oma-cp' ? provVocabulary : nokiaOtaVocabulary;
      const bytes = encodeWbxml(rendered.root, vocabulary);
      const dump = dumpWbxml(bytes, vocabulary);
      expectCoversEveryOctet(bytes, dump.tokens);
      expect(dump.tokens.some((t) => t.kind === 'undecoded')).toBe(false);
      const text = dump.tokens.map((t) => t.meaning).join('\n');
      // The sample's secrets (test/profiles/sample-parameters.ts), wherever the format carries them.
      for (const secret of ['web-secret', 'proxy-secret', 'mail-secret', 'client-secret', 'server-secret'])
        expect(text).not.toContain(secret);
      expect(text).toContain('"***"');
    }
  });

  it('stops at a damaged byte with one row that says why, keeping what came before', () => {
    const good = fromHex(publicVector('prov-appendix-c').wbxml!);
    const truncated = good.subarray(0, 25);
    const cut = dumpWbxml(truncated);
    expectCoversEveryOctet(truncated, cut.tokens);
    expect(cut.tokens.at(-1)).toMatchObject({ kind: 'undecoded', offset: 18 });
    expect(cut.tokens.at(-1)!.meaning).toContain('STR_I');

    const unknownTag = Uint8Array.from([...good.subarray(0, 12), 0x3f, 0x01, 0x01]);
    const bad = dumpWbxml(unknownTag);
    expect(bad.tokens.at(-1)).toMatchObject({ kind: 'undecoded', offset: 12 });
    expect(bad.tokens.at(-1)!.meaning).toBe('not read further: tag token 0x3F is not on tag page 0');

    expect(dumpWbxml(new Uint8Array(0)).tokens).toEqual([
      { offset: 0, octets: new Uint8Array(0), kind: 'undecoded', meaning: expect.stringContaining('ends') },
    ]);
  });
});
