import type { DocumentType } from '../xml/document-type.ts';

/** token -> tag name, for one code page. Tag identities are 0x05–0x3F (docs/protocol.md §1.4). */
export type TagPage = Readonly<Record<number, string>>;

/** An ATTRSTART token: the attribute name, optionally with a fixed value prefix (docs/protocol.md §1.5). */
export interface AttributeStart {
  readonly name: string;
  /** The value (or, where the vocabulary matches prefixes, the value prefix) the token carries. */
  readonly value?: string;
}

/** token -> ATTRSTART, for one code page. ATTRSTART tokens are < 0x80 (docs/protocol.md §1.5). */
export type AttributeStartPage = Readonly<Record<number, AttributeStart>>;

/** token -> value fragment, for one code page. ATTRVALUE tokens are >= 0x80 (docs/protocol.md §1.5). */
export type AttributeValuePage = Readonly<Record<number, string>>;

/**
 * A WBXML vocabulary (a "language"): the token tables of one document type plus the few encoding
 * choices that differ between them. Data only — the encoder and the decoder both walk it.
 */
export interface Vocabulary {
  /** Human-readable name, e.g. 'OMA CP PROV 1.0'. */
  readonly name: string;
  readonly documentType: DocumentType;
  /** Name of the root element of every document of this type. */
  readonly rootElement: string;
  /** WBXML version octet the encoder emits: high nibble major−1, low nibble minor (docs/protocol.md §1.1). */
  readonly wbxmlVersion: number;
  /** Well-known public id the encoder emits (1 = unknown, docs/protocol.md §1.1). */
  readonly publicId: number;
  /** Formal public identifier (DOCTYPE FPI) text, for public ids sent through the string table. */
  readonly formalPublicId?: string;
  /** Tag tokens per code page (page number -> token -> name). */
  readonly tags: Readonly<Record<number, TagPage>>;
  /** ATTRSTART tokens per code page. */
  readonly attributeStarts: Readonly<Record<number, AttributeStartPage>>;
  /** ATTRVALUE tokens per code page. */
  readonly attributeValues: Readonly<Record<number, AttributeValuePage>>;
  /**
   * How an ATTRSTART that carries a value is matched when encoding:
   * 'exact' — only when the whole attribute value equals it (`name="NAPID"`; OMA CP, Nokia OTA);
   * 'prefix' — as a value prefix, longest first (`href="http://www."`; SI, SL, docs/protocol.md §8.1).
   */
  readonly attributeStartMatch: 'exact' | 'prefix';
  /**
   * How ATTRVALUE tokens are matched when encoding the rest of a value:
   * 'whole' — only when the whole rest equals a token (OMA CP, docs/protocol.md §2.4);
   * 'substring' — wherever the token text occurs (SI/SL `.com/`, docs/protocol.md §8.1).
   */
  readonly attributeValueMatch: 'whole' | 'substring';
  /** Attributes whose value is a %Datetime, carried as OPAQUE (docs/protocol.md §8.3). */
  readonly datetimeAttributes: readonly string[];
  /** Tokens the decoder understands but the encoder never emits (docs/protocol.md §10 #2). */
  readonly decodeOnly?: {
    readonly attributeValues?: Readonly<Record<number, readonly number[]>>;
  };
  /**
   * Elements naming themselves through `nameAttribute` whose `valueAttribute` is always sent as a string,
   * never as tokens (docs/protocol.md §10 #2: AAUTHTYPE, so handsets built against either token numbering parse it).
   */
  readonly stringOnlyValues?: {
    readonly nameAttribute: string;
    readonly valueAttribute: string;
    readonly names: readonly string[];
  };
}
