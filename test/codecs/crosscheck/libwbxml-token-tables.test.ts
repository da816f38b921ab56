/**
 * Our token tables against libwbxml's, token by token: for every tag token (0x05–0x3F), every ATTRSTART
 * (0x05–0x7F) and every ATTRVALUE (0x85–0xFF) on every code page of every vocabulary, a one-token document
 * is decoded by `wbxml2xml` and by decodeWbxml. They must agree: the same tree when both know the token,
 * and when we do not know it, libwbxml must not either (it then fails, or writes its placeholder name
 * "unknown"). A token libwbxml knows and we lack, or a different name/value, fails the test.
 *
 * Every token our tables define is probed, plus a seeded sample of 15% of the others (OTAGW_EXHAUSTIVE=1
 * probes all ~1,350; done on 2025-11-25 with libwbxml 0.11.8: no disagreement beyond the two below, and no
 * token libwbxml knows that we lack).
 *
 * Allowed, and why (libwbxml's doing, not ours):
 * - LIBWBXML_XML_OUTPUT_QUIRKS (test/support/libwbxml.ts), in particular its "TRETRA-" misspelling of 0xB5/0xB6;
 * - an SI `created`/`si-expires` sent as a string instead of OPAQUE: libwbxml refuses it ("Bad Datetime
 *   Format"); we read the string. docs/protocol.md §8.3 says senders use OPAQUE; reading the string too is leniency.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { vocabularyFor } from '../../../codecs/wbxml/vocabularies/index.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import {
  LIBWBXML_MISSING_MESSAGE,
  LIBWBXML_XML_OUTPUT_QUIRKS,
  SKIP_LIBWBXML_ENV,
  findLibwbxml,
  libwbxmlDecode,
  type ConversionResult,
} from '../../support/libwbxml.ts';
import type { GeneratedDocumentType } from '../../support/random-documents.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';
import { treeDifference } from '../../support/tree-compare.ts';

const tools = findLibwbxml();
const skip = !tools && process.env[SKIP_LIBWBXML_ENV] === '1';

// WBXML global tokens (docs/protocol.md §1.3): never tag, ATTRSTART or ATTRVALUE tokens.
const GLOBAL_TOKENS = new Set([
  0x00, 0x01, 0x02, 0x03, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80, 0x81, 0x82, 0x83,
]);
for (const token of [0x84, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4]) GLOBAL_TOKENS.add(token);
const END = 0x01;
const STR_I = 0x03;
const SWITCH_PAGE = 0x00;
const WITH_ATTRIBUTES = 0x80; // docs/protocol.md §1.4
const WITH_CONTENT = 0x40; // docs/protocol.md §1.4
const UTF_8 = 0x6a; // docs/protocol.md §1.1

interface Probe {
  label: string;
  type: GeneratedDocumentType;
  bytes: Uint8Array;
  /** which table of ours the token would be in, for the sampling */
  kind: 'tags' | 'attributeStarts' | 'attributeValues';
  page: number;
  token: number;
}

const EXHAUSTIVE = process.env.OTAGW_EXHAUSTIVE === '1';
const SAMPLE_OF_OTHERS = 0.15;

