/**
 * DM authentication (docs/protocol-dm.md §4): published vectors, and the formulas re-computed here with
 * node:crypto straight from the specification text (MR 5.1.3.2, 5.1.4.2–3), never from codecs/syncml.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import {
  AUTH_BASIC,
  AUTH_MD5,
  basicCredentialData,
  buildChallenge,
  buildCredential,
  buildHmacHeader,
  decodeNonce,
  encodeNonce,
  formatHmacHeader,
  hmacMac,
  md5CredentialData,
  newNonce,
  parseBasicCredentialData,
  parseHmacHeader,
  verifyCredential,
  verifyHmacHeader,
} from '../../../codecs/syncml/index.ts';

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** MD5 as raw octets, and B64 with padding: the notation of docs/protocol-dm.md §4.1. */
const md5 = (data: Buffer | string): Buffer => createHash('md5').update(data).digest();
const b64 = (data: Buffer): string => data.toString('base64');

/** B64(MD5(B64(MD5(name:password)) ":" nonce)) — MR 5.1.3.2, written out independently. */
function specMd5(name: string, password: string, nonce: Buffer): string {
  const secret = Buffer.from(b64(md5(`${name}:${password}`)), 'latin1');
  return b64(md5(Buffer.concat([secret, Buffer.from(':'), nonce])));
}

/** mac = B64(MD5(B64(MD5(name:password)) ":" nonce ":" B64(MD5(body)))) — MR 5.1.4.2–3. */
function specHmac(name: string, password: string, nonce: Buffer, body: Buffer): string {
  const secret = Buffer.from(b64(md5(`${name}:${password}`)), 'latin1');
  const bodyDigest = Buffer.from(b64(md5(body)), 'latin1');
  return b64(md5(Buffer.concat([secret, Buffer.from(':'), nonce, Buffer.from(':'), bodyDigest])));
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
  throw new Error('expected a CodecError');
}

describe('syncml:auth-basic', () => {
  it('is B64(name:password): the MR 2.4.4 vector and DMC package 1 (docs/protocol-dm.md §4.1, §2.2)', () => {
    expect(basicCredentialData('Bruce2', 'OhBehave')).toBe('QnJ1Y2UyOk9oQmVoYXZl');
    expect(basicCredentialData('dmuser', 'dmpass')).toBe('ZG11c2VyOmRtcGFzcw==');
    expect(parseBasicCredentialData('ZG11c2VyOmRtcGFzcw==')).toEqual({ name: 'dmuser', password: 'dmpass' });
  });

  it('keeps colons in the password and reads UTF-8', () => {
    const data = basicCredentialData('jörg', 'a:b:c');
    expect(data).toBe(Buffer.from('jörg:a:b:c', 'utf8').toString('base64'));
    expect(parseBasicCredentialData(data)).toEqual({ name: 'jörg', password: 'a:b:c' });
  });

  it('refuses data that is not base64 or has no colon, with typed errors', () => {
    expect(codeOf(() => parseBasicCredentialData('not base64!'))).toBe('SYNCML_INVALID_BASE64');
    expect(codeOf(() => parseBasicCredentialData(Buffer.from('nocolon').toString('base64')))).toBe(
      'SYNCML_BAD_CREDENTIAL',
    );
  });

  it('verifies the secret whatever the base64 spelling, and refuses a wrong one', () => {
    const cred = buildCredential(AUTH_BASIC, 'dmuser', 'dmpass');
    expect(cred).toEqual({ meta: { format: 'b64', type: AUTH_BASIC }, data: 'ZG11c2VyOmRtcGFzcw==' });
    expect(verifyCredential(cred, { name: 'dmuser', password: 'dmpass' })).toBe(true);
    expect(
      verifyCredential({ ...cred, data: 'ZG11c2Vy\nOmRtcGFzcw' }, { name: 'dmuser', password: 'dmpass' }),
    ).toBe(true);
    expect(verifyCredential(cred, { name: 'dmuser', password: 'dmpasS' })).toBe(false);
    expect(verifyCredential(cred, { name: 'other', password: 'dmpass' })).toBe(false);
    expect(verifyCredential({ ...cred, data: '!!' }, { name: 'dmuser', password: 'dmpass' })).toBe(false);
    // no Meta: basic is the SyncML default type
    expect(verifyCredential({ data: cred.data }, { name: 'dmuser', password: 'dmpass' })).toBe(true);
  });
});

