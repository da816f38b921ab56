/**
 * SyncML DM 1.2 constants: content types, namespaces, public ids, alert and status codes
 * (docs/protocol-dm.md §2.5, §3, §5.1, §5.2).
 */

/** docs/protocol-dm.md §5.1; the `.dm`-less DS types are what libdmclient sends (§9 #2). */
export const SYNCML_DM_XML = 'application/vnd.syncml.dm+xml';
export const SYNCML_DM_WBXML = 'application/vnd.syncml.dm+wbxml';
export const SYNCML_DS_XML = 'application/vnd.syncml+xml';
export const SYNCML_DS_WBXML = 'application/vnd.syncml+wbxml';

export type SyncMlEncoding = 'xml' | 'wbxml';

/** XML namespaces (docs/protocol-dm.md §5.1). */
export const SYNCML_NAMESPACE_1_2 = 'SYNCML:SYNCML1.2';
export const SYNCML_NAMESPACE_1_1 = 'SYNCML:SYNCML1.1';
export const METINF_NAMESPACE = 'syncml:metinf';

/** WBXML public ids and FPIs (docs/protocol-dm.md §5.2; libwbxml wbxml_tables.h). */
export const SYNCML_1_2_PUBLIC_ID = 0x1201;
export const SYNCML_1_1_PUBLIC_ID = 0x0fd3;
export const SYNCML_1_2_FPI = '-//SYNCML//DTD SyncML 1.2//EN';
export const SYNCML_1_1_FPI = '-//SYNCML//DTD SyncML 1.1//EN';

export const SYNCML_VERDTD_1_2 = '1.2';
export const SYNCML_VERPROTO_DM_1_2 = 'DM/1.2';

/**
 * The representation of a request body. Its first octet decides when it can: WBXML starts with the
 * version octet 0x00–0x03, which XML never does; XML with `<`, a UTF-8 BOM or whitespace, which WBXML
 * never does (a wrong Content-Type then does no harm). Otherwise the Content-Type
 * `application/vnd.syncml(.dm)?+(xml|wbxml)` (parameters ignored) — docs/protocol-dm.md §9 #2.
 * Undefined when neither tells.
 */
export function syncMlEncodingOf(
  contentType: string | undefined,
  body: Uint8Array,
): SyncMlEncoding | undefined {
  if (body.length > 0) {
    const first = body[0];
    if (first <= 0x03) return 'wbxml';
    if (
      first === 0x3c ||
      first === 0xef ||
      first === 0x20 ||
      first === 0x09 ||
      first === 0x0a ||
      first === 0x0d
    )
      return 'xml';
  }
  const type = contentType?.split(';')[0].trim().toLowerCase();
  const match = type && /^application\/vnd\.syncml(?:\.dm)?\+(xml|wbxml)$/.exec(type);
  return match ? (match[1] as SyncMlEncoding) : undefined;
}

/** The content type to answer with, in the representation of the request (docs/protocol-dm.md §7). */
export const contentTypeFor = (encoding: SyncMlEncoding): string =>
  encoding === 'wbxml' ? SYNCML_DM_WBXML : SYNCML_DM_XML;

/** Alert codes (docs/protocol-dm.md §2.5). */
export const ALERT = {
  DISPLAY: '1100',
  CONFIRM_OR_REJECT: '1101',
  TEXT_INPUT: '1102',
  SINGLE_CHOICE: '1103',
  MULTIPLE_CHOICE: '1104',
  SERVER_INITIATED_MGMT: '1200',
  CLIENT_INITIATED_MGMT: '1201',
  NEXT_MESSAGE: '1222',
  SESSION_ABORT: '1223',
  CLIENT_EVENT: '1224',
  NO_END_OF_DATA: '1225',
  GENERIC_ALERT: '1226',
} as const;

/** Status codes in plain words (docs/protocol-dm.md §3). */
export const STATUS_TEXT: Readonly<Record<string, string>> = {
  '101': 'in progress',
  '200': 'OK',
  '202': 'accepted for processing',
  '212': 'authentication accepted',
  '213': 'chunked item accepted and buffered',
  '214': 'operation cancelled',
  '215': 'not executed',
  '216': 'atomic roll back OK',
  '304': 'not modified',
  '400': 'bad request',
  '401': 'unauthorized (invalid credentials)',
  '403': 'forbidden',
  '404': 'not found',
  '405': 'command not allowed',
  '406': 'optional feature not supported',
  '407': 'missing credentials (authentication required)',
  '408': 'request timeout',
  '412': 'incomplete command',
  '413': 'request entity too large',
  '414': 'URI too long',
  '415': 'unsupported media type or format',
  '416': 'requested size too big',
  '418': 'already exists',
  '420': 'device full',
  '424': 'size mismatch',
  '425': 'permission denied',
  '500': 'command failed',
  '501': 'command not implemented',
  '506': 'processing error',
  '507': 'atomic failed',
  '510': 'data store failure',
  '516': 'atomic roll back failed',
  '517': 'atomic response too large to fit',
};

/** A status code in words, `status 299` for one the table lacks. */
export const statusText = (code: string): string => STATUS_TEXT[code] ?? `status ${code}`;
