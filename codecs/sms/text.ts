/**
 * Plain-text SMS as segments: GSM 03.38 default alphabet (with its extension table) when every character
 * has septets there, else UCS-2 (UTF-16 big-endian); one SMS when the text fits, else concatenated parts
 * with an 8-bit concatenation element in the UDH (TS 23.040 §9.2.3.24.1; docs/protocol.md §5.1).
 *
 * Septets are one per octet, as SMPP carries data_coding 0 in short_message (the SMSC packs them for the
 * air interface). Capacity counts the air interface: 140 octets of TP-UD (docs/protocol.md §5.2) hold 160
 * septets; a 6-octet concatenation UDH takes 7 septets of them (48 bits, padded to a septet boundary,
 * TS 23.040 §9.2.3.24), leaving 153; in UCS-2 the 140 octets hold 70 characters, 67 beside the UDH.
 */
import { CodecError } from '../errors.ts';
import { MAX_TP_UD_OCTETS } from './data-coding.ts';
import { encodeGsmUnpacked } from './gsm-7bit.ts';
import { MAX_SEGMENTS, type SmsSegment } from './segment.ts';
import { encodeUdh } from './udh.ts';

export type TextAlphabet = 'gsm7' | 'ucs2';

const SEPTET_BITS = 7;
const OCTET_BITS = 8;
const UCS2_UNIT_OCTETS = 2;
const OCTET_MAX = 0xff;

/** Septets of one SMS without a UDH: 140 octets * 8 / 7 = 160. */
export const GSM7_SINGLE_SEPTETS = Math.floor((MAX_TP_UD_OCTETS * OCTET_BITS) / SEPTET_BITS);
/** UDHL + concat8 element: 6 octets. */
const CONCAT_UDH_OCTETS = encodeUdh([{ type: 'concat8', reference: 0, total: 2, index: 1 }]).length;
/** Septets of a part beside the concatenation UDH: 160 - ceil(48 / 7) = 153. */
export const GSM7_PART_SEPTETS =
  GSM7_SINGLE_SEPTETS - Math.ceil((CONCAT_UDH_OCTETS * OCTET_BITS) / SEPTET_BITS);
/** UTF-16 code units of one SMS without a UDH: 70. */
export const UCS2_SINGLE_UNITS = MAX_TP_UD_OCTETS / UCS2_UNIT_OCTETS;
/** UTF-16 code units of a part beside the concatenation UDH: 67. */
export const UCS2_PART_UNITS = Math.floor((MAX_TP_UD_OCTETS - CONCAT_UDH_OCTETS) / UCS2_UNIT_OCTETS);

export interface EncodedText {
  alphabet: TextAlphabet;
  segments: SmsSegment[];
}

export interface TextSegmentOptions {
  /** Concatenation reference (8 bits): one per message, unique per handset among messages in flight. */
  reference: number;
  /** At most this many parts (default 255); more throws SMS_TOO_MANY_SEGMENTS. */
  maxSegments?: number;
}

/** GSM 7-bit when every character is in the default alphabet or its extension table, else UCS-2. */
export function textAlphabet(text: string): TextAlphabet {
  return encodeGsmUnpacked(text) === null ? 'ucs2' : 'gsm7';
}

/**
 * The encoded units of each character, kept together so that no part ends inside one: a GSM escape and
 * its septet, or a UTF-16 surrogate pair.
 */
function characterUnits(text: string, alphabet: TextAlphabet): Uint8Array[] {
  const characters = [...text];
  if (alphabet === 'gsm7') return characters.map((character) => encodeGsmUnpacked(character)!);
  return characters.map((character) => {
    const octets = new Uint8Array(character.length * UCS2_UNIT_OCTETS);
    for (let unit = 0; unit < character.length; unit++) {
      const code = character.charCodeAt(unit);
      octets[unit * 2] = code >> OCTET_BITS;
      octets[unit * 2 + 1] = code & OCTET_MAX;
    }
    return octets;
  });
}

/** Units of the limits above: septets (one octet each) or UTF-16 code units (two octets each). */
function unitsOf(octets: Uint8Array, alphabet: TextAlphabet): number {
  return alphabet === 'gsm7' ? octets.length : octets.length / UCS2_UNIT_OCTETS;
}

function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Characters into parts of at most `perPart` units each, never splitting a character. */
function packParts(units: readonly Uint8Array[], alphabet: TextAlphabet, perPart: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let used = 0;
  for (const character of units) {
    const size = unitsOf(character, alphabet);
    if (used + size > perPart) {
      parts.push(concatenate(current));
      current = [];
      used = 0;
    }
    current.push(character);
    used += size;
  }
  parts.push(concatenate(current));
  return parts;
}

/** Splits a text into the SMS that carry it; throws SMS_BAD_REFERENCE, SMS_TOO_MANY_SEGMENTS. */
export function segmentText(text: string, options: TextSegmentOptions): EncodedText {
  const { reference } = options;
  if (!Number.isInteger(reference) || reference < 0 || reference > OCTET_MAX) {
    throw new CodecError('SMS_BAD_REFERENCE', `concatenation reference must be 0-${OCTET_MAX}: ${reference}`);
  }
  const alphabet = textAlphabet(text);
  const units = characterUnits(text, alphabet);
  const whole = concatenate(units);
  const single = alphabet === 'gsm7' ? GSM7_SINGLE_SEPTETS : UCS2_SINGLE_UNITS;
  if (unitsOf(whole, alphabet) <= single) {
    return { alphabet, segments: [{ index: 1, total: 1, reference, tpud: whole, udhi: false }] };
  }
  const parts = packParts(units, alphabet, alphabet === 'gsm7' ? GSM7_PART_SEPTETS : UCS2_PART_UNITS);
  const maxSegments = Math.min(options.maxSegments ?? MAX_SEGMENTS, MAX_SEGMENTS);
  if (parts.length > maxSegments) {
    throw new CodecError(
      'SMS_TOO_MANY_SEGMENTS',
      `the text needs ${parts.length} SMS; at most ${maxSegments}`,
    );
  }
  const total = parts.length;
  const segments = parts.map((payload, position): SmsSegment => {
    const index = position + 1;
    const udh = encodeUdh([{ type: 'concat8', reference, total, index }]);
    return { index, total, reference, tpud: concatenate([udh, payload]), udhi: true };
  });
  return { alphabet, segments };
}

/** The longest start of the text that one SMS carries (for a channel without concatenation, USSD). */
export function firstPartOfText(text: string): string {
  const alphabet = textAlphabet(text);
  const limit = alphabet === 'gsm7' ? GSM7_SINGLE_SEPTETS : UCS2_SINGLE_UNITS;
  let used = 0;
  let kept = '';
  for (const character of text) {
    const size = unitsOf(characterUnits(character, alphabet)[0], alphabet);
    if (used + size > limit) break;
    used += size;
    kept += character;
  }
  return kept;
}
