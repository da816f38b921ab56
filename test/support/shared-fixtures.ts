/** Reads the shared reference material that sits beside the repository (`../shared`, as CI lays it out). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
export const SHARED_TABLES_DIR = fileURLToPath(new URL('../../../shared/specs/tables/', import.meta.url));

export function readSharedFixture(name: string): string {
  return readFileSync(`${SHARED_FIXTURES_DIR}${name}`, 'utf8');
}

export interface PublicVector {
  name: string;
  source: string;
  kind: string;
  xml?: string;
  wbxml?: string;
  [field: string]: unknown;
}

export function publicVectors(): PublicVector[] {
  return (JSON.parse(readSharedFixture('public-vectors.json')) as { vectors: PublicVector[] }).vectors;
}

/** The OMA CP token tables as the digest's authors wrote them down (specs/tables/oma_cp.json). */
export interface SharedCpTables {
  attrStart: Record<string, Record<string, { name: string; value?: string }>>;
  attrValue: Record<string, Record<string, string>>;
}

export function sharedCpTables(): SharedCpTables {
  return JSON.parse(readFileSync(`${SHARED_TABLES_DIR}oma_cp.json`, 'utf8')) as SharedCpTables;
}
