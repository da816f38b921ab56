import { ByteReader } from '../bytes/reader.ts';
import { CodecError } from '../errors.ts';
import { markWrittenWithEndTag } from '../xml/element.ts';
import type { XmlElement } from '../xml/element.ts';
import { compileVocabulary } from './compiled-vocabulary.ts';
import type { CompiledVocabulary } from './compiled-vocabulary.ts';
import { unpackDatetime } from './datetime.ts';
import {
  CHARSET_ISO_8859_1,
  CHARSET_UCS_2,
  CHARSET_UNKNOWN,
  CHARSET_US_ASCII,
  CHARSET_UTF_16,
  CHARSET_UTF_16BE,
  CHARSET_UTF_16LE,
  CHARSET_UTF_8,
  END,
  ENTITY,
  EXT_0,
  EXT_1,
  EXT_2,
  EXT_I_0,
  EXT_I_1,
  EXT_I_2,
  EXT_T_0,
  EXT_T_1,
  EXT_T_2,
  FIRST_ATTRIBUTE_VALUE_TOKEN,
  LITERAL,
  LITERAL_A,
  LITERAL_AC,
  LITERAL_C,
  MAX_WBXML_DEPTH,
  OPAQUE,
  PI,
  PUBLIC_ID_IN_STRING_TABLE,
  STR_I,
  STR_T,
  SWITCH_PAGE,
  TAG_HAS_ATTRIBUTES,
  TAG_HAS_CONTENT,
  TAG_IDENTITY_MASK,
  WBXML_VERSION_1_0,
  WBXML_VERSION_1_3,
} from './tokens.ts';
import type { Vocabulary } from './vocabulary.ts';
import { vocabularyForPublicId } from './vocabularies/index.ts';

export interface DecodeWbxmlOptions {
  /**
   * The vocabulary to use when the document's public id does not name one we know — 1 "unknown" (Nokia
   * OTA always sends that, docs/protocol.md §7) or an id we have no table for. A known public id wins over it.
   */
  vocabulary?: Vocabulary;
}

export interface DecodedWbxml {
  root: XmlElement;
  vocabulary: Vocabulary;
  /** Version octet as sent (0x00 = 1.0 … 0x03 = 1.3). */
  version: number;
  /** The public id number, or the FPI text when it was sent through the string table. */
  publicId: number | string;
  /** IANA MIBenum as sent; 0 for unknown and for WBXML 1.0 (which has no charset field). */
  charset: number;
}

/**
 * Decodes a WBXML 1.0–1.3 document (docs/protocol.md §1) to an element tree. Any malformed input throws
 * CodecError, never anything else: TRUNCATED, WBXML_UNSUPPORTED_VERSION, WBXML_UNKNOWN_PUBLIC_ID,
 * WBXML_UNSUPPORTED_CHARSET, WBXML_UNKNOWN_TOKEN (a tag/attribute token the vocabulary lacks),
 * WBXML_UNEXPECTED_TOKEN (a global token where it may not stand), WBXML_UNSUPPORTED_TOKEN (EXT*),
 * WBXML_BAD_STRING_REFERENCE, WBXML_INVALID_STRING, WBXML_INVALID_ENTITY, WBXML_INVALID_OPAQUE,
 * WBXML_INVALID_DATETIME, WBXML_TOO_DEEP, WBXML_TRAILING_BYTES.
 */
export function decodeWbxml(bytes: Uint8Array, options: DecodeWbxmlOptions = {}): DecodedWbxml {
  try {
    return decodeDocument(bytes, options);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    // Defensive: nothing else should escape, but a decoder fed hostile bytes must only ever throw CodecError.
    throw new CodecError(
      'WBXML_MALFORMED',
      `undecodable WBXML: ${String((error as Error)?.message ?? error)}`,
    );
  }
}

