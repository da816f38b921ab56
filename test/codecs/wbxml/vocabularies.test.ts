import { describe, expect, it } from 'vitest';
import type { Vocabulary } from '../../../codecs/wbxml/vocabulary.ts';
import {
  nokiaOtaVocabulary,
  provVocabulary,
  siVocabulary,
  slVocabulary,
  vocabularies,
  vocabularyFor,
  vocabularyForPublicId,
} from '../../../codecs/wbxml/vocabularies/index.ts';
import { readTable } from '../../support/fixtures.ts';

/** The tables' key spelling: "0x0A". */
const hexKey = (token: number): string => `0x${token.toString(16).toUpperCase().padStart(2, '0')}`;

function hexKeyed<T, U>(table: Readonly<Record<number, T>>, map: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const token of Object.keys(table).map(Number)) out[hexKey(token)] = map(table[token]);
  return out;
}

function paged<T, U>(
  pages: Readonly<Record<number, Readonly<Record<number, T>>>>,
  map: (value: T) => U,
): Record<string, Record<string, U>> {
  const out: Record<string, Record<string, U>> = {};
  for (const page of Object.keys(pages)) out[page] = hexKeyed(pages[Number(page)], map);
  return out;
}

const asObject = (start: { name: string; value?: string }) =>
  start.value === undefined ? { name: start.name } : { name: start.name, value: start.value };
const asPair = (start: { name: string; value?: string }) => [start.name, start.value ?? null];
const same = <T>(value: T): T => value;

function withoutNote(table: Record<string, unknown>): Record<string, unknown> {
  const { _note: _ignored, ...rest } = table;
  return rest;
}

describe('vocabulary tables equal the token tables of docs/protocol.md §2, §7, §8 (test/fixtures/tables/*.json)', () => {
  it('OMA CP', () => {
    expect({
      tags: paged(provVocabulary.tags, same),
      attrStart: paged(provVocabulary.attributeStarts, asObject),
      attrValue: paged(provVocabulary.attributeValues, same),
    }).toEqual(withoutNote(readTable('oma_cp.json')));
  });

  it('Nokia OTA 7.0', () => {
    expect(Object.keys(nokiaOtaVocabulary.tags)).toEqual(['0']);
    expect({
      tags: hexKeyed(nokiaOtaVocabulary.tags[0], same),
      attrStart: hexKeyed(nokiaOtaVocabulary.attributeStarts[0], asObject),
    }).toEqual(withoutNote(readTable('nokia_ota7.json')));
    expect(nokiaOtaVocabulary.attributeValues).toEqual({});
  });

  it('SI and SL', () => {
    const single = (vocabulary: Vocabulary) => ({
      tags: hexKeyed(vocabulary.tags[0], same),
      attrStart: hexKeyed(vocabulary.attributeStarts[0], asPair),
      attrValue: hexKeyed(vocabulary.attributeValues[0], same),
    });
    expect({ si: single(siVocabulary), sl: single(slVocabulary) }).toEqual(
      withoutNote(readTable('si_sl.json')),
    );
  });
});

describe('vocabulary facts', () => {
  it('carries the header each document type is sent with (docs/protocol.md §2, §7, §8)', () => {
    expect(vocabularies.map((v) => [v.documentType, v.wbxmlVersion, v.publicId, v.rootElement])).toEqual([
      ['prov', 0x03, 0x0b, 'wap-provisioningdoc'],
      ['si', 0x02, 0x05, 'si'],
      ['sl', 0x02, 0x06, 'sl'],
      ['nokia-ota', 0x01, 0x01, 'CHARACTERISTIC-LIST'],
    ]);
  });

  it('never emits Kannel-only OMA CP tokens (docs/protocol.md §2.7, §10 #3)', () => {
    const page1Starts = Object.values(provVocabulary.attributeStarts[1]).map((s) => s.value);
    for (const kannelOnly of ['APPREF', 'TO-APPREF', 'USERNAME', 'PASSWORD', 'WLAN']) {
      expect(page1Starts).not.toContain(kannelOnly);
    }
    expect(Object.values(provVocabulary.attributeValues[0])).not.toContain('3G-GSM');
  });

  it('marks the page-1 AAUTHTYPE fragments decode-only (docs/protocol.md §10 #2)', () => {
    expect(provVocabulary.decodeOnly?.attributeValues).toEqual({ 1: [0x90, 0x91, 0x92, 0x93] });
    expect(provVocabulary.stringOnlyValues?.names).toEqual(['AAUTHTYPE']);
  });

  it('marks SI created and si-expires as %Datetime (docs/protocol.md §8.3)', () => {
    expect(siVocabulary.datetimeAttributes).toEqual(['created', 'si-expires']);
  });
});

describe('vocabulary lookup', () => {
  it('finds each vocabulary by document type', () => {
    expect(vocabularyFor('prov')).toBe(provVocabulary);
    expect(vocabularyFor('si')).toBe(siVocabulary);
    expect(vocabularyFor('sl')).toBe(slVocabulary);
    expect(vocabularyFor('nokia-ota')).toBe(nokiaOtaVocabulary);
  });

  it('rejects an unknown document type with a CodecError', () => {
    expect(() => vocabularyFor('wml' as never)).toThrow(
      expect.objectContaining({ code: 'WBXML_UNKNOWN_DOCUMENT_TYPE' }),
    );
  });

  it('finds vocabularies by public id number and by FPI text', () => {
    expect(vocabularyForPublicId(0x0b)).toBe(provVocabulary);
    expect(vocabularyForPublicId(0x05)).toBe(siVocabulary);
    expect(vocabularyForPublicId(0x06)).toBe(slVocabulary);
    expect(vocabularyForPublicId('-//WAPFORUM//DTD PROV 1.0//EN')).toBe(provVocabulary);
    expect(vocabularyForPublicId('-//WAPFORUM//DTD SI 1.0//EN')).toBe(siVocabulary);
    expect(vocabularyForPublicId('-//WAPFORUM//DTD SL 1.0//EN')).toBe(slVocabulary);
  });

  it('knows nothing for the "unknown" public id 1 that Nokia OTA sends, nor for other ids', () => {
    expect(vocabularyForPublicId(0x01)).toBeUndefined();
    expect(vocabularyForPublicId(0x04)).toBeUndefined();
    expect(vocabularyForPublicId('-//WAPFORUM//DTD WML 1.1//EN')).toBeUndefined();
  });
});
