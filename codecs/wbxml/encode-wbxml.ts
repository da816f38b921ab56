import { CodecError } from '../errors.ts';
import { isWrittenWithEndTag } from '../xml/element.ts';
import type { XmlElement } from '../xml/element.ts';
import { compileVocabulary, pickToken } from './compiled-vocabulary.ts';
import type { CompiledVocabulary, PagedToken } from './compiled-vocabulary.ts';
import { packDatetime } from './datetime.ts';
import {
  CHARSET_UTF_8,
  END,
  LITERAL,
  MAX_WBXML_DEPTH,
  OPAQUE,
  PUBLIC_ID_IN_STRING_TABLE,
  STR_I,
  STR_T,
  SWITCH_PAGE,
  TAG_HAS_ATTRIBUTES,
  TAG_HAS_CONTENT,
  WBXML_VERSION_1_0,
} from './tokens.ts';
import type { Vocabulary } from './vocabulary.ts';

export interface EncodeWbxmlOptions {
  /**
   * 'none' (default): every string inline (STR_I) — what most gateways send.
   * 'auto': a string goes into the string table (STR_T) only when that saves bytes (it repeats).
   * string[]: exactly these strings, in this order, form the table; every string equal to one of them
   * is sent as STR_T (e.g. ['NAP1'] reproduces the ProvCont Appendix C sample).
   */
  stringTable?: 'none' | 'auto' | readonly string[];
  /** Send the public id as FPI text through the string table (publicid 0 + offset), not as the number. */
  publicIdAsString?: boolean;
  /**
   * 'reject' (default): an element or attribute the vocabulary has no token for throws
   * CodecError('WBXML_UNKNOWN_ELEMENT' | 'WBXML_UNKNOWN_ATTRIBUTE'); 'allow': it is sent as LITERAL*.
   */
  literals?: 'reject' | 'allow';
}

/**
 * Encodes an element tree as WBXML with a vocabulary (docs/protocol.md §1; tables §2, §7, §8).
 *
 * Header: the vocabulary's version octet, its public id, charset UTF-8 (0x6A), the string table.
 * Tags: the token on the current tag page when the name has one there, else switch pages (OMA CP's
 * characteristic/parm exist on both pages, so its tag page never switches). An element gets the content
 * bit only when it has children (`86 5B 01`), or when it was written `<x></x>` (`C6 5B 01 01`; see
 * markWrittenWithEndTag in codecs/xml/element.ts).
 * Attributes: the value-carrying ATTRSTART that matches (exactly, or as the longest prefix where the
 * vocabulary says so), else the bare `name=`; the rest of the value as ATTRVALUE tokens (whole value or
 * substrings, per vocabulary) and inline strings; %Datetime attributes as OPAQUE (docs/protocol.md §8.3).
 * Attribute code page: "switch and stay" — SWITCH_PAGE only when the needed token is not on the current
 * page, and the page then persists across elements (docs/protocol.md §1.6, §2.5). A value token that exists only
 * on another page (OMA CP IPV4 while on page 1) is sent by switching, not as a string: it is shorter and
 * every handset knows page-0 IPV4.
 */
export function encodeWbxml(
  root: XmlElement,
  vocabulary: Vocabulary,
  options: EncodeWbxmlOptions = {},
): Uint8Array {
  const compiled = compileVocabulary(vocabulary);
  const table = new StringTable(scratch.table.reset());
  const tableOption = options.stringTable ?? 'none';
  let tableStrings: Map<string, number> | undefined;

  if (Array.isArray(tableOption)) {
    tableStrings = new Map();
    for (const text of tableOption as readonly string[]) tableStrings.set(text, table.add(text));
  } else if (tableOption === 'auto') {
    const dryRun = new BodyEncoder(
      scratch.body.reset(),
      compiled,
      options.literals,
      undefined,
      new StringTable(),
    );
    dryRun.counts = new Map();
    dryRun.element(root, 0);
    tableStrings = chooseTableStrings(dryRun.counts, table);
  } else if (tableOption !== 'none') {
    throw new CodecError('WBXML_BAD_OPTION', `unknown stringTable option: ${String(tableOption)}`);
  }

  let publicIdOffset = -1;
  if (options.publicIdAsString) {
    const fpi = vocabulary.formalPublicId;
    if (!fpi) {
      throw new CodecError(
        'WBXML_NO_FORMAL_PUBLIC_ID',
        `${vocabulary.name} has no FPI text to send as public id`,
      );
    }
    publicIdOffset = table.add(fpi);
  }

  const body = new BodyEncoder(scratch.body.reset(), compiled, options.literals, tableStrings, table);
  body.element(root, 0);

  const header = scratch.header.reset();
  header.u8(vocabulary.wbxmlVersion);
  if (publicIdOffset >= 0) header.u8(PUBLIC_ID_IN_STRING_TABLE).uintvar(publicIdOffset);
  else header.uintvar(vocabulary.publicId);
  if (vocabulary.wbxmlVersion !== WBXML_VERSION_1_0) header.uintvar(CHARSET_UTF_8);
  header.uintvar(table.sink.length);
  return Sink.concat(header, table.sink, body.sink);
}

