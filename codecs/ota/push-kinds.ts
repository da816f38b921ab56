import type { DocumentType } from '../xml/document-type.ts';
import {
  NOKIA_OTA_SETTINGS_PORT,
  NOKIA_OTA_SOURCE_PORT,
  WAP_CL_SESSION_PORT,
  WAP_PUSH_PORT,
} from '../sms/ports.ts';

/**
 * How each kind of document travels: WSP content type, WDP ports, application id, and whether the
 * ProvBoot SEC/MAC parameters apply. One table, walked by pack (document -> push) and unpack
 * (push -> document).
 */
export interface PushKind {
  /** Name used in options and reports. */
  kind: 'oma-cp' | 'si' | 'sl' | 'nokia-settings' | 'nokia-bookmarks';
  documentType: DocumentType;
  /** WSP media type of the binary (WBXML) form. */
  contentType: string;
  /** WSP media type of the textual XML form, which handsets may also receive. */
  textContentType?: string;
  destinationPort: number;
  sourcePort: number;
  /** Only OMA CP carries SEC/MAC (ProvBoot 1.1, docs/protocol.md §3.1). */
  signable: boolean;
  /** Text media types carry charset=utf-8 as a parameter (docs/protocol.md §4.6, Nokia rows). */
  charsetParameter: boolean;
}

// Source ports: 9200 for WAP push (docs/protocol.md §10 #9), 49154 for Nokia OTA (§10 #10); handsets route on the destination.

export const PUSH_KINDS: readonly PushKind[] = [
  {
    kind: 'oma-cp',
    documentType: 'prov',
    contentType: 'application/vnd.wap.connectivity-wbxml',
    textContentType: 'text/vnd.wap.connectivity-xml',
    destinationPort: WAP_PUSH_PORT,
    sourcePort: WAP_CL_SESSION_PORT,
    signable: true,
    charsetParameter: false,
  },
  {
    kind: 'si',
    documentType: 'si',
    contentType: 'application/vnd.wap.sic',
    textContentType: 'text/vnd.wap.si',
    destinationPort: WAP_PUSH_PORT,
    sourcePort: WAP_CL_SESSION_PORT,
    signable: false,
    charsetParameter: false,
  },
  {
    kind: 'sl',
    documentType: 'sl',
    contentType: 'application/vnd.wap.slc',
    textContentType: 'text/vnd.wap.sl',
    destinationPort: WAP_PUSH_PORT,
    sourcePort: WAP_CL_SESSION_PORT,
    signable: false,
    charsetParameter: false,
  },
  {
    kind: 'nokia-settings',
    documentType: 'nokia-ota',
    contentType: 'application/x-wap-prov.browser-settings',
    destinationPort: NOKIA_OTA_SETTINGS_PORT,
    sourcePort: NOKIA_OTA_SOURCE_PORT,
    signable: false,
    charsetParameter: true,
  },
  {
    kind: 'nokia-bookmarks',
    documentType: 'nokia-ota',
    contentType: 'application/x-wap-prov.browser-bookmarks',
    destinationPort: NOKIA_OTA_SETTINGS_PORT,
    sourcePort: NOKIA_OTA_SOURCE_PORT,
    signable: false,
    charsetParameter: true,
  },
];

export function pushKindByName(kind: PushKind['kind']): PushKind {
  return PUSH_KINDS.find((entry) => entry.kind === kind)!;
}

/** Binary or text content type -> push kind, case-insensitively; undefined when not ours. */
export function pushKindForContentType(contentType: string): { kind: PushKind; text: boolean } | undefined {
  const wanted = contentType.toLowerCase();
  for (const kind of PUSH_KINDS) {
    if (kind.contentType === wanted) return { kind, text: false };
    if (kind.textContentType === wanted) return { kind, text: true };
  }
  return undefined;
}