function decodeDocument(bytes: Uint8Array, options: DecodeWbxmlOptions): DecodedWbxml {
  const reader = new ByteReader(bytes);
  const version = reader.u8('the WBXML version');
  if (version > WBXML_VERSION_1_3) {
    throw new CodecError(
      'WBXML_UNSUPPORTED_VERSION',
      `WBXML version octet 0x${hex(version)} is not 1.0–1.3`,
      0,
    );
  }
  const publicIdOffset = reader.offset;
  let publicId: number | string = reader.uintvar('the public id');
  let publicIdStringIndex = -1;
  if (publicId === PUBLIC_ID_IN_STRING_TABLE)
    publicIdStringIndex = reader.uintvar('the public id string offset');
  const charsetOffset = reader.offset;
  const charset = version === WBXML_VERSION_1_0 ? CHARSET_UNKNOWN : reader.uintvar('the charset');
  const text = textCodecFor(charset, charsetOffset);
  const tableLength = reader.uintvar('the string table length');
  const tableOffset = reader.offset;
  const table = reader.take(tableLength, 'the string table');
  const strings = new StringTableReader(table, tableOffset, text);

  if (publicIdStringIndex >= 0) publicId = strings.at(publicIdStringIndex, publicIdOffset);
  const vocabulary = vocabularyForPublicId(publicId) ?? options.vocabulary;
  if (!vocabulary) {
    throw new CodecError(
      'WBXML_UNKNOWN_PUBLIC_ID',
      `public id ${typeof publicId === 'number' ? `0x${hex(publicId)}` : `"${publicId}"`} names no known ` +
        'vocabulary and none was given',
      publicIdOffset,
    );
  }

  const body = new BodyDecoder(reader, compileVocabulary(vocabulary), strings, text);
  const root = body.document();
  return { root, vocabulary, version, publicId, charset };
}

/** How strings of the document charset end (1- or 2-octet NUL) and turn into text. */
interface TextCodec {
  readonly nulWidth: 1 | 2;
  decode(octets: Uint8Array, offset: number): string;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalidString(charsetName: string, offset: number): never {
  throw new CodecError('WBXML_INVALID_STRING', `string is not valid ${charsetName}`, offset);
}

/** Short ASCII strings (nearly every provisioning value) skip TextDecoder's per-call overhead. */
const ASCII_FAST_PATH_LIMIT = 1024;

function asciiOrUndefined(octets: Uint8Array): string | undefined {
  if (octets.length > ASCII_FAST_PATH_LIMIT) return undefined;
  for (let i = 0; i < octets.length; i++) if (octets[i] >= 0x80) return undefined;
  return String.fromCharCode.apply(null, octets as unknown as number[]);
}

const UTF_8: TextCodec = {
  nulWidth: 1,
  decode(octets, offset) {
    const ascii = asciiOrUndefined(octets);
    if (ascii !== undefined) return ascii;
    try {
      return utf8Decoder.decode(octets);
    } catch {
      return invalidString('UTF-8', offset);
    }
  },
};

const US_ASCII: TextCodec = {
  nulWidth: 1,
  decode(octets, offset) {
    for (let i = 0; i < octets.length; i++) if (octets[i] >= 0x80) invalidString('US-ASCII', offset + i);
    return latin1(octets);
  },
};

const ISO_8859_1: TextCodec = { nulWidth: 1, decode: (octets) => latin1(octets) };

function latin1(octets: Uint8Array): string {
  let text = '';
  for (let i = 0; i < octets.length; i++) text += String.fromCharCode(octets[i]);
  return text;
}

/** UTF-16/UCS-2, big-endian unless a UTF-16 string starts with a byte-order mark. */
function utf16(littleEndian: boolean, honourBom: boolean, name: string): TextCodec {
  return {
    nulWidth: 2,
    decode(octets, offset) {
      let little = littleEndian;
      let start = 0;
      if (honourBom && octets.length >= 2) {
        if (octets[0] === 0xfe && octets[1] === 0xff) start = 2;
        else if (octets[0] === 0xff && octets[1] === 0xfe) {
          start = 2;
          little = true;
        }
      }
      let text = '';
      for (let i = start; i + 1 < octets.length; i += 2) {
        text += String.fromCharCode(
          little ? octets[i] | (octets[i + 1] << 8) : (octets[i] << 8) | octets[i + 1],
        );
      }
      if (hasLoneSurrogate(text)) invalidString(name, offset);
      return text;
    },
  };
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code > 0xdbff || i + 1 >= text.length) return true;
    const next = text.charCodeAt(i + 1);
    if (next < 0xdc00 || next > 0xdfff) return true;
    i++;
  }
  return false;
}

