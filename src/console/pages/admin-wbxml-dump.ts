/**
 * The WBXML of a preview, cut into its tokens, each with what it means: the admins' preview page shows the
 * hex dump one token a row (docs/protocol.md §1). It walks the same token tables the codec's decoder walks
 * (codecs/wbxml/tokens.ts, the vocabularies), but never throws: bytes it cannot read end the dump in one
 * row that says why, so a broken document still shows what came before the break.
 */
import { ByteReader } from '../../../codecs/bytes/reader.ts';
import { compileVocabulary, type CompiledVocabulary } from '../../../codecs/wbxml/compiled-vocabulary.ts';
import { unpackDatetime } from '../../../codecs/wbxml/datetime.ts';
import * as T from '../../../codecs/wbxml/tokens.ts';
import type { Vocabulary } from '../../../codecs/wbxml/vocabulary.ts';
import { UNKNOWN_PUBLIC_ID, vocabularyForPublicId } from '../../../codecs/wbxml/vocabularies/index.ts';
import { isDocumentSecretParm, MASK } from '../../profiles/versions.ts';

export type WbxmlTokenKind =
  | 'header'
  | 'string-table'
  | 'switch-page'
  | 'tag'
  | 'end'
  | 'attribute-start'
  | 'attribute-value'
  | 'string'
  | 'opaque'
  | 'entity'
  | 'literal'
  | 'processing-instruction'
  | 'undecoded';

export interface WbxmlToken {
  /** Offset of the token's first octet in the document. */
  offset: number;
  /** The token's octets (with what follows it: a page number, a string, a length and its data). */
  octets: Uint8Array;
  kind: WbxmlTokenKind;
  /** What the octets say, in words: `tag characteristic (page 0), attributes and content follow`. */
  meaning: string;
}

export interface WbxmlDump {
  tokens: WbxmlToken[];
  /** The vocabulary the body was read with, if the public id or the fallback named one. */
  vocabulary: string | null;
}

/** docs/protocol.md §1.1: the version octet's high nibble is the major version − 1, the low nibble the minor. */
function versionText(octet: number): string {
  return `WBXML ${(octet >> 4) + 1}.${octet & 0x0f}`;
}

/** Charsets by IANA MIBenum (docs/protocol.md §1.1); the ones tokens.ts names. */
const CHARSET_NAMES: Readonly<Record<number, string>> = {
  [T.CHARSET_UNKNOWN]: 'unknown (read as UTF-8)',
  [T.CHARSET_US_ASCII]: 'US-ASCII',
  [T.CHARSET_ISO_8859_1]: 'ISO-8859-1',
  [T.CHARSET_UTF_8]: 'UTF-8',
  [T.CHARSET_UCS_2]: 'UCS-2',
  [T.CHARSET_UTF_16BE]: 'UTF-16BE',
  [T.CHARSET_UTF_16LE]: 'UTF-16LE',
  [T.CHARSET_UTF_16]: 'UTF-16',
};

const TWO_OCTET_CHARSETS: ReadonlySet<number> = new Set([
  T.CHARSET_UCS_2,
  T.CHARSET_UTF_16BE,
  T.CHARSET_UTF_16LE,
  T.CHARSET_UTF_16,
]);

/** Global tokens by octet (docs/protocol.md §1.3), for the rows that name one. */
const EXTENSION_TOKENS: ReadonlySet<number> = new Set([
  T.EXT_I_0,
  T.EXT_I_1,
  T.EXT_I_2,
  T.EXT_T_0,
  T.EXT_T_1,
  T.EXT_T_2,
  T.EXT_0,
  T.EXT_1,
  T.EXT_2,
]);

const hex2 = (octet: number): string => `0x${octet.toString(16).toUpperCase().padStart(2, '0')}`;

/** Where the walk is: reading the root's tag, an element's attribute list, or its content. */
interface Frame {
  mode: 'attributes' | 'content';
  element: string;
  /** The element is a parm naming a secret (its value is shown as MASK, docs/protocol.md §2.2, §7). */
  secret: boolean;
}

class Unreadable extends Error {}