describe('syncml:auth-md5', () => {
  it('matches the published vectors', () => {
    // MR 4.1.1.6 / 2.4.4.2 example Cred; also asserted by sailfishos/buteo-syncml tests_meego/SessionHandlerTest.cpp
    expect(md5CredentialData('Bruce2', 'OhBehave', ascii('Nonce'))).toBe('Zz6EivR3yeaaENcRN6lpAQ==');
    // buteo-syncml SessionHandlerTest.cpp testClientAuthMD5WithoutNonce1: the same user with a null nonce
    expect(md5CredentialData('Bruce2', 'OhBehave', new Uint8Array(0))).toBe('lEf25jyjHbCcTbj4p/1pUw==');
    // produced or accepted by libdmclient (docs/protocol-dm.md §8, ORC)
    expect(md5CredentialData('dmuser', 'dmpass', ascii('otagw-nonce1'))).toBe('Dk/edXjLxRlvekM+soFS0w==');
    expect(md5CredentialData('dmuser', 'dmpass', new Uint8Array(0))).toBe('oHzuZ49YW8j//zThKBfelg==');
    expect(md5CredentialData('otagw', 'srvsecret', new Uint8Array(0))).toBe('0fd32W+bLjQSuzMtECKpQw==');
  });

  it('equals the specification formula for binary nonces and UTF-8 secrets', () => {
    for (let i = 0; i < 50; i++) {
      const nonce = Buffer.from(newNonce(i % 20));
      const name = `user-${i}-ü`;
      const password = `pw:${i}€`;
      expect(md5CredentialData(name, password, nonce)).toBe(specMd5(name, password, nonce));
    }
  });

  it('verifies against the nonce this side issued, not another', () => {
    const nonce = newNonce();
    const cred = buildCredential(AUTH_MD5, 'IMEI:356938035643809', 's3cret', nonce);
    expect(cred.meta).toEqual({ format: 'b64', type: AUTH_MD5 });
    expect(cred.data).toBe(specMd5('IMEI:356938035643809', 's3cret', Buffer.from(nonce)));
    const expected = { name: 'IMEI:356938035643809', password: 's3cret', nonce };
    expect(verifyCredential(cred, expected)).toBe(true);
    expect(verifyCredential(cred, { ...expected, nonce: newNonce() })).toBe(false);
    expect(verifyCredential(cred, { ...expected, password: 's3creT' })).toBe(false);
    // Format other than b64, or an unknown type: not accepted (the caller challenges)
    expect(verifyCredential({ ...cred, meta: { type: AUTH_MD5, format: 'chr' } }, expected)).toBe(false);
    expect(verifyCredential({ ...cred, meta: { type: 'syncml:auth-X509' } }, expected)).toBe(false);
    // a basic Cred does not pass where the md5 secret is expected with the wrong password
    expect(verifyCredential(buildCredential(AUTH_BASIC, 'x', 'y'), expected)).toBe(false);
  });
});

describe('nonces and challenges', () => {
  it('issues fresh 16-octet nonces (≡ 1 mod 3, docs/protocol-dm.md §9 #7) and round-trips them as base64', () => {
    const a = newNonce();
    const b = newNonce();
    expect(a.length).toBe(16);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(encodeNonce(a)).toBe(Buffer.from(a).toString('base64'));
    expect(decodeNonce(encodeNonce(a))).toEqual(a);
    expect(decodeNonce('b3RhZ3ctbm9uY2Ux')).toEqual(ascii('otagw-nonce1')); // §4.2 example
    expect(decodeNonce('AAAAAA==')).toEqual(new Uint8Array(4)); // AOSP's resync nonce (§4.2)
    expect(codeOf(() => decodeNonce('a*b'))).toBe('SYNCML_INVALID_BASE64');
    expect(codeOf(() => decodeNonce('abcde'))).toBe('SYNCML_INVALID_BASE64');
  });

  it('builds the Chal of docs/protocol-dm.md §4.2; md5 without a nonce is refused', () => {
    const nonce = ascii('otagw-nonce1');
    expect(buildChallenge(AUTH_MD5, nonce)).toEqual({
      meta: { type: AUTH_MD5, format: 'b64', nextNonce: 'b3RhZ3ctbm9uY2Ux' },
    });
    expect(buildChallenge(AUTH_BASIC)).toEqual({ meta: { type: AUTH_BASIC, format: 'b64' } });
    expect(codeOf(() => buildChallenge(AUTH_MD5))).toBe('SYNCML_NONCE_REQUIRED');
  });
});

