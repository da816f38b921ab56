/**
 * Pure helpers for profile versions: what changed between two parameter sets (secrets masked) and a
 * content hash that is equal exactly when the content is (key order does not matter).
 */
import { createHash } from 'node:crypto';
import type { ProfileParameters } from './schema.ts';

/** Fields that hold secrets, by name (schema.ts names every secret one of these). */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'secret', 'nonce']);
export const MASK = '***';

/** Parm names whose values are secrets inside raw OMA CP XML (docs/protocol.md §2.2, §2.3, §9.1). */
const RAW_SECRET_PARMS: ReadonlySet<string> = new Set([
  'AUTHSECRET',
  'AAUTHSECRET',
  'AAUTHDATA',
  'PXAUTH-PW',
  'PROXY-PW',
  'BASAUTH-PW',
]);

export const isSecretField = (name: string): boolean => SECRET_FIELDS.has(name);

export interface ParameterChange {
  /** Leaf path: `connections[0].auth.password`, `browser.bookmarks[2].url`. */
  path: string;
  /** undefined when the field was added; MASK for a secret. */
  old: unknown;
  /** undefined when the field was removed; MASK for a secret. */
  new: unknown;
}

/** Every leaf that differs, in path order of `before` then new paths of `after`. */
export function diffParameters(before: ProfileParameters, after: ProfileParameters): ParameterChange[] {
  const left = flatten(before);
  const right = flatten(after);
  const changes: ParameterChange[] = [];
  const paths = [...left.keys(), ...[...right.keys()].filter((path) => !left.has(path))];
  for (const path of paths) {
    const old = left.get(path);
    const next = right.get(path);
    if (Object.is(old, next)) continue;
    changes.push({ path, old: mask(path, old), new: mask(path, next) });
  }
  return changes;
}

function flatten(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    value.forEach((item, index) => flatten(item, `${path}[${index}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) flatten(item, path === '' ? key : `${path}.${key}`, out);
    }
  } else if (value !== undefined) {
    out.set(path, value);
  }
  return out;
}

function mask(path: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  const field = path.slice(path.lastIndexOf('.') + 1);
  if (isSecretField(field)) return MASK;
  if (field === 'rawOmaCp' && typeof value === 'string') return maskRawOmaCpSecrets(value);
  return value;
}

/** A copy of the parameter set with every secret replaced by MASK (for display and logs). */
export function maskParameters(parameters: ProfileParameters): ProfileParameters {
  return maskValue(parameters, '') as ProfileParameters;
}

function maskValue(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((item) => maskValue(item, ''));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskValue(item, name)]));
  if (value === undefined) return undefined;
  if (isSecretField(key)) return MASK;
  if (key === 'rawOmaCp' && typeof value === 'string') return maskRawOmaCpSecrets(value);
  return value;
}

/** Replaces the value of every secret parm (`<parm name="AUTHSECRET" value="...">`) in raw OMA CP XML. */
export function maskRawOmaCpSecrets(xml: string): string {
  return xml.replace(/<parm\b[^>]*>/g, (tag) => {
    const name = /\bname\s*=\s*(["'])(.*?)\1/.exec(tag)?.[2];
    if (name === undefined || !RAW_SECRET_PARMS.has(name)) return tag;
    return tag.replace(
      /\bvalue\s*=\s*(["'])(.*?)\1/,
      (_match, quote: string) => `value=${quote}${MASK}${quote}`,
    );
  });
}

/**
 * SHA-256 (hex) of the parameter set in canonical JSON: object keys sorted, undefined left out. Hash the
 * parsed form (defaults applied) so that "bookmarks: []" and no bookmarks hash alike.
 */
export function contentHash(parameters: ProfileParameters): string {
  return createHash('sha256').update(canonicalJson(parameters)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
