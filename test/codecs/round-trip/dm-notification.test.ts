/**
 * Property: an OMA DM package #0 notification (docs/protocol.md §9.2) decodes to what was encoded, its digest is the
 * docs/protocol.md §9.2 formula (computed here independently with node:crypto), and it verifies with the account's
 * password and nonce only.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import {
  DM_INITIATORS,
  DM_UI_MODES,
  decodeDmNotification,
  encodeDmNotification,
  verifyDmNotification,
} from '../../../codecs/dm/notification.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';

const SEED = testSeed(0xd30_2024);
const DIGEST_OCTETS = 16; // MD5, docs/protocol.md §9.2

const md5 = (...parts: Array<Uint8Array | string>): Buffer => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** digest = MD5( B64(MD5(server-id ":" password)) ":" nonce ":" B64(MD5(trigger)) ) — docs/protocol.md §9.2 */
const expectedDigest = (serverId: string, password: string, nonce: Uint8Array, trigger: Uint8Array): string =>
  toHex(
    md5(md5(`${serverId}:${password}`).toString('base64'), ':', nonce, ':', md5(trigger).toString('base64')),
  );

describe('DM notification encode -> decode', () => {
  it('gives back 2000 random notifications, with the digest of docs/protocol.md §9.2 and a verdict only for the right secrets', () => {
    const random = new SeededRandom(SEED);
    for (let i = 0; i < 2000; i++) {
      const notification = {
        version: random.chance(0.8) ? 11 : random.int(0, 0x3ff),
        uiMode: random.pick(DM_UI_MODES),
        initiator: random.pick(DM_INITIATORS),
        sessionId: random.int(0, 0xffff),
        serverId: random.stringFrom('abcdefghijklmnopqrstuvwxyz.-0123456789é', random.int(1, 60)),
        vendorSpecific: random.bytes(random.pick([0, 0, 1, 16])),
      };
      const credentials = {
        serverPassword: random.stringFrom('abcXYZ123!', random.int(1, 16)),
        nonce: random.bytes(random.pick([4, 16])),
      };
      const bytes = encodeDmNotification(notification, credentials);
      const context = `seed ${SEED} #${i} ${JSON.stringify({ ...notification, vendorSpecific: toHex(notification.vendorSpecific) })}`;
      const decoded = decodeDmNotification(bytes);
      expect(
        { ...decoded, vendorSpecific: toHex(decoded.vendorSpecific), digest: undefined },
        context,
      ).toEqual({
        ...notification,
        vendorSpecific: toHex(notification.vendorSpecific),
        digest: undefined,
      });
      expect(toHex(decoded.digest), context).toBe(
        expectedDigest(
          notification.serverId,
          credentials.serverPassword,
          credentials.nonce,
          bytes.subarray(DIGEST_OCTETS),
        ),
      );
      expect(verifyDmNotification(bytes, credentials), context).toBe(true);
      expect(
        verifyDmNotification(bytes, { ...credentials, serverPassword: `${credentials.serverPassword}x` }),
        context,
      ).toBe(false);
      const otherNonce = credentials.nonce.slice();
      otherNonce[0] ^= 1;
      expect(verifyDmNotification(bytes, { ...credentials, nonce: otherNonce }), context).toBe(false);
    }
  });
});
