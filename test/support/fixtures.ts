/**
 * The one loader for the test fixtures in `test/fixtures/` (each file's public source is named in
 * test/fixtures/README.md). Tests and benchmarks read fixtures through here, or by the path
 * `test/fixtures/<name>`; nothing outside the repository is read.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of `test/fixtures/`, with a trailing slash. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Absolute path of a fixture, e.g. `fixturePath('tables/oma_cp.json')`. */
export function fixturePath(name: string): string {
  return `${FIXTURES_DIR}${name}`;
}

/** A fixture's text (UTF-8). */
export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** A JSON fixture, parsed afresh on every call (callers may change what they get). */
export function readFixtureJson<T = unknown>(name: string): T {
  return JSON.parse(readFixture(name)) as T;
}

/** One entry of public-vectors.json: published bytes, each naming its source. */
export interface PublicVector {
  name: string;
  source: string;
  kind: string;
  notes?: string;
  xml?: string;
  wbxml?: string;
  sec?: string;
  pin?: string;
  imsi?: string;
  key?: string;
  mac?: string;
  udh?: string;
  tpud_without_udh?: string;
}

export function publicVectors(): PublicVector[] {
  return readFixtureJson<{ vectors: PublicVector[] }>('public-vectors.json').vectors;
}

/** The public vector of that name; throws when there is none. */
export function publicVector(name: string): PublicVector {
  const vector = publicVectors().find((v) => v.name === name);
  if (!vector) throw new Error(`no public vector ${name} in test/fixtures/public-vectors.json`);
  return vector;
}

/** One entry of libwbxml-vectors.json: the bytes libwbxml's xml2wbxml made of `xml`. */
export interface LibwbxmlVector {
  name: string;
  command: string;
  expect: 'byte-equal' | 'tree-equal';
  notes: string;
  xml: string;
  wbxml: string;
}

export function libwbxmlVectors(): LibwbxmlVector[] {
  return readFixtureJson<{ vectors: LibwbxmlVector[] }>('libwbxml-vectors.json').vectors;
}

/** The token tables in tables/ (docs/protocol.md §2, §7, §8), keyed by page and "0x0A"-style token. */
export const TABLE_FILES = ['oma_cp.json', 'nokia_ota7.json', 'si_sl.json'] as const;
export type TableFile = (typeof TABLE_FILES)[number];

/** A token table as written in the file, `_note` included. */
export function readTable(file: TableFile): Record<string, unknown> {
  return readFixtureJson<Record<string, unknown>>(`tables/${file}`);
}

type AttrStart = { name: string; value?: string };

/** tables/oma_cp.json: the OMA CP tables, pages 0 and 1 (docs/protocol.md §2.1–§2.4). */
export interface CpTables {
  _note: string;
  tags: Record<string, Record<string, string>>;
  attrStart: Record<string, Record<string, AttrStart>>;
  attrValue: Record<string, Record<string, string>>;
}

export function cpTables(): CpTables {
  return readFixtureJson<CpTables>('tables/oma_cp.json');
}

/** tables/nokia_ota7.json: Nokia/Ericsson OTA Settings 7.0, one code page (docs/protocol.md §7). */
export interface NokiaOtaTables {
  _note: string;
  tags: Record<string, string>;
  attrStart: Record<string, AttrStart>;
}

export function nokiaOtaTables(): NokiaOtaTables {
  return readFixtureJson<NokiaOtaTables>('tables/nokia_ota7.json');
}

/** tables/si_sl.json: SI 1.0 and SL 1.0, one code page each (docs/protocol.md §8); starts are [name, value|null]. */
export interface SiSlTable {
  tags: Record<string, string>;
  attrStart: Record<string, [string, string | null]>;
  attrValue: Record<string, string>;
}

export function siSlTables(): { _note: string; si: SiSlTable; sl: SiSlTable } {
  return readFixtureJson<{ _note: string; si: SiSlTable; sl: SiSlTable }>('tables/si_sl.json');
}