describe('x-syncml-hmac', () => {
  const body = Buffer.from('<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr/></SyncML>');
  const nonce = Buffer.from('server-nonce-01!');

  it('computes mac as the specification defines it, over the exact body octets', () => {
    for (let i = 0; i < 20; i++) {
      const octets = Buffer.concat([body, Buffer.from(newNonce(i))]);
      expect(hmacMac('Robert Jordan', `pw${i}`, nonce, octets)).toBe(
        specHmac('Robert Jordan', `pw${i}`, nonce, octets),
      );
    }
  });

  it('writes the MR 5.1.4.3 form and reads it back', () => {
    const header = buildHmacHeader('Robert Jordan', 'secret', nonce, body);
    const mac = specHmac('Robert Jordan', 'secret', nonce, body);
    expect(header).toBe(`algorithm=MD5, username="Robert Jordan", mac=${mac}`);
    expect(parseHmacHeader(header)).toEqual({ algorithm: 'MD5', username: 'Robert Jordan', mac });
  });

  it("reads the specification's example, AOSP's unspaced form, any order and a missing algorithm", () => {
    expect(
      parseHmacHeader(
        'algorithm=MD5, username="Robert Jordan", mac=NTI2OTJhMDAwNjYxODkwYmQ3NWUxN2RhN2ZmYmJlMzk',
      ),
    ).toEqual({
      algorithm: 'MD5',
      username: 'Robert Jordan',
      mac: 'NTI2OTJhMDAwNjYxODkwYmQ3NWUxN2RhN2ZmYmJlMzk',
    });
    expect(parseHmacHeader('algorithm=MD5,username="IMEI:1",mac=abc=')).toEqual({
      algorithm: 'MD5',
      username: 'IMEI:1',
      mac: 'abc=',
    });
    expect(parseHmacHeader('mac=x==, USERNAME=plain')).toEqual({
      algorithm: 'MD5',
      username: 'plain',
      mac: 'x==',
    });
  });

  it('refuses malformed headers with a typed error', () => {
    expect(codeOf(() => parseHmacHeader('username="a"'))).toBe('SYNCML_BAD_HMAC_HEADER');
    expect(codeOf(() => parseHmacHeader('mac=abc'))).toBe('SYNCML_BAD_HMAC_HEADER');
    expect(codeOf(() => parseHmacHeader('username="a, mac=b'))).toBe('SYNCML_BAD_HMAC_HEADER');
    expect(codeOf(() => parseHmacHeader('garbage'))).toBe('SYNCML_BAD_HMAC_HEADER');
    expect(codeOf(() => formatHmacHeader({ username: 'a"b', mac: 'x' }))).toBe('SYNCML_BAD_HMAC_HEADER');
  });

  it('verifies body, secret, nonce and user name; any change fails', () => {
    const expected = { name: 'Robert Jordan', password: 'secret', nonce };
    const header = buildHmacHeader('Robert Jordan', 'secret', nonce, body);
    expect(verifyHmacHeader(header, expected, body)).toBe(true);
    const tampered = Buffer.from(body);
    tampered[10] ^= 1;
    expect(verifyHmacHeader(header, expected, tampered)).toBe(false);
    expect(verifyHmacHeader(header, { ...expected, password: 'Secret' }, body)).toBe(false);
    expect(verifyHmacHeader(header, { ...expected, nonce: Buffer.from('other') }, body)).toBe(false);
    expect(verifyHmacHeader(header, { ...expected, name: 'Someone' }, body)).toBe(false);
    expect(verifyHmacHeader(header.replace('MD5', 'SHA1'), expected, body)).toBe(false);
    expect(verifyHmacHeader('nonsense', expected, body)).toBe(false);
  });
});