const UCS_2 = utf16(false, false, 'UCS-2');
const UTF_16 = utf16(false, true, 'UTF-16');
const UTF_16BE = utf16(false, false, 'UTF-16BE');
const UTF_16LE = utf16(true, false, 'UTF-16LE');

function textCodecFor(charset: number, offset: number): TextCodec {
  switch (charset) {
    case CHARSET_UNKNOWN: // LW parse_charset: no charset -> UTF-8 (docs/protocol.md §1.1)
    case CHARSET_UTF_8:
      return UTF_8;
    case CHARSET_US_ASCII:
      return US_ASCII;
    case CHARSET_ISO_8859_1:
      return ISO_8859_1;
    case CHARSET_UCS_2:
      return UCS_2;
    case CHARSET_UTF_16:
      return UTF_16;
    case CHARSET_UTF_16BE:
      return UTF_16BE;
    case CHARSET_UTF_16LE:
      return UTF_16LE;
    default:
      throw new CodecError(
        'WBXML_UNSUPPORTED_CHARSET',
        `charset MIBenum ${charset} is not supported`,
        offset,
      );
  }
}

/** Offset of the NUL terminator of the string starting at `start` in `bytes`, or -1. */
function terminatorOf(bytes: Uint8Array, start: number, end: number, nulWidth: 1 | 2): number {
  if (nulWidth === 1) {
    const nul = bytes.indexOf(0, start);
    return nul >= 0 && nul < end ? nul : -1;
  }
  for (let i = start; i + 1 < end; i += 2) if (bytes[i] === 0 && bytes[i + 1] === 0) return i;
  return -1;
}

class StringTableReader {
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly table: Uint8Array,
    private readonly tableOffset: number,
    private readonly text: TextCodec,
  ) {}

  /** The string at a byte offset into the table (STR_T, LITERAL*, public id; docs/protocol.md §1.1). */
  at(index: number, tokenOffset: number): string {
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached;
    const end =
      index < this.table.length ? terminatorOf(this.table, index, this.table.length, this.text.nulWidth) : -1;
    if (end < 0) {
      throw new CodecError(
        'WBXML_BAD_STRING_REFERENCE',
        `string table reference ${index} is not the start of a terminated string ` +
          `in the ${this.table.length}-octet table`,
        tokenOffset,
      );
    }
    const value = this.text.decode(this.table.subarray(index, end), this.tableOffset + index);
    this.cache.set(index, value);
    return value;
  }
}

const isExtension = (token: number): boolean =>
  token === EXT_I_0 ||
  token === EXT_I_1 ||
  token === EXT_I_2 ||
  token === EXT_T_0 ||
  token === EXT_T_1 ||
  token === EXT_T_2 ||
  token === EXT_0 ||
  token === EXT_1 ||
  token === EXT_2;

class BodyDecoder {
  private tagPage = 0;
  private attributePage = 0;

  constructor(
    private readonly reader: ByteReader,
    private readonly vocabulary: CompiledVocabulary,
    private readonly strings: StringTableReader,
    private readonly text: TextCodec,
  ) {}

