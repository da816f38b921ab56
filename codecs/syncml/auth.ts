/**
 * SyncML DM authentication (docs/protocol-dm.md §4): the Cred of `syncml:auth-basic` and
 * `syncml:auth-md5`, challenges and nonces, and the transport HMAC header `x-syncml-hmac`.
 * The same formulas serve both directions: a client presents CLCRED to the server, the server presents
 * SRVCRED to the client (docs/protocol-dm.md §4.3, §4.5). Pure: no clock, no store; secrets never leave
 * these functions except inside the digests.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodecError } from '../errors.ts';
import type { SyncMlChal, SyncMlCred } from './model.ts';

export const AUTH_BASIC = 'syncml:auth-basic';
export const AUTH_MD5 = 'syncml:auth-md5';
/** Never inside Cred: only as the transport header (docs/protocol-dm.md §4.1). */
export const AUTH_MAC = 'syncml:auth-MAC';
export type SyncMlCredType = typeof AUTH_BASIC | typeof AUTH_MD5;

/** The HTTP header of the transport HMAC (docs/protocol-dm.md §4.3). */
export const HMAC_HEADER = 'x-syncml-hmac';

/** Octets of a fresh nonce: ≥ 16 (MR 5.1.3.2) and ≡ 1 mod 3 so libdmclient can decode it (§9 #7). */
export const NONCE_OCTETS = 16;

const COLON = Buffer.from(':', 'latin1');

