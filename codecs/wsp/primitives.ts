/**
 * WSP basic value encodings (WAP-230-WSP 8.4.2.1-8.4.2.3), docs/protocol.md §4.2. Readers throw CodecError
 * (TRUNCATED from ByteReader, or a WSP_* code for a wrong first octet); writers validate their input.
 */
import type { ByteReader } from '../bytes/reader.ts';
import type { ByteWriter } from '../bytes/writer.ts';
import { CodecError } from '../errors.ts';

/** First octets 0x00-0x1E are a Short-length: that many data octets follow (docs/protocol.md §4.2). */
export const SHORT_LENGTH_MAX = 30;
/** 0x1F Length-quote: a uintvar length follows (docs/protocol.md §4.2). */
export const LENGTH_QUOTE = 0x1f;
/** First octets 0x20-0x7F start a text string (docs/protocol.md §4.2). */
export const TEXT_FIRST_OCTET = 0x20;
/** Quote prefixed to a Text-string whose first octet is >= 0x80 (docs/protocol.md §4.2). */
export const TEXT_QUOTE = 0x7f;
/** `"` starts a Quoted-string (docs/protocol.md §4.2). */
export const QUOTED_STRING_MARK = 0x22;
/** High bit set: a Short-integer, value 0-127 in the low bits (docs/protocol.md §4.2). */
export const SHORT_INTEGER_FLAG = 0x80;
export const SHORT_INTEGER_MAX = 0x7f;
/** No-value: a lone NUL (docs/protocol.md §4.2). */
export const NO_VALUE = 0x00;
/** End-of-string. */
const END_OF_STRING = 0x00;

const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 octets of a text value; a NUL inside would end the string early on the wire. */
export function textOctets(text: string, what: string): Uint8Array {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) throw new CodecError('WSP_TEXT_CONTAINS_NUL', `${what} contains a NUL character`);
    if (unit >= 0x80) ascii = false;
  }
  if (!ascii) return utf8Encoder.encode(text);
  const octets = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) octets[i] = text.charCodeAt(i);
  return octets;
}

function decodeText(octets: Uint8Array, offset: number, what: string): string {
  try {
    return strictUtf8.decode(octets);
  } catch {
    throw new CodecError('INVALID_UTF8', `${what} is not valid UTF-8`, offset);
  }
}

// ---- writers ----

export function writeShortInteger(writer: ByteWriter, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > SHORT_INTEGER_MAX) {
    throw new CodecError('WSP_BAD_INTEGER', `Short-integer out of range 0-127: ${value}`);
  }
  writer.u8(SHORT_INTEGER_FLAG | value);
}

/** Long-integer: Short-length then the big-endian octets, at least one (0 -> `01 00`). */
export function writeLongInteger(writer: ByteWriter, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CodecError('WSP_BAD_INTEGER', `Long-integer out of range: ${value}`);
  }
  const octets: number[] = [];
  let rest = value;
  do {
    octets.push(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  writer.u8(octets.length);
  for (let i = octets.length - 1; i >= 0; i--) writer.u8(octets[i]);
}

/** Integer-value: Short-integer when <= 127, else Long-integer. */
export function writeIntegerValue(writer: ByteWriter, value: number): void {
  if (Number.isInteger(value) && value >= 0 && value <= SHORT_INTEGER_MAX)
    writer.u8(SHORT_INTEGER_FLAG | value);
  else writeLongInteger(writer, value);
}

/** Value-length: one octet when <= 30, else Length-quote + uintvar. */
export function writeValueLength(writer: ByteWriter, length: number): void {
  if (length <= SHORT_LENGTH_MAX) writer.u8(length);
  else writer.u8(LENGTH_QUOTE).uintvar(length);
}

/** Text-string: octets + NUL, quoted with 0x7F when the first octet could be misread (docs/protocol.md §4.2). */
export function writeTextString(writer: ByteWriter, text: string, what = 'Text-string'): void {
  const octets = textOctets(text, what);
  if (octets.length > 0 && (octets[0] >= SHORT_INTEGER_FLAG || octets[0] < TEXT_FIRST_OCTET))
    writer.u8(TEXT_QUOTE);
  writer.bytes(octets).u8(END_OF_STRING);
}

/** Token-text: a token (first octet 0x20-0x7E) + NUL; used for untyped parameter and header names. */
export function writeTokenText(writer: ByteWriter, text: string, what = 'Token-text'): void {
  const octets = textOctets(text, what);
  if (octets.length === 0 || octets[0] < TEXT_FIRST_OCTET || octets[0] >= TEXT_QUOTE) {
    throw new CodecError(
      'WSP_BAD_TOKEN',
      `${what} must start with a printable ASCII character: ${JSON.stringify(text)}`,
    );
  }
  writer.bytes(octets).u8(END_OF_STRING);
}

/** Text-value: No-value for '', Token-text when it can be, else Quoted-string (`22` text `00`). */
export function writeTextValue(writer: ByteWriter, text: string, what = 'Text-value'): void {
  if (text.length === 0) {
    writer.u8(NO_VALUE);
    return;
  }
  const octets = textOctets(text, what);
  const first = octets[0];
  if (first < TEXT_FIRST_OCTET || first >= TEXT_QUOTE || first === QUOTED_STRING_MARK)
    writer.u8(QUOTED_STRING_MARK);
  writer.bytes(octets).u8(END_OF_STRING);
}

// ---- readers ----

export function readShortInteger(reader: ByteReader, what = 'Short-integer'): number {
  const offset = reader.offset;
  const octet = reader.u8(what);
  if (octet < SHORT_INTEGER_FLAG)
    throw new CodecError('WSP_BAD_INTEGER', `${what}: expected a Short-integer`, offset);
  return octet & SHORT_INTEGER_MAX;
}

export function readLongInteger(reader: ByteReader, what = 'Long-integer'): number {
  const offset = reader.offset;
  const length = reader.u8(what);
  if (length === 0 || length > SHORT_LENGTH_MAX) {
    throw new CodecError('WSP_BAD_INTEGER', `${what}: bad Long-integer length ${length}`, offset);
  }
  const octets = reader.take(length, what);
  let value = 0;
  for (const octet of octets) {
    value = value * 256 + octet;
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new CodecError('WSP_INTEGER_TOO_LARGE', `${what} does not fit in 53 bits`, offset);
    }
  }
  return value;
}

