/**
 * SyncML element trees to and from WBXML, with the tag tables of codecs/wbxml/vocabularies/syncml.ts.
 * Not the generic codecs/wbxml codec: SyncML puts binary OPAQUE in Data (which the generic decoder
 * turns into text or refuses) and chooses the code page by element, not by namespace attribute
 * (docs/protocol-dm.md §5.5).
 */
import { ByteReader } from '../bytes/reader.ts';
import { ByteWriter, UTF8_WRITTEN } from '../bytes/writer.ts';
import { CodecError } from '../errors.ts';
import {
  CHARSET_ISO_8859_1,
  CHARSET_UNKNOWN,
  CHARSET_US_ASCII,
  CHARSET_UTF_8,
  END,
  ENTITY,
  LITERAL,
  LITERAL_AC,
  LITERAL_C,
  LITERAL_A,
  MAX_WBXML_DEPTH,
  OPAQUE,
  PUBLIC_ID_IN_STRING_TABLE,
  STR_I,
  STR_T,
  SWITCH_PAGE,
  TAG_HAS_ATTRIBUTES,
  TAG_HAS_CONTENT,
  TAG_IDENTITY_MASK,
  WBXML_VERSION_1_0,
  WBXML_VERSION_1_3,
} from '../wbxml/tokens.ts';
import { syncMlTagPages } from '../wbxml/vocabularies/syncml.ts';
import { SYNCML_1_1_FPI, SYNCML_1_1_PUBLIC_ID, SYNCML_1_2_FPI, SYNCML_1_2_PUBLIC_ID } from './constants.ts';
import { isNode } from './tree.ts';
import type { SyncMlContent, SyncMlNode } from './tree.ts';

/** WBXML 1.2, the version libdmclient and libwbxml write for SyncML 1.2 (docs/protocol-dm.md §5.2). */
const WBXML_VERSION_1_2 = 0x02;
/** Public id 1: "unknown"; accepted as SyncML since the root element says what the document is. */
const UNKNOWN_PUBLIC_ID = 0x01;
const SYNCML_PUBLIC_IDS: ReadonlySet<number | string> = new Set([
  SYNCML_1_2_PUBLIC_ID,
  SYNCML_1_1_PUBLIC_ID,
  SYNCML_1_2_FPI,
  SYNCML_1_1_FPI,
  UNKNOWN_PUBLIC_ID,
]);

interface PagedToken {
  page: number;
  token: number;
}

/** name -> token, and page -> token -> name, built once from the tables. */
const tokenOf = new Map<string, PagedToken>();
const nameOf = new Map<number, Map<number, string>>();
for (const [page, table] of Object.entries(syncMlTagPages)) {
  const byToken = new Map<number, string>();
  for (const [token, name] of Object.entries(table)) {
    tokenOf.set(name, { page: Number(page), token: Number(token) });
    byToken.set(Number(token), name);
  }
  nameOf.set(Number(page), byToken);
}

export interface EncodeSyncMlTreeOptions {
  /** `1.1` sends the SyncML 1.1 public id (0x0FD3); anything else SyncML 1.2 (0x1201). */
  verDtd?: string;
  /**
   * Send the public id as its FPI text through the string table (`00 00`, table
   * "-//SYNCML//DTD SyncML 1.2//EN") instead of the number libdmclient and libwbxml send
   * (docs/protocol-dm.md §5.2, §5.5). For a handset that wants the text form.
   */
  publicIdAsString?: boolean;
}

/** A tree as WBXML: version 1.2, the SyncML public id, UTF-8 (docs/protocol-dm.md §5.2). */
export function encodeSyncMlTree(root: SyncMlNode, options: EncodeSyncMlTreeOptions = {}): Uint8Array {
  const writer = new ByteWriter(1024);
  const v11 = options.verDtd === '1.1';
  writer.u8(WBXML_VERSION_1_2);
  if (options.publicIdAsString) {
    const fpi = Buffer.from(`${v11 ? SYNCML_1_1_FPI : SYNCML_1_2_FPI}\0`, 'latin1');
    // public id 0 = "in the string table at offset 0"; the table holds only the FPI
    writer.u8(PUBLIC_ID_IN_STRING_TABLE).uintvar(0).uintvar(CHARSET_UTF_8).uintvar(fpi.length).bytes(fpi);
  } else {
    writer
      .uintvar(v11 ? SYNCML_1_1_PUBLIC_ID : SYNCML_1_2_PUBLIC_ID)
      .uintvar(CHARSET_UTF_8)
      .u8(0);
  }
  const state = { page: 0 };
  encodeNode(writer, root, state, 0);
  return writer.toBytes();
}