function md5(...parts: Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** B64(MD5(name ":" password)) as octets: the part of every digest that stands for the secret. */
function secretDigest(name: string, password: string): Buffer {
  return Buffer.from(md5(utf8(name), COLON, utf8(password)).toString('base64'), 'latin1');
}

/** Cred Data of syncml:auth-basic: B64(name ":" password) (docs/protocol-dm.md §4.1). */
export function basicCredentialData(name: string, password: string): string {
  return Buffer.from(`${name}:${password}`, 'utf8').toString('base64');
}

/**
 * The name and password inside basic Cred Data. The password is everything after the first colon.
 * CodecError('SYNCML_BAD_CREDENTIAL') when the data is not base64 of UTF-8 text with a colon.
 */
export function parseBasicCredentialData(data: string): { name: string; password: string } {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(decodeBase64(data, 'basic Cred Data'));
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new CodecError('SYNCML_BAD_CREDENTIAL', 'basic Cred Data holds no "name:password" (no colon)');
  }
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Cred Data of syncml:auth-md5: B64(MD5(B64(MD5(name ":" password)) ":" nonce)), the nonce being the
 * decoded octets of the last NextNonce (docs/protocol-dm.md §4.1; MR 5.1.3.2).
 */
export function md5CredentialData(name: string, password: string, nonce: Uint8Array): string {
  return md5(secretDigest(name, password), COLON, nonce).toString('base64');
}

/** A SyncHdr Cred of the given type (Meta Format b64, Type; docs/protocol-dm.md §2.2). */
export function buildCredential(
  type: SyncMlCredType,
  name: string,
  password: string,
  nonce: Uint8Array = new Uint8Array(0),
): SyncMlCred {
  const data =
    type === AUTH_BASIC ? basicCredentialData(name, password) : md5CredentialData(name, password, nonce);
  return { meta: { format: 'b64', type }, data };
}

export interface ExpectedCredential {
  name: string;
  password: string;
  /** The nonce this side issued last (md5 only). */
  nonce?: Uint8Array;
}

/**
 * Whether a received Cred proves the expected secret. The type comes from Cred Meta Type (basic when
 * absent, the SyncML default); Format must be b64 when given. Comparison in constant time. A type other
 * than basic/md5 is false, not an error: the caller answers it with a challenge (docs/protocol-dm.md §4.2).
 */
export function verifyCredential(cred: SyncMlCred, expected: ExpectedCredential): boolean {
  const type = cred.meta?.type ?? AUTH_BASIC;
  const format = cred.meta?.format;
  if (format !== undefined && format.toLowerCase() !== 'b64') return false;
  if (type === AUTH_MD5) {
    const want = md5CredentialData(expected.name, expected.password, expected.nonce ?? new Uint8Array(0));
    return sameText(cred.data.trim(), want);
  }
  if (type !== AUTH_BASIC) return false;
  // Compare what the base64 means, not its spelling (line breaks, missing padding).
  let given: { name: string; password: string };
  try {
    given = parseBasicCredentialData(cred.data);
  } catch {
    return false;
  }
  return sameText(`${given.name}:${given.password}`, `${expected.name}:${expected.password}`);
}

function sameText(a: string, b: string): boolean {
  const left = utf8(a);
  const right = utf8(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A fresh random nonce (docs/protocol-dm.md §4.2: new per session, hard to guess). */
export function newNonce(octets: number = NONCE_OCTETS): Uint8Array {
  return new Uint8Array(randomBytes(octets));
}

/** The NextNonce text of a nonce: base64 (Meta Format b64, docs/protocol-dm.md §4.2). */
export const encodeNonce = (nonce: Uint8Array): string => Buffer.from(nonce).toString('base64');

/** The octets of a NextNonce text; CodecError('SYNCML_INVALID_BASE64') when it is not base64. */
export const decodeNonce = (text: string): Uint8Array => decodeBase64(text, 'NextNonce');

/** A Chal asking for `type`, with a NextNonce for md5 (docs/protocol-dm.md §4.2). */
export function buildChallenge(type: SyncMlCredType, nonce?: Uint8Array): SyncMlChal {
  const meta: SyncMlChal['meta'] = { type, format: 'b64' };
  if (nonce) meta.nextNonce = encodeNonce(nonce);
  else if (type === AUTH_MD5) {
    throw new CodecError('SYNCML_NONCE_REQUIRED', 'an md5 challenge must carry a NextNonce (MR 2.4)');
  }
  return { meta };
}

/**
 * The `mac` of the transport HMAC: B64(MD5(B64(MD5(name ":" password)) ":" nonce ":" B64(MD5(body)))),
 * body = the exact HTTP entity octets (docs/protocol-dm.md §4.3; MR 5.1.4.2–3).
 */
export function hmacMac(name: string, password: string, nonce: Uint8Array, body: Uint8Array): string {
  const bodyDigest = Buffer.from(md5(body).toString('base64'), 'latin1');
  return md5(secretDigest(name, password), COLON, nonce, COLON, bodyDigest).toString('base64');
}

export interface SyncMlHmacHeader {
  /** `MD5` (the default when the header leaves it out, docs/protocol-dm.md §4.3). */
  algorithm: string;
  username: string;
  mac: string;
}

/** The header value `algorithm=MD5, username="…", mac=…` (docs/protocol-dm.md §4.3). */
export function formatHmacHeader(header: { username: string; mac: string; algorithm?: string }): string {
  if (/["\\\r\n]/.test(header.username)) {
    throw new CodecError(
      'SYNCML_BAD_HMAC_HEADER',
      'the HMAC username cannot carry a quote, backslash or line break',
    );
  }
  return `algorithm=${header.algorithm ?? 'MD5'}, username="${header.username}", mac=${header.mac}`;
}

/** The header value for a body: name/password of the sender's credential, nonce from the peer. */
export function buildHmacHeader(name: string, password: string, nonce: Uint8Array, body: Uint8Array): string {
  return formatHmacHeader({ username: name, mac: hmacMac(name, password, nonce, body) });
}

/**
 * Reads an `x-syncml-hmac` value. Accepts the spaced form of MR 5.1.4.3 and AOSP's unspaced
 * `algorithm=MD5,username="…",mac=…`, parameters in any order, names in any case, the username quoted or
 * not. CodecError('SYNCML_BAD_HMAC_HEADER') when username or mac is missing or a parameter is malformed.
 */
export function parseHmacHeader(value: string): SyncMlHmacHeader {
  const parameters = new Map<string, string>();
  const pattern = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s"]*))\s*(?:,|$)/y;
  let offset = 0;
  while (offset < value.length) {
    pattern.lastIndex = offset;
    const match = pattern.exec(value);
    if (!match || match[0] === '') {
      throw new CodecError(
        'SYNCML_BAD_HMAC_HEADER',
        `x-syncml-hmac is malformed at offset ${offset}`,
        offset,
      );
    }
    parameters.set(match[1].toLowerCase(), match[2] ?? match[3]);
    offset = pattern.lastIndex;
  }
  const username = parameters.get('username');
  const mac = parameters.get('mac');
  if (username === undefined || !mac) {
    throw new CodecError('SYNCML_BAD_HMAC_HEADER', 'x-syncml-hmac needs username and mac');
  }
  return { algorithm: parameters.get('algorithm') ?? 'MD5', username, mac };
}

/**
 * Whether an `x-syncml-hmac` value proves the body with the expected secret and nonce. False (not an
 * error) for a malformed header, another user name, an algorithm other than MD5 or a wrong mac.
 */
export function verifyHmacHeader(
  value: string,
  expected: { name: string; password: string; nonce: Uint8Array },
  body: Uint8Array,
): boolean {
  let header: SyncMlHmacHeader;
  try {
    header = parseHmacHeader(value);
  } catch {
    return false;
  }
  if (header.algorithm.toUpperCase() !== 'MD5' || header.username !== expected.name) return false;
  return sameText(header.mac, hmacMac(expected.name, expected.password, expected.nonce, body));
}

const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 text (RFC 4648 alphabet; whitespace and missing padding tolerated, as peers line-wrap or drop
 * `=`, docs/protocol-dm.md §9 #7) to octets. CodecError('SYNCML_INVALID_BASE64') otherwise.
 */
export function decodeBase64(text: string, what: string): Uint8Array {
  const compact = text.replace(/[\s]+/g, '');
  if (!BASE64_TEXT.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new CodecError('SYNCML_INVALID_BASE64', `${what} is not base64 text`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