class BodyEncoder {
  /** Set for the 'auto' dry run: how often each inline string occurs. */
  counts: Map<string, number> | undefined;
  private tagPage = 0;
  private attributePage = 0;

  constructor(
    readonly sink: Sink,
    private readonly compiled: CompiledVocabulary,
    private readonly literals: 'reject' | 'allow' | undefined,
    private readonly tableStrings: Map<string, number> | undefined,
    private readonly table: StringTable,
  ) {}

  element(element: XmlElement, depth: number): void {
    if (depth >= MAX_WBXML_DEPTH) {
      throw new CodecError(
        'WBXML_TOO_DEEP',
        `elements nest deeper than ${MAX_WBXML_DEPTH}`,
        -1,
        element.line,
      );
    }
    const sink = this.sink;
    const children = element.children;
    // `<x></x>` keeps its content flag (`C6 5B 01 01`), `<x/>` and code-built trees get none (`86 5B 01`).
    let hasContent = children.length === 0 && isWrittenWithEndTag(element);
    for (let i = 0; i < children.length; i++) {
      if (children[i] !== '') {
        hasContent = true;
        break;
      }
    }
    const flags =
      (element.attributes.length > 0 ? TAG_HAS_ATTRIBUTES : 0) | (hasContent ? TAG_HAS_CONTENT : 0);

    const candidates = this.compiled.tagTokens.get(element.name);
    if (candidates) {
      const tag = pickToken(candidates, this.tagPage);
      if (tag.page !== this.tagPage) {
        sink.u8(SWITCH_PAGE).u8(tag.page);
        this.tagPage = tag.page;
      }
      sink.u8(tag.token | flags);
    } else {
      if (this.literals !== 'allow') {
        throw new CodecError(
          'WBXML_UNKNOWN_ELEMENT',
          `element <${element.name}> has no token in ${this.compiled.vocabulary.name}`,
          -1,
          element.line,
        );
      }
      // LITERAL, LITERAL_C, LITERAL_A, LITERAL_AC differ by the same two bits as tags (docs/protocol.md §1.3).
      sink.u8(LITERAL | flags).uintvar(this.table.add(element.name));
    }

    if (flags & TAG_HAS_ATTRIBUTES) {
      this.attributes(element);
      sink.u8(END);
    }
    if (hasContent) {
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        if (typeof child === 'string') {
          if (child !== '') this.string(child, element);
        } else this.element(child, depth + 1);
      }
      sink.u8(END);
    }
  }

  private attributes(element: XmlElement): void {
    const compiled = this.compiled;
    const attributes = element.attributes;
    // docs/protocol.md §10 #2: the value of e.g. <parm name="AAUTHTYPE" value="…"/> always goes as a string.
    let stringOnlyAttribute: string | undefined;
    const stringOnly = compiled.vocabulary.stringOnlyValues;
    if (stringOnly && compiled.stringOnlyNames.size > 0) {
      for (let i = 0; i < attributes.length; i++) {
        if (attributes[i][0] === stringOnly.nameAttribute && compiled.stringOnlyNames.has(attributes[i][1])) {
          stringOnlyAttribute = stringOnly.valueAttribute;
        }
      }
    }
    for (let i = 0; i < attributes.length; i++) {
      const [name, value] = attributes[i];
      this.attribute(element, name, value, name === stringOnlyAttribute);
    }
  }

  private attribute(element: XmlElement, name: string, value: string, stringOnly: boolean): void {
    const compiled = this.compiled;
    const tokens = compiled.attributeNames.get(name);
    let start: PagedToken | undefined;
    let rest = value;
    if (tokens) {
      const exact = tokens.exact.get(value);
      if (exact) {
        start = pickToken(exact, this.attributePage);
        rest = '';
      } else if (compiled.vocabulary.attributeStartMatch === 'prefix') {
        const prefixes = tokens.prefixes;
        for (let i = 0; i < prefixes.length; i++) {
          const prefix = prefixes[i].prefix;
          if (value.startsWith(prefix)) {
            start = pickToken(prefixes[i].tokens, this.attributePage);
            rest = value.slice(prefix.length);
            break;
          }
        }
      } else if (tokens.bare) start = pickToken(tokens.bare, this.attributePage);
    }

    if (start) this.attributeToken(start);
    else {
      if (this.literals !== 'allow') {
        throw new CodecError(
          'WBXML_UNKNOWN_ATTRIBUTE',
          `attribute ${name}="${value}" of <${element.name}> has no token in ${compiled.vocabulary.name}`,
          -1,
          element.line,
        );
      }
      this.sink.u8(LITERAL).uintvar(this.table.add(name));
    }
    if (rest === '') return;

    if (tokens ? tokens.datetime : compiled.datetimeAttributes.has(name)) {
      const octets = packDatetime(rest);
      if (!octets) {
        throw new CodecError(
          'WBXML_INVALID_DATETIME',
          `${name}="${rest}" of <${element.name}> is not a %Datetime YYYY-MM-DDThh:mm:ssZ`,
          -1,
          element.line,
        );
      }
      this.sink.u8(OPAQUE).uintvar(octets.length).append(octets);
    } else if (stringOnly) this.string(rest, element);
    else if (compiled.vocabulary.attributeValueMatch === 'whole') {
      const tokens = compiled.wholeValues.get(rest);
      if (tokens) this.attributeToken(pickToken(tokens, this.attributePage));
      else this.string(rest, element);
    } else this.valueWithFragments(rest, element);
  }

  /** Value text with ATTRVALUE tokens wherever their text occurs (SI/SL `.com/`, docs/protocol.md §8.1). */
  private valueWithFragments(value: string, element: XmlElement): void {
    const { valueFragments, fragmentFirstChars } = this.compiled;
    let pending = 0;
    let i = 0;
    while (i < value.length) {
      let matched = false;
      if (fragmentFirstChars.has(value.charCodeAt(i))) {
        for (let f = 0; f < valueFragments.length; f++) {
          const fragment = valueFragments[f];
          if (value.startsWith(fragment.text, i)) {
            if (i > pending) this.string(value.slice(pending, i), element);
            this.attributeToken(fragment.token);
            i += fragment.text.length;
            pending = i;
            matched = true;
            break;
          }
        }
      }
      if (!matched) i++;
    }
    if (pending < value.length) this.string(value.slice(pending), element);
  }

  private attributeToken(token: PagedToken): void {
    if (token.page !== this.attributePage) {
      this.sink.u8(SWITCH_PAGE).u8(token.page);
      this.attributePage = token.page;
    }
    this.sink.u8(token.token);
  }

  /** An inline string (STR_I) or a string-table reference (STR_T). */
  private string(text: string, element: XmlElement): void {
    if (this.counts) this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
    const offset = this.tableStrings?.get(text);
    if (offset !== undefined) {
      this.sink.u8(STR_T).uintvar(offset);
      return;
    }
    this.sink.u8(STR_I);
    const refused = this.sink.utf8(text);
    if (refused !== UTF8_OK)
      throw unwritableCharacter(refused, `a string in <${element.name}>`, element.line);
    this.sink.u8(0);
  }
}

