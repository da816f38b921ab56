/**
 * SyncML DM 1.2 WBXML against an implementation nobody here wrote: Debian's libwbxml 0.11.8
 * (`xml2wbxml`, `wbxml2xml`; source "LW" of docs/protocol-dm.md §0). The golden bytes are what
 * `xml2wbxml` writes for the XML fixtures of test/fixtures/syncml/ — never our own encoder's output.
 *
 * (a) Fixtures written in DTD order (otagw-*.xml): our WBXML equals libwbxml's byte for byte.
 * (b) Every fixture, the specification's examples included: our decoder reads libwbxml's WBXML (with and
 *     without its string table) as the same message as our XML decoder reads the source.
 * (c) libwbxml's `wbxml2xml` reads our WBXML back as the same message.
 * (d) Each tag token of codecs/wbxml/vocabularies/syncml.ts is the one xml2wbxml gives the tag.
 *
 * If the tools are missing this suite FAILS, unless OTAGW_SKIP_LIBWBXML=1.
 */
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSyncMlWbxml,
  decodeSyncMlXml,
  encodeSyncMlWbxml,
  encodeSyncMlXml,
} from '../../../codecs/syncml/index.ts';
import type { SyncMlMessage } from '../../../codecs/syncml/index.ts';
import { metInfTags, syncMlTags } from '../../../codecs/wbxml/vocabularies/syncml.ts';
import { fixturePath, readFixture } from '../../support/fixtures.ts';
import {
  findLibwbxml,
  libwbxmlDecode,
  libwbxmlEncode,
  LIBWBXML_MISSING_MESSAGE,
  SKIP_LIBWBXML_ENV,
  type ConversionResult,
} from '../../support/libwbxml.ts';

const tools = findLibwbxml();
const skip = !tools && process.env[SKIP_LIBWBXML_ENV] === '1';

const FIXTURES = readdirSync(fixturePath('syncml'))
  .filter((name) => name.endsWith('.xml'))
  .sort()
  .map((name) => ({ name, xml: readFixture(`syncml/${name}`) }));
/** Written by us in the order of the DTD: byte equality is expected for these. */
const DTD_ORDER = FIXTURES.filter((fixture) => fixture.name.startsWith('otagw-'));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function output<T>(result: ConversionResult<T>, what: string): T {
  if (!result.ok || result.output === undefined) throw new Error(`${what}: libwbxml failed: ${result.error}`);
  return result.output;
}

describe.skipIf(skip)('SyncML WBXML against libwbxml', () => {
  let plain: Array<ConversionResult<Uint8Array>> = [];
  let withStringTable: Array<ConversionResult<Uint8Array>> = [];
  let readsOurs: Array<ConversionResult<string>> = [];
  let models: SyncMlMessage[] = [];

  beforeAll(async () => {
    if (!tools) throw new Error(LIBWBXML_MISSING_MESSAGE);
    models = FIXTURES.map((fixture) => decodeSyncMlXml(fixture.xml));
    [plain, withStringTable, readsOurs] = await Promise.all([
      libwbxmlEncode(
        tools,
        FIXTURES.map((fixture) => ({ xml: fixture.xml, stringTable: false, version: '1.2' })),
      ),
      libwbxmlEncode(
        tools,
        FIXTURES.map((fixture) => ({ xml: fixture.xml, stringTable: true, version: '1.2' })),
      ),
      libwbxmlDecode(
        tools,
        models.map((model) => ({ wbxml: encodeSyncMlWbxml(model) })),
      ),
    ]);
  });

  it('has fixtures of both kinds', () => {
    expect(DTD_ORDER.length).toBeGreaterThanOrEqual(4);
    expect(FIXTURES.length - DTD_ORDER.length).toBeGreaterThanOrEqual(5);
  });

  it('(a) encodes the DTD-ordered fixtures to exactly the bytes xml2wbxml writes', () => {
    for (const fixture of DTD_ORDER) {
      const index = FIXTURES.indexOf(fixture);
      const golden = output(plain[index], fixture.name);
      expect(hex(golden.subarray(0, 5)), fixture.name).toBe('02a4016a00'); // WBXML 1.2, 0x1201, UTF-8
      expect(hex(encodeSyncMlWbxml(models[index])), fixture.name).toBe(hex(golden));
      // and through our own XML text too (the XML encoder loses nothing the WBXML needs)
      expect(hex(encodeSyncMlWbxml(decodeSyncMlXml(encodeSyncMlXml(models[index])))), fixture.name).toBe(
        hex(golden),
      );
    }
  });

  it('(b) decodes what xml2wbxml writes, with and without its string table, as the source XML', () => {
    let withTable = 0;
    FIXTURES.forEach((fixture, index) => {
      expect(decodeSyncMlWbxml(output(plain[index], fixture.name)), fixture.name).toEqual(models[index]);
      const tabled = output(withStringTable[index], fixture.name);
      if (tabled[4] > 0) withTable++; // the string table length octet (short tables)
      expect(decodeSyncMlWbxml(tabled), fixture.name).toEqual(models[index]);
    });
    // libwbxml puts repeated words in its table: most fixtures exercise STR_T
    expect(withTable).toBeGreaterThanOrEqual(FIXTURES.length / 2);
  });

  it('(c) wbxml2xml reads our WBXML as the same message', () => {
    FIXTURES.forEach((fixture, index) => {
      const xml = output(readsOurs[index], fixture.name);
      expect(decodeSyncMlXml(xml), fixture.name).toEqual(models[index]);
    });
  });
});