/** Whether our vocabulary has the token; our tokens are always probed, the rest sampled. */
function inOurTables(probe: Probe): boolean {
  const pages = vocabularyFor(probe.type)[probe.kind] as Readonly<
    Record<number, Readonly<Record<number, unknown>>>
  >;
  return pages[probe.page]?.[probe.token] !== undefined;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((token) => !GLOBAL_TOKENS.has(token));
const hex2 = (value: number): string => value.toString(16).padStart(2, '0');

/** One-token documents. The header and wrapper bytes are docs/protocol.md §2.1, §7, §8 shapes. */
function probes(): Probe[] {
  const out: Probe[] = [];
  const add = (
    type: GeneratedDocumentType,
    kind: Probe['kind'],
    page: number,
    token: number,
    bytes: number[],
  ): void => {
    const what = { tags: 'tag', attributeStarts: 'ATTRSTART', attributeValues: 'ATTRVALUE' }[kind];
    const label = `${type} ${what}${type === 'prov' ? ` page ${page}` : ''} 0x${hex2(token)}`;
    out.push({ label, type, kind, page, token, bytes: Uint8Array.from(bytes) });
  };
  const x = [STR_I, 0x78, 0x00]; // STR_I "x"
  // OMA CP: <wap-provisioningdoc version="1.0"><parm .../></...>, attribute page switched first.
  const cpHead = [0x03, 0x0b, UTF_8, 0x00, 0xc5, 0x46, END];
  for (const page of [0, 1]) {
    for (const token of range(0x05, 0x7f)) {
      add('prov', 'attributeStarts', page, token, [...cpHead, 0x87, SWITCH_PAGE, page, token, END, END]);
    }
    for (const token of range(0x85, 0xff)) {
      add('prov', 'attributeValues', page, token, [
        ...cpHead,
        0x87,
        SWITCH_PAGE,
        page,
        0x06,
        token,
        END,
        END,
      ]);
    }
    for (const token of range(0x05, 0x3f)) {
      add('prov', 'tags', page, token, [0x03, 0x0b, UTF_8, 0x00, 0x45, SWITCH_PAGE, page, token, END]);
    }
  }
  // SI: <si><indication ATTR/></si>; SL: <sl ATTR/>; values after href= (SI 0x0B, SL 0x08) + "x".
  for (const [type, publicId, wrapperStart, hrefToken, wrapperEnd] of [
    ['si', 0x05, [0x45, 0x86], 0x0b, [END]],
    ['sl', 0x06, [0x85], 0x08, []],
  ] as const) {
    const head = [0x02, publicId, UTF_8, 0x00, ...wrapperStart];
    for (const token of range(0x05, 0x7f))
      add(type, 'attributeStarts', 0, token, [...head, token, ...x, END, ...wrapperEnd]);
    for (const token of range(0x85, 0xff)) {
      add(type, 'attributeValues', 0, token, [...head, hrefToken, ...x, token, END, ...wrapperEnd]);
    }
    for (const token of range(0x05, 0x3f)) {
      add(type, 'tags', 0, token, [0x02, publicId, UTF_8, 0x00, WITH_CONTENT | 0x05, token, END]);
    }
  }
  // Nokia OTA: <CHARACTERISTIC-LIST><PARM ATTR/></...> (all attribute tokens are ATTRSTART, docs/protocol.md §7).
  for (const token of range(0x05, 0x7f)) {
    add('nokia-ota', 'attributeStarts', 0, token, [
      0x01,
      0x01,
      UTF_8,
      0x00,
      0x45,
      WITH_ATTRIBUTES | 0x07,
      token,
      END,
      END,
    ]);
  }
  for (const token of range(0x05, 0x3f))
    add('nokia-ota', 'tags', 0, token, [0x01, 0x01, UTF_8, 0x00, 0x45, token, END]);
  return out;
}

const usesUnknownPlaceholder = (element: XmlElement): boolean =>
  element.name === 'unknown' ||
  element.attributes.some(([name]) => name === 'unknown') ||
  element.children.some((child) => typeof child !== 'string' && usesUnknownPlaceholder(child));

describe.skipIf(skip)('libwbxml and our decoder read every single token the same', () => {
  const sample = new SeededRandom(testSeed(0x70c_2024));
  const cases = probes().filter(
    (probe) => EXHAUSTIVE || inOurTables(probe) || sample.chance(SAMPLE_OF_OTHERS),
  );
  let theirs: Array<ConversionResult<string>> = [];

  beforeAll(async () => {
    if (!tools) throw new Error(LIBWBXML_MISSING_MESSAGE);
    theirs = await libwbxmlDecode(
      tools,
      cases.map((probe) => ({
        wbxml: probe.bytes,
        language: probe.type === 'nokia-ota' ? 'OTA' : undefined,
      })),
    );
  });

  it.each(['prov', 'si', 'sl', 'nokia-ota'] as const)('%s', (type) => {
    const disagreements: string[] = [];
    let bothKnow = 0;
    cases.forEach((probe, i) => {
      if (probe.type !== type) return;
      let ours: XmlElement | undefined;
      let ourError = '';
      try {
        ours = decodeWbxml(probe.bytes, { vocabulary: vocabularyFor(type) }).root;
      } catch (error) {
        ourError = String(error);
      }
      const their = theirs[i];
      const theirTree = their.ok ? parseXml(their.output!) : undefined;
      const where = `${probe.label} (${toHex(probe.bytes)})`;
      if (ours && theirTree) {
        bothKnow += 1;
        const difference = treeDifference(theirTree, ours, LIBWBXML_XML_OUTPUT_QUIRKS);
        if (difference) disagreements.push(`${where}: ${difference}`);
      } else if (ours && !theirTree) {
        const datetimeAsString =
          /Bad Datetime Format/.test(their.error ?? '') && /created|si-expires/.test(JSON.stringify(ours));
        if (!datetimeAsString) disagreements.push(`${where}: we read it, libwbxml fails: ${their.error}`);
      } else if (!ours && theirTree && !usesUnknownPlaceholder(theirTree)) {
        disagreements.push(`${where}: libwbxml reads ${their.output}, we throw ${ourError}`);
      }
    });
    expect(disagreements, disagreements.join('\n')).toEqual([]);
    expect(bothKnow).toBeGreaterThan(type === 'prov' ? 120 : 10);
    // Every token of ours was probed (and read the same by libwbxml, above).
    expect(cases.filter((probe) => probe.type === type && inOurTables(probe)).length).toBeGreaterThan(10);
  });
});