/**
 * Picks, in order of first occurrence, the strings whose STR_T references plus one table copy are
 * shorter than sending them inline every time, and adds them to the table.
 */
function chooseTableStrings(counts: Map<string, number>, table: StringTable): Map<string, number> {
  const chosen = new Map<string, number>();
  for (const [text, count] of counts) {
    if (count < 2) continue;
    const length = utf8Length(text);
    const inlineCost = count * (length + 2); // STR_I + octets + NUL
    const offset = table.sink.length;
    // one copy + NUL, then STR_T + offset at every use
    const tableCost = length + 1 + count * (1 + uintvarLength(offset));
    if (tableCost < inlineCost) chosen.set(text, table.add(text));
  }
  return chosen;
}

/** The string table being built: NUL-terminated UTF-8 strings, referenced by byte offset (docs/protocol.md §1.1). */
class StringTable {
  private readonly offsets = new Map<string, number>();

  constructor(readonly sink: Sink = new Sink(64)) {}

  add(text: string): number {
    let offset = this.offsets.get(text);
    if (offset === undefined) {
      offset = this.sink.length;
      const refused = this.sink.utf8(text);
      if (refused !== UTF8_OK) throw unwritableCharacter(refused, `the name or string "${text}"`);
      this.sink.u8(0);
      this.offsets.set(text, offset);
    }
    return offset;
  }
}

