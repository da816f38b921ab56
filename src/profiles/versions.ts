/**
 * Pure helpers for profile versions: what changed between two parameter sets (secrets masked) and a
 * content hash that is equal exactly when the content is (key order does not matter).
 */
import { createHash } from 'node:crypto';
import type { XmlElement } from '../../codecs/xml/element.ts';
import { ProfileError } from './errors.ts';
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

/** The same for a rendered document: OMA CP parms above and the Nokia OTA 7.0 ones (docs/protocol.md §7). */
const DOCUMENT_SECRET_PARMS: ReadonlySet<string> = new Set([
  ...RAW_SECRET_PARMS,
  'PPP_AUTHSECRET',
  'PROXY_AUTHSECRET',
]);

export const isSecretField = (name: string): boolean => SECRET_FIELDS.has(name);

/** A parm name whose value is a secret in a rendered document (the console's WBXML dump masks it too). */
export const isDocumentSecretParm = (name: string): boolean => DOCUMENT_SECRET_PARMS.has(name);

export interface ParameterChange {
  /** Leaf path: `connections[0].auth.password`, `browser.bookmarks[2].url`. */
  path: string;
  /** undefined when the field was added; MASK for a secret. */
  old: unknown;
  /** undefined when the field was removed; MASK for a secret. */
  new: unknown;
  /** true when a secret changed: old and new are masked (MASK), so they may look alike. */
  masked?: true;
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
    const change: ParameterChange = { path, old: mask(path, old), new: mask(path, next) };
    if (isSecretChange(path, old, next)) change.masked = true;
    changes.push(change);
  }
  return changes;
}

/** Every leaf of a parameter set by its path (the paths diffParameters names; the console lays versions side by side by them). */
export function flatten(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
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

/** A secret field, or a raw OMA CP document whose secret parms differ (the masked texts may be equal). */
function isSecretChange(path: string, old: unknown, next: unknown): boolean {
  const field = path.slice(path.lastIndexOf('.') + 1);
  if (isSecretField(field)) return true;
  if (field !== 'rawOmaCp') return false;
  const secretsOf = (xml: unknown) => (typeof xml === 'string' ? rawSecretParms(xml) : []);
  return JSON.stringify(secretsOf(old)) !== JSON.stringify(secretsOf(next));
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

/** The secret parms of raw OMA CP XML, in document order, with their values as written. */
function rawSecretParms(xml: string): Array<{ name: string; value: string }> {
  const found: Array<{ name: string; value: string }> = [];
  for (const [tag] of xml.matchAll(/<parm\b[^>]*>/g)) {
    const name = /\bname\s*=\s*(["'])(.*?)\1/.exec(tag)?.[2];
    const value = /\bvalue\s*=\s*(["'])(.*?)\1/.exec(tag)?.[2];
    if (name !== undefined && value !== undefined && RAW_SECRET_PARMS.has(name)) found.push({ name, value });
  }
  return found;
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

/** A rendered document with every secret parm's value replaced by MASK (the preview's XML view). */
export function maskDocumentSecrets(element: XmlElement): XmlElement {
  const name = element.attributes.find(([key]) => key.toLowerCase() === 'name')?.[1];
  const secret =
    element.name.toLowerCase() === 'parm' && name !== undefined && DOCUMENT_SECRET_PARMS.has(name);
  return {
    ...element,
    attributes: element.attributes.map(([key, value]) =>
      secret && key.toLowerCase() === 'value' ? [key, MASK] : [key, value],
    ),
    children: element.children.map((child) =>
      typeof child === 'string' ? child : maskDocumentSecrets(child),
    ),
  };
}

function maskedSecretWithoutOriginal(path: string): ProfileError {
  const message = `"${MASK}" stands for the previous version's secret, and it has none here: give the secret itself`;
  return new ProfileError('SECRET_MASKED', `${path}: ${message}`, { path, issues: [{ path, message }] });
}

/**
 * The parameter set as posted, with every MASK in a secret field replaced by the previous version's secret:
 * versions are read with their secrets masked, and one posted back changed elsewhere must not send "***"
 * to handsets. Array items are matched by id (connections, proxies), else by position; secret parms of raw
 * OMA CP by name and order. A MASK with no secret to stand for is refused (SECRET_MASKED, naming the field).
 */
export function keepMaskedSecrets(
  submitted: ProfileParameters,
  previous: ProfileParameters | undefined,
): ProfileParameters {
  return keepSecretsIn(submitted, previous, '', '') as ProfileParameters;
}

function keepSecretsIn(value: unknown, previous: unknown, key: string, path: string): unknown {
  if (Array.isArray(value)) {
    const before: unknown[] = Array.isArray(previous) ? previous : [];
    return value.map((item, index) => {
      const id = (item as { id?: unknown } | null)?.id;
      const match =
        typeof id === 'string'
          ? before.find((old) => (old as { id?: unknown } | null)?.id === id)
          : before[index];
      return keepSecretsIn(item, match, '', `${path}[${index}]`);
    });
  }
  if (value !== null && typeof value === 'object') {
    const before = (previous !== null && typeof previous === 'object' ? previous : {}) as Record<
      string,
      unknown
    >;
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [
        name,
        keepSecretsIn(item, before[name], name, path === '' ? name : `${path}.${name}`),
      ]),
    );
  }
  if (value === MASK && isSecretField(key)) {
    if (typeof previous !== 'string' || previous === MASK) throw maskedSecretWithoutOriginal(path);
    return previous;
  }
  if (key === 'rawOmaCp' && typeof value === 'string')
    return keepRawSecrets(value, typeof previous === 'string' ? previous : '', path);
  return value;
}

/** Raw OMA CP: a masked secret parm takes the value of the same parm (by name and occurrence) before. */
function keepRawSecrets(xml: string, previousXml: string, path: string): string {
  const before = rawSecretParms(previousXml);
  const seen = new Map<string, number>();
  return xml.replace(/<parm\b[^>]*>/g, (tag) => {
    const name = /\bname\s*=\s*(["'])(.*?)\1/.exec(tag)?.[2];
    if (name === undefined || !RAW_SECRET_PARMS.has(name)) return tag;
    const occurrence = seen.get(name) ?? 0;
    seen.set(name, occurrence + 1);
    return tag.replace(/\bvalue\s*=\s*(["'])(.*?)\1/, (whole, quote: string, value: string) => {
      if (value !== MASK) return whole;
      const original = before.filter((parm) => parm.name === name)[occurrence]?.value;
      if (original === undefined || original === MASK) throw maskedSecretWithoutOriginal(`${path} (${name})`);
      return `value=${quote}${original}${quote}`;
    });
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
