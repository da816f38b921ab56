/** WBXML global tokens, valid in every code page and in tag and attribute state (docs/protocol.md §1.3). */
export const SWITCH_PAGE = 0x00;
export const END = 0x01;
export const ENTITY = 0x02;
export const STR_I = 0x03;
export const LITERAL = 0x04;
export const EXT_I_0 = 0x40;
export const EXT_I_1 = 0x41;
export const EXT_I_2 = 0x42;
export const PI = 0x43;
export const LITERAL_C = 0x44;
export const EXT_T_0 = 0x80;
export const EXT_T_1 = 0x81;
export const EXT_T_2 = 0x82;
export const STR_T = 0x83;
export const LITERAL_A = 0x84;
export const EXT_0 = 0xc0;
export const EXT_1 = 0xc1;
export const EXT_2 = 0xc2;
export const OPAQUE = 0xc3;
export const LITERAL_AC = 0xc4;

/** Tag token bits (docs/protocol.md §1.4): low six bits = tag identity; 0x40 = content follows; 0x80 = attributes follow. */
export const TAG_IDENTITY_MASK = 0x3f;
export const TAG_HAS_CONTENT = 0x40;
export const TAG_HAS_ATTRIBUTES = 0x80;

/** Attribute tokens below this are ATTRSTART, at or above it ATTRVALUE (docs/protocol.md §1.5). */
export const FIRST_ATTRIBUTE_VALUE_TOKEN = 0x80;

/** Charsets by IANA MIBenum (docs/protocol.md §1.1). */
export const CHARSET_UNKNOWN = 0; // decoder falls back to UTF-8 (LW parse_charset)
export const CHARSET_US_ASCII = 3;
export const CHARSET_ISO_8859_1 = 4;
export const CHARSET_UTF_8 = 106; // encodes as the single octet 0x6A
export const CHARSET_UCS_2 = 1000;
export const CHARSET_UTF_16BE = 1013;
export const CHARSET_UTF_16LE = 1014;
export const CHARSET_UTF_16 = 1015;

/** WBXML version octet 0x00 = 1.0: its header has no charset field (docs/protocol.md §1.1). */
export const WBXML_VERSION_1_0 = 0x00;
/** Highest version this codec reads: 0x03 = WBXML 1.3. */
export const WBXML_VERSION_1_3 = 0x03;

/** Public id 0: "the FPI text is in the string table at the offset that follows" (docs/protocol.md §1.1, §10 #12). */
export const PUBLIC_ID_IN_STRING_TABLE = 0x00;

/** Nesting deeper than this is refused by encoder and decoder (no real document comes close; guards the stack). */
export const MAX_WBXML_DEPTH = 64;
