/**
 * Property: decodeWspPush(encodeWspPush(push)) gives the push back, for seeded random pushes: well-known,
 * registered and textual media types, every well-known Content-Type parameter kind (WSP Table 38: charset,
 * level, q, type, sec, mac, dates, ...), untyped parameters, X-Wap-Application-Id in its three forms,
 * well-known and application headers, and bodies of any bytes. Values are drawn in their canonical form
 * (what the decoder returns), so the comparison is exact.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { decodeWspPush } from '../../../codecs/wsp/decode-wsp-push.ts';
import { encodeWspPush, type WspParameter, type WspPush } from '../../../codecs/wsp/encode-wsp-push.ts';
import {
  WSP_APPLICATION_IDS,
  WSP_CHARSETS,
  WSP_CONTENT_TYPES,
  WSP_HEADER_FIELDS,
} from '../../../codecs/wsp/tables.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';

const SEED = testSeed(0x35b_2024);
const PUSHES = 3000;

const TEXT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/;=,"\' é中😀';
const TOKEN_FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function text(random: SeededRandom, min = 0, max = 20): string {
  return random.stringFrom(TEXT_ALPHABET, random.int(min, max));
}

function token(random: SeededRandom): string {
  return (
    random.stringFrom(TOKEN_FIRST, 1) +
    random.stringFrom('abcdefghijklmnopqrstuvwxyz0123456789-.', random.int(0, 12))
  );
}

const hexMac = (random: SeededRandom): string => random.stringFrom('0123456789ABCDEF', 40);

/** One parameter of each kind, in the canonical form decodeWspPush returns. */
function randomParameter(random: SeededRandom): WspParameter {
  const mediaNames = WSP_CONTENT_TYPES.filter((entry) => entry.code <= 0x7f).map((entry) => entry.mediaType);
  switch (random.int(0, 19)) {
    case 0:
      return { name: 'charset', value: random.pick(WSP_CHARSETS).name };
    case 1:
      return { name: 'charset', value: random.chance(0.5) ? '*' : random.int(3000, 70_000) }; // '*' or an unnamed MIBenum
    case 2:
      return { name: 'sec', value: random.int(0, 3) };
    case 3:
      return { name: 'mac', value: hexMac(random) };
    case 4:
      return { name: 'q', value: random.chance(0.5) ? random.int(0, 99) / 100 : random.int(0, 999) / 1000 };
    case 5:
      return { name: 'level', value: random.pick(['1.0', '1.2', '2', '7.14', '3.9', '8.0', 'beta']) };
    case 6:
      return { name: 'type', value: random.int(0, 100_000) };
    case 7:
      return {
        name: 'type',
        value: random.chance(0.5) ? random.pick(mediaNames) : `application/${token(random)}`,
      };
    case 8:
      return {
        name: random.pick(['name', 'filename', 'start', 'start-info', 'comment', 'domain', 'path']),
        value: text(random),
      };
    case 9:
      return { name: 'secure', value: '' };
    case 10:
      return {
        name: random.pick(['creation-date', 'modification-date', 'read-date']),
        value: random.int(0, 2 ** 40),
      };
    case 11:
      return { name: random.pick(['size', 'max-age']), value: random.int(0, 2 ** 32) };
    case 12:
      return { name: 'padding', value: random.int(0, 127) };
    case 13:
      return {
        name: 'differences',
        value: random.chance(0.5) ? random.pick(WSP_HEADER_FIELDS).name : `x-${token(random)}`,
      };
    case 14:
      // an untyped parameter: Token-text name with an Integer-value or a Text-value
      return {
        name: `x-${token(random)}`,
        value: random.chance(0.5) ? random.int(0, 2 ** 31) : text(random),
      };
    case 15:
      return {
        name: `x-wsp-parameter-0x${random.int(0x2a, 0x7f).toString(16)}`,
        value: random.chance(0.5) ? random.int(0, 999) : text(random),
      };
    default:
      return { name: 'sec', value: random.int(0, 3) };
  }
}

function randomPush(random: SeededRandom): WspPush {
  const choice = random.next();
  let mediaType: string;
  let encodeAsText = false;
  if (choice < 0.5) mediaType = random.pick(WSP_CONTENT_TYPES).mediaType;
  else if (choice < 0.7) {
    mediaType = random.pick(WSP_CONTENT_TYPES).mediaType;
    encodeAsText = true; // a media type with a code, sent as text (Gammu's MMS indicator does, docs/protocol.md §4.6)
  } else mediaType = `application/${token(random)}`;
  const parameters = Array.from({ length: random.pick([0, 0, 1, 2, 3, 5]) }, () => randomParameter(random));
  const push: WspPush = {
    transactionId: random.int(0, 255),
    contentType: encodeAsText ? { mediaType, parameters, encodeAsText } : { mediaType, parameters },
    body: random.bytes(random.pick([0, 1, 10, 200, 1000])),
  };
  const application = random.next();
  if (application < 0.4) push.applicationId = random.pick(WSP_APPLICATION_IDS).name;
  else if (application < 0.5)
    push.applicationId = random.int(0x0b, 0x7fff); // a code with no name
  else if (application < 0.6) push.applicationId = `x-wap-application:${token(random)}`;
  const headers = Array.from({ length: random.pick([0, 0, 0, 1, 2]) }, () =>
    random.chance(0.5)
      ? // a well-known header comes back as its raw encoded value: a Short-integer or a Text-string
        {
          name: random.pick(WSP_HEADER_FIELDS.filter((field) => field.code !== 0x2f && field.code <= 0x7f))
            .name,
          value: random.chance(0.5)
            ? Uint8Array.from([0x80 | random.int(0, 127)])
            : Uint8Array.from([...Buffer.from(token(random)), 0]),
        }
      : { name: `X-Operator-${token(random)}`, value: text(random) },
  );
  if (headers.length > 0) push.headers = headers;
  return push;
}

/** Comparable form: byte arrays as hex. */
function comparable(push: WspPush): unknown {
  return {
    ...push,
    body: toHex(push.body),
    headers: push.headers?.map((header) => ({
      name: header.name,
      value: typeof header.value === 'string' ? header.value : toHex(header.value),
    })),
  };
}

describe('WSP push encode -> decode round trip', () => {
  it(`gives back ${PUSHES} random pushes exactly`, () => {
    const random = new SeededRandom(SEED);
    const problems: string[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const push = randomPush(random);
      try {
        const bytes = encodeWspPush(push);
        const back = decodeWspPush(bytes);
        const want = JSON.stringify(comparable(push));
        const got = JSON.stringify(comparable(back));
        if (want !== got)
          problems.push(`#${i}\n  sent ${want}\n  got  ${got}\n  wire ${toHex(bytes).slice(0, 200)}`);
      } catch (error) {
        problems.push(`#${i} threw ${String(error)}\n  sent ${JSON.stringify(comparable(push))}`);
      }
    }
    expect(
      problems.slice(0, 5).join('\n'),
      `seed ${SEED}: ${problems.length} of ${PUSHES} pushes differ`,
    ).toBe('');
  });
});