  /** body = *pi element *pi (SWITCH_PAGE may precede the root's tag). */
  document(): XmlElement {
    const reader = this.reader;
    for (;;) {
      const offset = reader.offset;
      const token = reader.u8('the root element');
      if (token === PI) this.skipProcessingInstruction();
      else if (token === SWITCH_PAGE) this.tagPage = reader.u8('a code page number');
      else {
        const root = this.element(token, offset, 1);
        while (!reader.atEnd) {
          const after = reader.offset;
          if (reader.u8() === PI) this.skipProcessingInstruction();
          else
            throw new CodecError('WBXML_TRAILING_BYTES', 'bytes follow the end of the root element', after);
        }
        return root;
      }
    }
  }

  private element(token: number, offset: number, depth: number): XmlElement {
    if (depth > MAX_WBXML_DEPTH) {
      throw new CodecError('WBXML_TOO_DEEP', `elements nest deeper than ${MAX_WBXML_DEPTH}`, offset);
    }
    const reader = this.reader;
    let name: string;
    if (token === LITERAL || token === LITERAL_A || token === LITERAL_C || token === LITERAL_AC) {
      name = this.strings.at(reader.uintvar('a LITERAL offset'), offset);
    } else {
      this.rejectGlobal(token, offset, 'as a tag');
      const found = this.vocabulary.tagNames.get(this.tagPage)?.[token & TAG_IDENTITY_MASK];
      if (found === undefined) {
        throw new CodecError(
          'WBXML_UNKNOWN_TOKEN',
          `tag token 0x${hex(token)} is not on tag page ${this.tagPage} of ${this.vocabularyName}`,
          offset,
        );
      }
      name = found;
    }
    const element: XmlElement = { name, attributes: [], children: [] };
    if (token & TAG_HAS_ATTRIBUTES) this.attributes(element.attributes);
    if (token & TAG_HAS_CONTENT) {
      this.content(element, depth);
      if (element.children.length === 0) markWrittenWithEndTag(element);
    }
    return element;
  }

  /** A global token that cannot stand where a tag or an attribute token is expected. */
  private rejectGlobal(token: number, offset: number, where: 'as a tag' | 'in an attribute list'): void {
    if (isExtension(token)) {
      throw new CodecError(
        'WBXML_UNSUPPORTED_TOKEN',
        `extension token 0x${hex(token)} is not supported`,
        offset,
      );
    }
    if ((token & TAG_IDENTITY_MASK) <= LITERAL) {
      throw new CodecError(
        'WBXML_UNEXPECTED_TOKEN',
        `global token 0x${hex(token)} cannot stand ${where}`,
        offset,
      );
    }
  }

  private content(element: XmlElement, depth: number): void {
    const reader = this.reader;
    // Adjacent STR_I/STR_T/ENTITY/OPAQUE pieces form one text child.
    let text = '';
    for (;;) {
      const offset = reader.offset;
      const token = reader.u8('element content (missing END?)');
      switch (token) {
        case END:
          if (text !== '') element.children.push(text);
          return;
        case SWITCH_PAGE:
          this.tagPage = reader.u8('a code page number');
          break;
        case STR_I:
          text += this.inlineString();
          break;
        case STR_T:
          text += this.strings.at(reader.uintvar('a STR_T offset'), offset);
          break;
        case ENTITY:
          text += this.entity(offset);
          break;
        case OPAQUE:
          text += this.opaqueText(offset);
          break;
        case PI:
          this.skipProcessingInstruction();
          break;
        default:
          if (text !== '') element.children.push(text);
          text = '';
          element.children.push(this.element(token, offset, depth + 1));
      }
    }
  }