export function readIntegerValue(reader: ByteReader, what = 'Integer-value'): number {
  const first = reader.peek(what);
  if (first >= SHORT_INTEGER_FLAG) return reader.u8() & SHORT_INTEGER_MAX;
  return readLongInteger(reader, what);
}

export function readValueLength(reader: ByteReader, what = 'Value-length'): number {
  const offset = reader.offset;
  const first = reader.u8(what);
  if (first <= SHORT_LENGTH_MAX) return first;
  if (first === LENGTH_QUOTE) return reader.uintvar(what);
  throw new CodecError(
    'WSP_BAD_VALUE_LENGTH',
    `${what}: expected a length, found 0x${first.toString(16)}`,
    offset,
  );
}

/** Octets up to NUL decoded as strict UTF-8. */
export function readCString(reader: ByteReader, what: string): string {
  const offset = reader.offset;
  return decodeText(reader.cstringBytes(what), offset, what);
}

/** Text-string: an optional 0x7F quote, text, NUL. */
export function readTextString(reader: ByteReader, what = 'Text-string'): string {
  if (reader.peek(what) === TEXT_QUOTE) reader.u8();
  return readCString(reader, what);
}

/** Text-value: No-value, Quoted-string or Token-text (a stray Text-string quote is tolerated). */
export function readTextValue(reader: ByteReader, what = 'Text-value'): string {
  const first = reader.peek(what);
  if (first === NO_VALUE) {
    reader.u8();
    return '';
  }
  if (first === QUOTED_STRING_MARK || first === TEXT_QUOTE) reader.u8();
  else if (first < TEXT_FIRST_OCTET || first >= SHORT_INTEGER_FLAG) {
    throw new CodecError(
      'WSP_BAD_TEXT',
      `${what}: expected text, found 0x${first.toString(16)}`,
      reader.offset,
    );
  }
  return readCString(reader, what);
}

/**
 * The raw octets of one encoded value of any type, recognised by its first octet alone (docs/protocol.md §4.2):
 * Short-length / Length-quote + data, text up to NUL, or a single Short-integer octet. Lets the
 * decoder step over header fields it has no typed decoder for.
 */
export function readRawValue(reader: ByteReader, what = 'header value'): Uint8Array {
  const start = reader.offset;
  const first = reader.peek(what);
  if (first >= SHORT_INTEGER_FLAG) {
    reader.u8();
  } else if (first >= TEXT_FIRST_OCTET) {
    reader.cstringBytes(what);
  } else {
    const length = readValueLength(reader, what);
    reader.take(length, what);
  }
  return reader.bytes.subarray(start, reader.offset);
}
