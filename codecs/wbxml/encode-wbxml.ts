import { ByteWriter, UTF8_WRITTEN, uintvarLength } from '../bytes/writer.ts';
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
  header.uintvar(table.writer.size);
  return ByteWriter.concat(header, table.writer, body.writer);
}

class BodyEncoder {
  /** Set for the 'auto' dry run: how often each inline string occurs. */
  counts: Map<string, number> | undefined;
  private tagPage = 0;
  private attributePage = 0;

  constructor(
    readonly writer: ByteWriter,
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
    const writer = this.writer;
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
        writer.u8(SWITCH_PAGE).u8(tag.page);
        this.tagPage = tag.page;
      }
      writer.u8(tag.token | flags);
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
      writer.u8(LITERAL | flags).uintvar(this.table.add(element.name));
    }

    if (flags & TAG_HAS_ATTRIBUTES) {
      this.attributes(element);
      writer.u8(END);
    }
    if (hasContent) {
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        if (typeof child === 'string') {
          if (child !== '') this.string(child, element);
        } else this.element(child, depth + 1);
      }
      writer.u8(END);
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
      this.writer.u8(LITERAL).uintvar(this.table.add(name));
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
      this.writer.u8(OPAQUE).uintvar(octets.length).bytes(octets);
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
      this.writer.u8(SWITCH_PAGE).u8(token.page);
      this.attributePage = token.page;
    }
    this.writer.u8(token.token);
  }

  /** An inline string (STR_I) or a string-table reference (STR_T). */
  private string(text: string, element: XmlElement): void {
    if (this.counts) this.counts.set(text, (this.counts.get(text) ?? 0) + 1);
    const offset = this.tableStrings?.get(text);
    if (offset !== undefined) {
      this.writer.u8(STR_T).uintvar(offset);
      return;
    }
    this.writer.u8(STR_I);
    const refused = this.writer.utf8(text);
    if (refused !== UTF8_WRITTEN)
      throw unwritableCharacter(refused, `a string in <${element.name}>`, element.line);
    this.writer.u8(0);
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
    const length = Buffer.byteLength(text, 'utf8');
    const inlineCost = count * (length + 2); // STR_I + octets + NUL
    const offset = table.writer.size;
    // one copy + NUL, then STR_T + offset at every use
    const tableCost = length + 1 + count * (1 + uintvarLength(offset));
    if (tableCost < inlineCost) chosen.set(text, table.add(text));
  }
  return chosen;
}

/** The string table being built: NUL-terminated UTF-8 strings, referenced by byte offset (docs/protocol.md §1.1). */
class StringTable {
  private readonly offsets = new Map<string, number>();

  constructor(readonly writer: ByteWriter = new ByteWriter(64)) {}

  add(text: string): number {
    let offset = this.offsets.get(text);
    if (offset === undefined) {
      offset = this.writer.size;
      const refused = this.writer.utf8(text);
      if (refused !== UTF8_WRITTEN) throw unwritableCharacter(refused, `the name or string "${text}"`);
      this.writer.u8(0);
      this.offsets.set(text, offset);
    }
    return offset;
  }
}

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

/**
 * Output buffers reused across calls (encoding is synchronous and never re-entered), so a push costs one
 * allocation: the returned bytes.
 */
const scratch = { header: new ByteWriter(16), table: new ByteWriter(256), body: new ByteWriter(4096) };