  private attributes(attributes: Array<[string, string]>): void {
    const reader = this.reader;
    // The attribute being collected: its value runs until the next ATTRSTART/LITERAL or END.
    let name: string | undefined;
    let value = '';
    for (;;) {
      const offset = reader.offset;
      const token = reader.u8('an attribute list (missing END?)');
      switch (token) {
        case END:
          if (name !== undefined) attributes.push([name, value]);
          return;
        case SWITCH_PAGE:
          this.attributePage = reader.u8('a code page number');
          break;
        case LITERAL:
          if (name !== undefined) attributes.push([name, value]);
          name = this.strings.at(reader.uintvar('a LITERAL offset'), offset);
          value = '';
          break;
        case STR_I:
          this.requireAttribute(name, offset);
          value += this.inlineString();
          break;
        case STR_T:
          this.requireAttribute(name, offset);
          value += this.strings.at(reader.uintvar('a STR_T offset'), offset);
          break;
        case ENTITY:
          this.requireAttribute(name, offset);
          value += this.entity(offset);
          break;
        case OPAQUE:
          this.requireAttribute(name, offset);
          value += this.vocabulary.datetimeAttributes.has(name!)
            ? this.opaqueDatetime(offset)
            : this.opaqueText(offset);
          break;
        default: {
          this.rejectGlobal(token, offset, 'in an attribute list');
          if (token < FIRST_ATTRIBUTE_VALUE_TOKEN) {
            const start = this.vocabulary.attributeStarts.get(this.attributePage)?.[token];
            if (!start) throw this.unknownAttributeToken('ATTRSTART', token, offset);
            if (name !== undefined) attributes.push([name, value]);
            name = start.name;
            value = start.value ?? '';
          } else {
            const fragment = this.vocabulary.attributeValues.get(this.attributePage)?.[token];
            if (fragment === undefined) throw this.unknownAttributeToken('ATTRVALUE', token, offset);
            this.requireAttribute(name, offset);
            value += fragment;
          }
        }
      }
    }
  }

  private get vocabularyName(): string {
    return this.vocabulary.vocabulary.name;
  }

  private unknownAttributeToken(kind: string, token: number, offset: number): CodecError {
    return new CodecError(
      'WBXML_UNKNOWN_TOKEN',
      `${kind} token 0x${hex(token)} is not on attribute page ${this.attributePage} of ${this.vocabularyName}`,
      offset,
    );
  }

  private requireAttribute(name: string | undefined, offset: number): void {
    if (name === undefined) {
      throw new CodecError(
        'WBXML_UNEXPECTED_TOKEN',
        'an attribute value comes before any attribute name',
        offset,
      );
    }
  }

  /** PI = PI attrStart *attrValue END (docs/protocol.md §1.3): parsed to stay in step, then dropped. */
  private skipProcessingInstruction(): void {
    this.attributes([]);
  }

  private inlineString(): string {
    const reader = this.reader;
    const start = reader.offset;
    const end = terminatorOf(reader.bytes, start, reader.bytes.length, this.text.nulWidth);
    if (end < 0) throw new CodecError('TRUNCATED', 'an inline string (STR_I) has no terminator', start);
    reader.offset = end + this.text.nulWidth;
    return this.text.decode(reader.bytes.subarray(start, end), start);
  }

  private entity(offset: number): string {
    const codePoint = this.reader.uintvar('an ENTITY code point');
    if (codePoint === 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      throw new CodecError('WBXML_INVALID_ENTITY', `ENTITY ${codePoint} is not a character`, offset);
    }
    return String.fromCodePoint(codePoint);
  }

  private opaque(): Uint8Array {
    const length = this.reader.uintvar('an OPAQUE length');
    return this.reader.take(length, 'OPAQUE data');
  }

  /** Opaque data outside a %Datetime is kept as text when it is valid UTF-8. */
  private opaqueText(offset: number): string {
    const octets = this.opaque();
    try {
      return utf8Decoder.decode(octets);
    } catch {
      throw new CodecError('WBXML_INVALID_OPAQUE', 'OPAQUE data is not text (not valid UTF-8)', offset);
    }
  }

  private opaqueDatetime(offset: number): string {
    const datetime = unpackDatetime(this.opaque());
    if (datetime === undefined) {
      throw new CodecError(
        'WBXML_INVALID_DATETIME',
        'OPAQUE %Datetime is not 1–7 octets of BCD digits',
        offset,
      );
    }
    return datetime;
  }
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