/** Growable output buffer with an allocation-free UTF-8 writer (the encoder's hot path). */
class Sink {
  private buffer: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(capacity);
  }

  private grow(extra: number): void {
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): this {
    if (this.length === this.buffer.length) this.grow(1);
    this.buffer[this.length++] = value;
    return this;
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  /** mb_u_int32 (docs/protocol.md §1.2). */
  uintvar(value: number): this {
    if (value < 0x80) return this.u8(value);
    for (let shift = 28; shift > 0; shift -= 7) {
      if (value >= 2 ** shift) this.u8(((value / 2 ** shift) & 0x7f) | 0x80);
    }
    return this.u8(value & 0x7f);
  }

  append(bytes: Uint8Array): this {
    if (this.length + bytes.length > this.buffer.length) this.grow(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /**
   * Writes text as UTF-8 without a terminator. Returns UTF8_OK, or the code unit it refused — U+0000
   * (it would end the string early) or an unpaired surrogate (UTF-8 cannot carry it) — having then
   * written nothing.
   */
  utf8(text: string): number {
    if (this.length + text.length * 3 > this.buffer.length) this.grow(text.length * 3);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        if (code === 0) return code;
        buffer[at++] = code;
      } else if (code < 0x800) {
        buffer[at++] = 0xc0 | (code >> 6);
        buffer[at++] = 0x80 | (code & 0x3f);
      } else {
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
          const low = text.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            i++;
            buffer[at++] = 0xf0 | (code >> 18);
            buffer[at++] = 0x80 | ((code >> 12) & 0x3f);
            buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
            buffer[at++] = 0x80 | (code & 0x3f);
            continue;
          }
        }
        if (code >= 0xd800 && code <= 0xdfff) return code;
        buffer[at++] = 0xe0 | (code >> 12);
        buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
        buffer[at++] = 0x80 | (code & 0x3f);
      }
    }
    this.length = at;
    return UTF8_OK;
  }

  static concat(...parts: Sink[]): Uint8Array {
    let total = 0;
    for (const part of parts) total += part.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bytes.set(part.buffer.subarray(0, part.length), at);
      at += part.length;
    }
    return bytes;
  }
}

const UTF8_OK = -1;

function unwritableCharacter(code: number, where: string, line?: number): CodecError {
  const character = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code === 0
    ? new CodecError(
        'WBXML_NUL_IN_STRING',
        `${where} contains U+0000, which WBXML strings cannot carry`,
        -1,
        line,
      )
    : new CodecError(
        'WBXML_INVALID_STRING',
        `${where} contains an unpaired surrogate ${character}`,
        -1,
        line,
      );
}

function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

function uintvarLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/**
 * Output buffers reused across calls (encoding is synchronous and never re-entered), so a push costs one
 * allocation: the returned bytes.
 */
const scratch = { header: new Sink(16), table: new Sink(256), body: new Sink(4096) };
