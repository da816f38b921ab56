import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { decodeWspPush } from '../../../codecs/wsp/decode-wsp-push.ts';
import { encodeWspPush, type WspParameter, type WspPush } from '../../../codecs/wsp/encode-wsp-push.ts';
import { WSP_APPLICATION_IDS, WSP_CHARSETS, WSP_CONTENT_TYPES } from '../../../codecs/wsp/tables.ts';
import { SeededRandom } from '../../support/seeded-random.ts';
import { GOLDEN_WSP_PUSHES } from './golden-wsp-pushes.ts';

/** Runs the decoder; anything thrown must be a CodecError. Returns whether it decoded. */
function decodesOrThrowsCodecError(bytes: Uint8Array): boolean {
  try {
    const push = decodeWspPush(bytes);
    // Whatever decodes must also re-encode (or be refused with a CodecError) and decode the same again.
    let again: Uint8Array;
    try {
      again = encodeWspPush(push);
    } catch (error) {
      if (error instanceof CodecError) return true;
      throw error;
    }
    expect(decodeWspPush(again)).toEqual(push);
    return true;
  } catch (error) {
    if (error instanceof CodecError) return false;
    throw new Error(`non-CodecError for ${Buffer.from(bytes).toString('hex')}`, { cause: error });
  }
}

describe('decodeWspPush on hostile input', () => {
  it('throws only CodecError for random bytes', () => {
    const random = new SeededRandom(0x5eed_0001);
    for (let i = 0; i < 4000; i++) {
      const bytes = random.bytes(random.int(0, 80));
      // Make most inputs look like a push so the decoder gets past the PDU type.
      if (bytes.length > 1 && random.chance(0.8)) bytes[1] = random.chance(0.9) ? 0x06 : 0x07;
      if (bytes.length > 2 && random.chance(0.6)) bytes[2] = random.int(0, bytes.length - 3);
      decodesOrThrowsCodecError(bytes);
    }
  });

  it('throws only CodecError for mutations of the golden vectors', () => {
    const random = new SeededRandom(0x5eed_0002);
    for (const golden of GOLDEN_WSP_PUSHES) {
      const original = fromHex(golden.hex);
      for (let i = 0; i < 150; i++) {
        const bytes = original.slice();
        const flips = random.int(1, 3);
        for (let f = 0; f < flips; f++) bytes[random.int(0, bytes.length - 1)] = random.int(0, 255);
        decodesOrThrowsCodecError(bytes);
      }
    }
  });

  it('throws only CodecError for every truncation of the golden vectors, and TRUNCATED-family codes inside the headers', () => {
    for (const golden of GOLDEN_WSP_PUSHES) {
      const original = fromHex(golden.hex);
      const headersEnd = 3 + original[2]; // every golden HeadersLen fits one octet
      for (let length = 0; length < original.length; length++) {
        const decoded = decodesOrThrowsCodecError(original.subarray(0, length));
        // Cutting into the headers must fail; cutting into the body just gives a shorter body.
        expect(decoded, `${golden.name} cut at ${length}`).toBe(length >= headersEnd);
      }
    }
  });
});

describe('WSP push round trip of generated pushes', () => {
  const mediaTypes = [
    ...WSP_CONTENT_TYPES.map((entry) => entry.mediaType),
    'application/x-wap-prov.browser-settings',
    'application/x-own-type',
  ];
  const parameterPool: Array<(random: SeededRandom) => WspParameter> = [
    (random) => ({ name: 'charset', value: random.pick(WSP_CHARSETS).name }),
    (random) => ({ name: 'sec', value: random.int(0, 3) }),
    (random) => ({ name: 'mac', value: random.stringFrom('0123456789ABCDEF', 40) }),
    (random) => ({ name: 'q', value: random.int(0, 99) / 100 }),
    (random) => ({ name: 'level', value: `${random.int(1, 7)}.${random.int(0, 14)}` }),
    (random) => ({ name: 'size', value: random.int(0, 2 ** 31) }),
    (random) => ({ name: 'filename', value: random.stringFrom('abc.é字', random.int(1, 12)) }),
    (random) => ({ name: `x-${random.stringFrom('abcdef', 4)}`, value: random.int(0, 5000) }),
  ];

  it('decodes what it encodes for 2000 generated pushes', () => {
    const random = new SeededRandom(0x5eed_0003);
    for (let i = 0; i < 2000; i++) {
      const parameters = Array.from({ length: random.int(0, 4) }, () => random.pick(parameterPool)(random));
      const push: WspPush = {
        transactionId: random.int(0, 255),
        contentType: { mediaType: random.pick(mediaTypes), parameters },
        body: random.bytes(random.int(0, 300)),
      };
      if (random.chance(0.4)) push.applicationId = random.pick(WSP_APPLICATION_IDS).name;
      if (random.chance(0.2)) push.headers = [{ name: 'X-Extra', value: random.stringFrom('xyz', 5) }];
      const decoded = decodeWspPush(encodeWspPush(push));
      expect(decoded).toEqual(push);
    }
  });
});
