/**
 * Input mutators for fuzz tests: from valid inputs, the damaged ones a decoder meets on a real network
 * (truncated, bit-flipped, bytes lost or repeated, spliced) plus plain random bytes and random text.
 */
import type { SeededRandom } from './seeded-random.ts';

export function truncate(random: SeededRandom, input: Uint8Array): Uint8Array {
  return input.slice(0, random.int(0, Math.max(0, input.length - 1)));
}

export function flipBits(random: SeededRandom, input: Uint8Array, flips = random.int(1, 4)): Uint8Array {
  const out = input.slice();
  if (out.length === 0) return out;
  for (let i = 0; i < flips; i++) out[random.int(0, out.length - 1)] ^= 1 << random.int(0, 7);
  return out;
}

export function replaceBytes(random: SeededRandom, input: Uint8Array, count = random.int(1, 4)): Uint8Array {
  const out = input.slice();
  if (out.length === 0) return out;
  // Interesting values first: token boundaries, length extremes.
  const values = [0x00, 0x01, 0x03, 0x7f, 0x80, 0x83, 0xc3, 0xff];
  for (let i = 0; i < count; i++)
    out[random.int(0, out.length - 1)] = random.chance(0.5) ? random.pick(values) : random.int(0, 255);
  return out;
}

export function deleteBytes(random: SeededRandom, input: Uint8Array): Uint8Array {
  if (input.length === 0) return input.slice();
  const at = random.int(0, input.length - 1);
  const length = random.int(1, Math.min(8, input.length - at));
  const out = new Uint8Array(input.length - length);
  out.set(input.subarray(0, at), 0);
  out.set(input.subarray(at + length), at);
  return out;
}

export function insertBytes(random: SeededRandom, input: Uint8Array): Uint8Array {
  const at = random.int(0, input.length);
  const inserted = random.chance(0.5)
    ? random.bytes(random.int(1, 8))
    : input.slice(at, at + random.int(1, 16));
  const out = new Uint8Array(input.length + inserted.length);
  out.set(input.subarray(0, at), 0);
  out.set(inserted, at);
  out.set(input.subarray(at), at + inserted.length);
  return out;
}

/** The head of one input followed by the tail of another. */
export function splice(random: SeededRandom, a: Uint8Array, b: Uint8Array): Uint8Array {
  const head = a.subarray(0, random.int(0, a.length));
  const tail = b.subarray(random.int(0, b.length));
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** One damaged version of a valid input, by a randomly chosen mutation (sometimes two). */
export function mutate(
  random: SeededRandom,
  input: Uint8Array,
  others: readonly Uint8Array[] = [],
): Uint8Array {
  const operations = [truncate, flipBits, replaceBytes, deleteBytes, insertBytes];
  let out = input;
  const rounds = random.chance(0.8) ? 1 : 2;
  for (let i = 0; i < rounds; i++) {
    if (others.length > 0 && random.chance(0.1)) out = splice(random, out, random.pick(others));
    else out = random.pick(operations)(random, out);
  }
  return out;
}

/** Every prefix of an input (the whole truncation family). */
export function prefixes(input: Uint8Array): Uint8Array[] {
  return Array.from({ length: input.length }, (_, length) => input.slice(0, length));
}

const XML_ALPHABET = [
  '<',
  '>',
  '/',
  '=',
  '"',
  "'",
  '&',
  ';',
  '#',
  'x',
  '!',
  '?',
  '[',
  ']',
  '-',
  ':',
  ' ',
  '\n',
  '\t',
  '\r',
  'a',
  'b',
  'si',
  'sl',
  'parm',
  'characteristic',
  'wap-provisioningdoc',
  'CHARACTERISTIC-LIST',
  'amp',
  'lt',
  '<!--',
  '-->',
  '<![CDATA[',
  ']]>',
  '<?xml',
  '?>',
  '<!DOCTYPE',
  '&#',
  '&#x',
  'é',
  '中',
  '😀',
  '\u0000',
  '\u0001',
  '\ud800',
  '\udc00',
  '\uffff',
  '\ufffe',
];

/** Random text built from XML's syntax pieces (so a parser gets past its first character). */
export function randomXmlishText(random: SeededRandom, maxPieces = 60): string {
  let out = '';
  const pieces = random.int(0, maxPieces);
  for (let i = 0; i < pieces; i++) out += random.pick(XML_ALPHABET);
  return out;
}

/** A valid XML text damaged at the character level. */
export function mutateText(random: SeededRandom, text: string): string {
  const characters = [...text];
  const operations = random.int(1, 3);
  for (let i = 0; i < operations; i++) {
    const at = random.int(0, characters.length);
    switch (random.int(0, 3)) {
      case 0:
        characters.splice(at, random.int(1, 10));
        break;
      case 1:
        characters.splice(at, 0, random.pick(XML_ALPHABET));
        break;
      case 2:
        characters.splice(at, 1, random.pick(XML_ALPHABET));
        break;
      default:
        characters.length = at;
    }
  }
  return characters.join('');
}