function encodeNode(writer: ByteWriter, element: SyncMlNode, state: { page: number }, depth: number): void {
  if (depth >= MAX_WBXML_DEPTH) {
    throw new CodecError('WBXML_TOO_DEEP', `elements nest deeper than ${MAX_WBXML_DEPTH}`);
  }
  const tag = tokenOf.get(element.name);
  if (!tag) throw new CodecError('WBXML_UNKNOWN_ELEMENT', `<${element.name}> has no SyncML/MetInf token`);
  // Switch lazily, just before a tag of the other page (libdmclient and libwbxml, §5.5).
  if (tag.page !== state.page) {
    writer.u8(SWITCH_PAGE).u8(tag.page);
    state.page = tag.page;
  }
  const children = element.children;
  if (children.length === 0) {
    writer.u8(tag.token);
    return;
  }
  writer.u8(tag.token | TAG_HAS_CONTENT);
  for (const child of children) {
    if (isNode(child)) encodeNode(writer, child, state, depth + 1);
    else if (child instanceof Uint8Array) writer.u8(OPAQUE).uintvar(child.length).bytes(child);
    else if (element.opaque) {
      const octets = Buffer.from(child, 'utf8');
      writer.u8(OPAQUE).uintvar(octets.length).bytes(octets);
    } else writeInlineString(writer, child, element.name);
  }
  writer.u8(END);
}

function writeInlineString(writer: ByteWriter, text: string, where: string): void {
  writer.u8(STR_I);
  const refused = writer.utf8(text);
  if (refused !== UTF8_WRITTEN) {
    throw new CodecError(
      refused === 0 ? 'WBXML_NUL_IN_STRING' : 'WBXML_INVALID_STRING',
      `the text of <${where}> holds U+${refused.toString(16).toUpperCase().padStart(4, '0')}, which an inline string cannot carry`,
    );
  }
  writer.u8(0);
}

/** The header fields a decoder reports. */
export interface DecodedSyncMlTree {
  root: SyncMlNode;
  /** 0x1201, 0x0FD3, 1, or the FPI text sent through the string table. */
  publicId: number | string;
}

/**
 * WBXML to a tree. Every malformed input throws CodecError: TRUNCATED, WBXML_UNSUPPORTED_VERSION,
 * WBXML_UNKNOWN_PUBLIC_ID, WBXML_UNSUPPORTED_CHARSET, WBXML_UNKNOWN_TOKEN, WBXML_UNEXPECTED_TOKEN,
 * WBXML_BAD_STRING_REFERENCE, WBXML_INVALID_STRING, WBXML_INVALID_ENTITY, WBXML_TOO_DEEP,
 * WBXML_TRAILING_BYTES, UINTVAR_*.
 */
export function decodeSyncMlTree(bytes: Uint8Array): DecodedSyncMlTree {
  const reader = new ByteReader(bytes);
  const version = reader.u8('the WBXML version');
  if (version > WBXML_VERSION_1_3) {
    throw new CodecError('WBXML_UNSUPPORTED_VERSION', `WBXML version octet ${version} is not 1.0–1.3`, 0);
  }
  const publicIdOffset = reader.offset;
  const publicIdNumber = reader.uintvar('the public id');
  const publicIdIndex =
    publicIdNumber === PUBLIC_ID_IN_STRING_TABLE ? reader.uintvar('the public id string offset') : -1;
  const charsetOffset = reader.offset;
  const charset = version === WBXML_VERSION_1_0 ? CHARSET_UNKNOWN : reader.uintvar('the charset');
  if (![CHARSET_UNKNOWN, CHARSET_UTF_8, CHARSET_US_ASCII, CHARSET_ISO_8859_1].includes(charset)) {
    throw new CodecError(
      'WBXML_UNSUPPORTED_CHARSET',
      `charset MIBenum ${charset} is not supported`,
      charsetOffset,
    );
  }
  const tableLength = reader.uintvar('the string table length');
  const strings = new StringTable(
    reader.take(tableLength, 'the string table'),
    reader.offset - tableLength,
    charset,
  );
  const publicId = publicIdIndex >= 0 ? strings.at(publicIdIndex, publicIdOffset).trim() : publicIdNumber;
  if (!SYNCML_PUBLIC_IDS.has(publicId)) {
    throw new CodecError(
      'WBXML_UNKNOWN_PUBLIC_ID',
      `public id ${typeof publicId === 'number' ? `0x${publicId.toString(16)}` : `"${publicId}"`} is not SyncML 1.1/1.2`,
      publicIdOffset,
    );
  }
  const decoder = new TreeDecoder(reader, strings, charset);
  const root = decoder.document();
  return { root, publicId };
}

class StringTable {
  constructor(
    private readonly table: Uint8Array,
    private readonly tableOffset: number,
    private readonly charset: number,
  ) {}