describe.skipIf(skip)('SyncML public ids against libwbxml', () => {
  it('(e) wbxml2xml reads the public id as FPI text and the SyncML 1.1 id, and so do we', async () => {
    const model = decodeSyncMlXml(readFixture('syncml/otagw-package2.xml'));
    // SyncML 1.1 has no Correlator (0x3C is 1.2 only, docs/protocol-dm.md §5.3): a message without one
    const package3 = decodeSyncMlXml(readFixture('syncml/otagw-package3.xml'));
    const old = { ...package3, header: { ...package3.header, verDtd: '1.1', verProto: 'DM/1.1' } };
    const forms = [
      {
        bytes: encodeSyncMlWbxml(model, { publicIdAsString: true }),
        model,
        prefix: '0200006a1e',
        doctype: 'SyncML 1.2',
      },
      { bytes: encodeSyncMlWbxml(old), model: old, prefix: '029f536a00', doctype: 'SyncML 1.1' },
      {
        bytes: encodeSyncMlWbxml(old, { publicIdAsString: true }),
        model: old,
        prefix: '0200006a1e',
        doctype: 'SyncML 1.1',
      },
    ];
    const results = await libwbxmlDecode(
      tools!,
      forms.map((form) => ({ wbxml: form.bytes })),
    );
    forms.forEach((form, index) => {
      expect(hex(form.bytes.subarray(0, 5))).toBe(form.prefix);
      const xml = output(results[index], form.doctype);
      expect(xml).toContain(`-//SYNCML//DTD ${form.doctype}//EN`);
      expect(decodeSyncMlXml(xml)).toEqual(form.model);
      expect(decodeSyncMlWbxml(form.bytes)).toEqual(form.model);
    });
  });
});

describe.skipIf(skip)('SyncML tag tokens against libwbxml', () => {
  it('(d) every tag token is the one libwbxml gives that tag (pages SyncML 0 and MetInf 1)', async () => {
    const syncMl = Object.entries(syncMlTags).map(([token, name]) => ({
      token: Number(token),
      page: 0,
      xml: `<SyncML xmlns="SYNCML:SYNCML1.2"><${name}/></SyncML>`,
    }));
    const metInf = Object.entries(metInfTags).map(([token, name]) => ({
      token: Number(token),
      page: 1,
      xml: `<SyncML xmlns="SYNCML:SYNCML1.2"><Meta><${name} xmlns="syncml:metinf"/></Meta></SyncML>`,
    }));
    const cases = [...syncMl, ...metInf];
    const results = await libwbxmlEncode(
      tools!,
      cases.map((entry) => ({ xml: entry.xml, stringTable: false, version: '1.2' })),
    );
    cases.forEach((entry, index) => {
      const bytes = output(results[index], entry.xml);
      // header (5) + SyncML with content (6D), then the tag — after <Meta> (5A) and SWITCH_PAGE 1 on page 1
      const expected =
        entry.page === 0
          ? `6d${hex(Uint8Array.of(entry.token))}01`
          : `6d5a0001${hex(Uint8Array.of(entry.token))}0101`;
      expect(hex(bytes.subarray(5)), entry.xml).toBe(expected);
    });
  });
});
