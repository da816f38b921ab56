import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import {
  decodeDmNotification,
  encodeDmNotification,
  verifyDmNotification,
  type DmNotification,
} from '../../../codecs/dm/notification.ts';
import { SeededRandom } from '../../support/seeded-random.ts';

// Computed in docs/protocol.md §9.2, not a public vector.
const EXAMPLE: DmNotification = {
  version: 11,
  uiMode: 'informative',
  initiator: 'server',
  sessionId: 0x1234,
  serverId: 'com.example.dm',
};
const CREDENTIALS = { serverPassword: 'srvpw', nonce: fromHex('00000000') };
const EXAMPLE_HEX =
  '3475c2852a0a1ef45fba449b42f927e9' + '02e800000012340e' + Buffer.from('com.example.dm').toString('hex');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('OMA DM package #0 (example computed in docs/protocol.md §9.2, not a public vector)', () => {
  it('encodes header and digest of the example', () => {
    expect(toHex(encodeDmNotification(EXAMPLE, CREDENTIALS))).toBe(EXAMPLE_HEX);
  });

  it('decodes the example', () => {
    expect(decodeDmNotification(fromHex(EXAMPLE_HEX))).toEqual({
      ...EXAMPLE,
      vendorSpecific: new Uint8Array(0),
      digest: fromHex('3475c2852a0a1ef45fba449b42f927e9'),
    });
  });

  it('verifies the digest with the right password and nonce only', () => {
    const bytes = fromHex(EXAMPLE_HEX);
    expect(verifyDmNotification(bytes, CREDENTIALS)).toBe(true);
    expect(verifyDmNotification(bytes, { ...CREDENTIALS, serverPassword: 'other' })).toBe(false);
    expect(verifyDmNotification(bytes, { ...CREDENTIALS, nonce: fromHex('00000001') })).toBe(false);
    const tampered = bytes.slice();
    tampered[22] ^= 0x01; // session id
    expect(verifyDmNotification(tampered, CREDENTIALS)).toBe(false);
  });

  it('defaults the version to 11 and round-trips vendor-specific data', () => {
    const notification: DmNotification = {
      uiMode: 'user-interaction',
      initiator: 'client',
      sessionId: 0xffff,
      serverId: 'srv',
      vendorSpecific: fromHex('abcd'),
    };
    const decoded = decodeDmNotification(encodeDmNotification(notification, CREDENTIALS));
    expect(decoded).toMatchObject({ ...notification, version: 11 });
  });

  it.each<[string, Partial<DmNotification>]>([
    ['DM_BAD_VERSION', { version: 1024 }],
    ['DM_BAD_SESSION_ID', { sessionId: 65536 }],
    ['DM_SERVER_ID_TOO_LONG', { serverId: 'x'.repeat(256) }],
  ])('refuses to encode with %s', (code, change) => {
    expect(codeOf(() => encodeDmNotification({ ...EXAMPLE, ...change }, CREDENTIALS))).toBe(code);
  });

  it('throws only CodecError for random bytes and every truncation of the example', () => {
    const random = new SeededRandom(0xd0);
    const inputs = [
      ...Array.from({ length: 2000 }, () => random.bytes(random.int(0, 60))),
      ...Array.from({ length: EXAMPLE_HEX.length / 2 }, (_, length) =>
        fromHex(EXAMPLE_HEX).subarray(0, length),
      ),
    ];
    for (const bytes of inputs) {
      try {
        verifyDmNotification(bytes, CREDENTIALS);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
      }
    }
  });
});