  at(index: number, tokenOffset: number): string {
    const end = index < this.table.length ? this.table.indexOf(0, index) : -1;
    if (end < 0) {
      throw new CodecError(
        'WBXML_BAD_STRING_REFERENCE',
        `string table reference ${index} is not the start of a terminated string`,
        tokenOffset,
      );
    }
    return decodeText(this.table.subarray(index, end), this.charset, this.tableOffset + index);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Short ASCII strings (nearly every SyncML value) skip TextDecoder's per-call overhead. */
const ASCII_FAST_PATH_LIMIT = 256;

function asciiOrUndefined(octets: Uint8Array): string | undefined {
  if (octets.length > ASCII_FAST_PATH_LIMIT) return undefined;
  for (let i = 0; i < octets.length; i++) if (octets[i] >= 0x80) return undefined;
  return String.fromCharCode.apply(null, octets as unknown as number[]);
}

function decodeText(octets: Uint8Array, charset: number, offset: number): string {
  const ascii = asciiOrUndefined(octets);
  if (ascii !== undefined) return ascii;
  if (charset === CHARSET_ISO_8859_1) return Buffer.from(octets).toString('latin1');
  if (charset === CHARSET_US_ASCII && octets.some((octet) => octet >= 0x80)) {
    throw new CodecError('WBXML_INVALID_STRING', 'a string is not US-ASCII', offset);
  }
  try {
    return strictUtf8.decode(octets);
  } catch {
    throw new CodecError('WBXML_INVALID_STRING', 'a string is not valid UTF-8', offset);
  }
}

class TreeDecoder {
  private page = 0;

  constructor(
    private readonly reader: ByteReader,
    private readonly strings: StringTable,
    private readonly charset: number,
  ) {}

  /** body = SWITCH_PAGE? element, nothing after it (SyncML documents carry no PI). */
  document(): SyncMlNode {
    const reader = this.reader;
    let offset = reader.offset;
    let token = reader.u8('the root element');
    while (token === SWITCH_PAGE) {
      this.page = reader.u8('a code page number');
      offset = reader.offset;
      token = reader.u8('the root element');
    }
    const root = this.element(token, offset, 1);
    if (!reader.atEnd) {
      throw new CodecError('WBXML_TRAILING_BYTES', 'bytes follow the end of the root element', reader.offset);
    }
    return root;
  }

  private element(token: number, offset: number, depth: number): SyncMlNode {
    if (depth > MAX_WBXML_DEPTH) {
      throw new CodecError('WBXML_TOO_DEEP', `elements nest deeper than ${MAX_WBXML_DEPTH}`, offset);
    }
    if (token & TAG_HAS_ATTRIBUTES) {
      throw new CodecError('WBXML_UNEXPECTED_TOKEN', 'SyncML elements carry no attributes', offset);
    }
    const element: SyncMlNode = { name: this.tagName(token, offset), children: [] };
    if (token & TAG_HAS_CONTENT) this.content(element, depth);
    return element;
  }

  private tagName(token: number, offset: number): string {
    if (token === LITERAL || token === LITERAL_C) {
      return this.strings.at(this.reader.uintvar('a LITERAL offset'), offset);
    }
    if (token === LITERAL_A || token === LITERAL_AC || (token & TAG_IDENTITY_MASK) < 0x05) {
      throw new CodecError('WBXML_UNEXPECTED_TOKEN', `token 0x${hex(token)} cannot stand as a tag`, offset);
    }
    const name = nameOf.get(this.page)?.get(token & TAG_IDENTITY_MASK);
    if (name === undefined) {
      throw new CodecError(
        'WBXML_UNKNOWN_TOKEN',
        `tag token 0x${hex(token)} is not on SyncML code page ${this.page}`,
        offset,
      );
    }
    return name;
  }

  private content(element: SyncMlNode, depth: number): void {
    const reader = this.reader;
    const children: SyncMlContent[] = element.children;
    for (;;) {
      const offset = reader.offset;
      const token = reader.u8('element content (missing END?)');
      if (token === END) return;
      if (token === SWITCH_PAGE) this.page = reader.u8('a code page number');
      else if (token === STR_I) appendText(children, this.inlineString());
      else if (token === STR_T)
        appendText(children, this.strings.at(reader.uintvar('a STR_T offset'), offset));
      else if (token === ENTITY) appendText(children, this.entity(offset));
      else if (token === OPAQUE) {
        const length = reader.uintvar('an OPAQUE length');
        children.push(reader.take(length, 'OPAQUE data'));
      } else children.push(this.element(token, offset, depth + 1));
    }
  }

  private inlineString(): string {
    const reader = this.reader;
    const start = reader.offset;
    const raw = reader.cstringBytes('an inline string (STR_I)');
    return decodeText(raw, this.charset, start);
  }

  private entity(offset: number): string {
    const codePoint = this.reader.uintvar('an ENTITY code point');
    if (codePoint === 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
      throw new CodecError('WBXML_INVALID_ENTITY', `ENTITY ${codePoint} is not a character`, offset);
    }
    return String.fromCodePoint(codePoint);
  }
}

/** Adjacent text pieces form one string. */
function appendText(children: SyncMlContent[], text: string): void {
  const last = children.length - 1;
  if (last >= 0 && typeof children[last] === 'string') children[last] += text;
  else children.push(text);
}

const hex = (value: number): string => value.toString(16).toUpperCase().padStart(2, '0');