class DumpWalker {
  readonly tokens: WbxmlToken[] = [];
  private readonly reader: ByteReader;
  private readonly stack: Frame[] = [];
  private tagPage = 0;
  private attributePage = 0;
  private nulWidth: 1 | 2 = 1;
  private charset: number = T.CHARSET_UNKNOWN;
  private table: Uint8Array = new Uint8Array(0);
  private vocabulary: CompiledVocabulary | undefined;
  /** The attribute whose value the next value tokens continue. */
  private attribute: string | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fallback: Vocabulary | undefined,
  ) {
    this.reader = new ByteReader(bytes);
  }

  dump(): WbxmlDump {
    try {
      this.header();
      this.body();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const offset = this.lastOffset;
      if (offset < this.bytes.length)
        this.push('undecoded', offset, this.bytes.length, `not read further: ${reason}`);
      else this.tokens.push({ offset, octets: new Uint8Array(0), kind: 'undecoded', meaning: reason });
    }
    return { tokens: this.tokens, vocabulary: this.vocabulary?.vocabulary.name ?? null };
  }

  /** Where the next token starts: just after the last row. */
  private get lastOffset(): number {
    const last = this.tokens[this.tokens.length - 1];
    return last ? last.offset + last.octets.length : 0;
  }

  private push(kind: WbxmlTokenKind, start: number, end: number, meaning: string): void {
    this.tokens.push({ offset: start, octets: this.bytes.subarray(start, end), kind, meaning });
  }

  /** docs/protocol.md §1.1: version, public id, charset (not in 1.0), string table. */
  private header(): void {
    const reader = this.reader;
    const version = reader.u8('the version');
    this.push('header', 0, 1, `version: ${versionText(version)}`);
    let start = reader.offset;
    let publicId: number | string = reader.uintvar('the public id');
    let publicIdIndex = -1;
    if (publicId === T.PUBLIC_ID_IN_STRING_TABLE) publicIdIndex = reader.uintvar('the public id offset');
    const publicIdEnd = reader.offset;
    if (version !== T.WBXML_VERSION_1_0) {
      start = reader.offset;
      this.charset = reader.uintvar('the charset');
      if (TWO_OCTET_CHARSETS.has(this.charset)) this.nulWidth = 2;
    }
    const charsetRow = { start, end: reader.offset };
    const tableStart = reader.offset;
    const tableLength = reader.uintvar('the string table length');
    const lengthEnd = reader.offset;
    this.table = reader.take(tableLength, 'the string table');
    if (publicIdIndex >= 0) publicId = this.tableString(publicIdIndex);
    this.push('header', 1, publicIdEnd, this.publicIdText(publicId, publicIdIndex));
    if (version !== T.WBXML_VERSION_1_0) {
      const name = CHARSET_NAMES[this.charset] ?? 'not supported';
      this.push('header', charsetRow.start, charsetRow.end, `charset: MIBenum ${this.charset}, ${name}`);
    }
    this.push('header', tableStart, lengthEnd, `string table length: ${tableLength} octets`);
    if (tableLength > 0) this.push('string-table', lengthEnd, reader.offset, this.tableText());
  }

  private publicIdText(publicId: number | string, index: number): string {
    const vocabulary = vocabularyForPublicId(publicId) ?? this.fallback;
    if (vocabulary) this.vocabulary = compileVocabulary(vocabulary);
    const named = vocabulary ? ` (read as ${vocabulary.name})` : ' (no vocabulary known)';
    if (index >= 0) return `public id: in the string table at ${index}, "${publicId}"${named}`;
    if (publicId === UNKNOWN_PUBLIC_ID) return `public id: 1, unknown${named}`;
    return `public id: ${hex2(publicId as number)}${named}`;
  }

  /** The strings of the table with their offsets, which STR_T and LITERAL point at. */
  private tableText(): string {
    const parts: string[] = [];
    for (let index = 0; index < this.table.length;) {
      const end = this.terminator(this.table, index);
      if (end < 0) break;
      parts.push(`${index}: "${this.text(this.table.subarray(index, end))}"`);
      index = end + this.nulWidth;
    }
    return `string table: ${parts.join(', ') || 'no terminated string'}`;
  }

  private terminator(octets: Uint8Array, start: number): number {
    for (let i = start; i + this.nulWidth <= octets.length; i += this.nulWidth) {
      if (octets[i] === 0 && (this.nulWidth === 1 || octets[i + 1] === 0)) return i;
    }
    return -1;
  }

  private text(octets: Uint8Array): string {
    if (this.charset === T.CHARSET_ISO_8859_1) return Buffer.from(octets).toString('latin1');
    if (this.nulWidth === 1) return Buffer.from(octets).toString('utf8');
    const little = this.charset === T.CHARSET_UTF_16LE;
    let text = '';
    for (let i = 0; i + 1 < octets.length; i += 2)
      text += String.fromCharCode(
        little ? octets[i] | (octets[i + 1] << 8) : (octets[i] << 8) | octets[i + 1],
      );
    return text;
  }

  private tableString(index: number): string {
    const end = index < this.table.length ? this.terminator(this.table, index) : -1;
    if (end < 0) throw new Unreadable(`string table offset ${index} starts no terminated string`);
    return this.text(this.table.subarray(index, end));
  }

  private body(): void {
    if (!this.vocabulary) throw new Unreadable('the public id names no vocabulary to read the body with');
    let rootRead = false;
    while (!this.reader.atEnd) {
      const frame = this.stack[this.stack.length - 1];
      if (!frame && rootRead) throw new Unreadable('bytes follow the end of the root element');
      const start = this.reader.offset;
      const token = this.reader.u8();
      if (this.global(token, start, frame)) continue;
      if (frame?.mode === 'attributes') this.attributeToken(token, start, frame);
      else {
        this.tag(token, start);
        rootRead = true;
      }
    }
    if (this.stack.length > 0)
      throw new Unreadable(`the document ends inside ${this.stack.length} element(s)`);
  }

  /** The tokens that mean the same in every state (docs/protocol.md §1.3); false when it is not one. */
  private global(token: number, start: number, frame: Frame | undefined): boolean {
    const reader = this.reader;
    const inAttributes = frame?.mode === 'attributes';
    switch (token) {
      case T.SWITCH_PAGE: {
        const page = reader.u8('a code page number');
        if (inAttributes) this.attributePage = page;
        else this.tagPage = page;
        const which = inAttributes ? 'attribute' : 'tag';
        this.push('switch-page', start, reader.offset, `SWITCH_PAGE: ${which} code page ${page} (§1.6)`);
        return true;
      }
      case T.END:
        this.end(start, frame);
        return true;
      case T.STR_I:
        return this.inlineString(start, frame);
      case T.STR_T: {
        const index = reader.uintvar('a STR_T offset');
        const text = this.shown(frame, this.tableString(index));
        this.push('string', start, reader.offset, `STR_T: string table at ${index}, "${text}"`);
        return true;
      }
      case T.OPAQUE:
        return this.opaque(start, frame);
      case T.ENTITY: {
        const codePoint = reader.uintvar('an ENTITY code point');
        this.push(
          'entity',
          start,
          reader.offset,
          `ENTITY: character U+${codePoint.toString(16).toUpperCase()}`,
        );
        return true;
      }
      case T.PI:
        this.stack.push({ mode: 'attributes', element: 'processing instruction', secret: false });
        this.push('processing-instruction', start, reader.offset, 'PI: a processing instruction follows');
        return true;
      case T.LITERAL:
        return this.literal(start, inAttributes);
      default:
        if (EXTENSION_TOKENS.has(token))
          throw new Unreadable(`extension token ${hex2(token)} (not used here)`);
        return false;
    }
  }

  private end(start: number, frame: Frame | undefined): void {
    if (!frame) throw new Unreadable('END with no open element');
    this.stack.pop();
    this.attribute = undefined;
    const what = frame.mode === 'attributes' ? `the attributes of ${frame.element}` : frame.element;
    this.push('end', start, start + 1, `END of ${what}`);
  }

  private inlineString(start: number, frame: Frame | undefined): boolean {
    const from = this.reader.offset;
    const end = this.terminator(this.bytes, from);
    if (end < 0) throw new Unreadable('an inline string (STR_I) has no terminator');
    this.reader.offset = end + this.nulWidth;
    const text = this.shown(frame, this.text(this.bytes.subarray(from, end)));
    this.push('string', start, this.reader.offset, `STR_I: "${text}"`);
    return true;
  }

  /** A secret parm's value is masked as the preview's XML masks it (versions.ts maskDocumentSecrets). */
  private shown(frame: Frame | undefined, text: string): string {
    return frame?.secret && this.attribute?.toLowerCase() === 'value' ? MASK : text;
  }

  private opaque(start: number, frame: Frame | undefined): boolean {
    const length = this.reader.uintvar('an OPAQUE length');
    const data = this.reader.take(length, 'OPAQUE data');
    const datetime =
      this.attribute !== undefined && this.vocabulary!.datetimeAttributes.has(this.attribute)
        ? unpackDatetime(data)
        : undefined;
    const meaning = datetime
      ? `OPAQUE: ${length} octets, %Datetime ${datetime} (§8.3)`
      : `OPAQUE: ${length} octets, "${this.shown(frame, this.text(data))}"`;
    this.push('opaque', start, this.reader.offset, meaning);
    return true;
  }

  private literal(start: number, inAttributes: boolean): boolean {
    if (!inAttributes) return false; // LITERAL as a tag: tag() reads it with its flags
    const index = this.reader.uintvar('a LITERAL offset');
    this.attribute = this.tableString(index);
    this.push(
      'literal',
      start,
      this.reader.offset,
      `LITERAL: attribute ${this.attribute}= (string table at ${index})`,
    );
    return true;
  }

  /** docs/protocol.md §1.4: identity in the low six bits, 0x40 content follows, 0x80 attributes follow. */
  private tag(token: number, start: number): void {
    const literal = (token & T.TAG_IDENTITY_MASK) === T.LITERAL;
    let name: string;
    if (literal) {
      const index = this.reader.uintvar('a LITERAL offset');
      name = this.tableString(index);
    } else {
      const found = this.vocabulary!.tagNames.get(this.tagPage)?.[token & T.TAG_IDENTITY_MASK];
      if (found === undefined)
        throw new Unreadable(`tag token ${hex2(token)} is not on tag page ${this.tagPage}`);
      name = found;
    }
    const attributes = (token & T.TAG_HAS_ATTRIBUTES) !== 0;
    const content = (token & T.TAG_HAS_CONTENT) !== 0;
    if (content) this.stack.push({ mode: 'content', element: name, secret: false });
    if (attributes) this.stack.push({ mode: 'attributes', element: name, secret: false });
    const follows =
      attributes && content
        ? 'attributes and content follow'
        : attributes
          ? 'attributes follow'
          : content
            ? 'content follows'
            : 'empty';
    const where = literal ? 'literal' : `page ${this.tagPage}`;
    this.push('tag', start, this.reader.offset, `tag ${name} (${where}), ${follows}`);
  }

  /** docs/protocol.md §1.5: below 0x80 an ATTRSTART (name, maybe a value prefix), from 0x80 an ATTRVALUE. */
  private attributeToken(token: number, start: number, frame: Frame): void {
    if (token < T.FIRST_ATTRIBUTE_VALUE_TOKEN) {
      const found = this.vocabulary!.attributeStarts.get(this.attributePage)?.[token];
      if (!found)
        throw new Unreadable(`ATTRSTART ${hex2(token)} is not on attribute page ${this.attributePage}`);
      this.attribute = found.name;
      if (
        found.value !== undefined &&
        found.name.toLowerCase() === 'name' &&
        isDocumentSecretParm(found.value)
      )
        frame.secret = true;
      const value = found.value === undefined ? '' : `"${found.value}"`;
      this.push(
        'attribute-start',
        start,
        start + 1,
        `attribute ${found.name}=${value} (page ${this.attributePage})`,
      );
      return;
    }
    const fragment = this.vocabulary!.attributeValues.get(this.attributePage)?.[token];
    if (fragment === undefined)
      throw new Unreadable(`ATTRVALUE ${hex2(token)} is not on attribute page ${this.attributePage}`);
    this.push('attribute-value', start, start + 1, `value "${fragment}" (page ${this.attributePage})`);
  }
}

/**
 * The document's tokens in order. `fallback` reads a body whose public id names no vocabulary (Nokia OTA
 * sends 1, unknown: docs/protocol.md §7), as decodeWbxml's option does.
 */
export function dumpWbxml(bytes: Uint8Array, fallback?: Vocabulary): WbxmlDump {
  return new DumpWalker(bytes, fallback).dump();
}

/** Octets as the dump shows them: upper-case hex pairs split by spaces. */
export function spacedHex(octets: Uint8Array): string {
  return Array.from(octets, (octet) => octet.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
