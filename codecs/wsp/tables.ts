/**
 * WSP assigned numbers (WAP-230-WSP Appendix A) as data. The push encoder and decoder both look names
 * and codes up here; nothing else in codecs/wsp spells a code.
 *
 * Sources: docs/protocol.md §4.3-§4.5 (Kannel `wsp_strings.def`, Android `WspTypeDecoder`); where the older Kannel
 * table and the WSP 1.3+ numbering differ (0x0A, 0x16) the WSP 1.3+ values are used, as Android does.
 */

/** Well-known content types, WSP Table 40 (codes sent as Short-integer `0x80|code`), docs/protocol.md §4.4. */
const WELL_KNOWN_CONTENT_TYPES: ReadonlyArray<readonly [number, string]> = [
  [0x00, '*/*'],
  [0x01, 'text/*'],
  [0x02, 'text/html'],
  [0x03, 'text/plain'],
  [0x04, 'text/x-hdml'],
  [0x05, 'text/x-ttml'],
  [0x06, 'text/x-vCalendar'],
  [0x07, 'text/x-vCard'],
  [0x08, 'text/vnd.wap.wml'],
  [0x09, 'text/vnd.wap.wmlscript'],
  [0x0a, 'text/vnd.wap.wta-event'],
  [0x0b, 'multipart/*'],
  [0x0c, 'multipart/mixed'],
  [0x0d, 'multipart/form-data'],
  [0x0e, 'multipart/byteranges'],
  [0x0f, 'multipart/alternative'],
  [0x10, 'application/*'],
  [0x11, 'application/java-vm'],
  [0x12, 'application/x-www-form-urlencoded'],
  [0x13, 'application/x-hdmlc'],
  [0x14, 'application/vnd.wap.wmlc'],
  [0x15, 'application/vnd.wap.wmlscriptc'],
  [0x16, 'application/vnd.wap.wta-eventc'],
  [0x17, 'application/vnd.wap.uaprof'],
  [0x18, 'application/vnd.wap.wtls-ca-certificate'],
  [0x19, 'application/vnd.wap.wtls-user-certificate'],
  [0x1a, 'application/x-x509-ca-cert'],
  [0x1b, 'application/x-x509-user-cert'],
  [0x1c, 'image/*'],
  [0x1d, 'image/gif'],
  [0x1e, 'image/jpeg'],
  [0x1f, 'image/tiff'],
  [0x20, 'image/png'],
  [0x21, 'image/vnd.wap.wbmp'],
  [0x22, 'application/vnd.wap.multipart.*'],
  [0x23, 'application/vnd.wap.multipart.mixed'],
  [0x24, 'application/vnd.wap.multipart.form-data'],
  [0x25, 'application/vnd.wap.multipart.byteranges'],
  [0x26, 'application/vnd.wap.multipart.alternative'],
  [0x27, 'application/xml'],
  [0x28, 'text/xml'],
  [0x29, 'application/vnd.wap.wbxml'],
  [0x2a, 'application/x-x968-cross-cert'],
  [0x2b, 'application/x-x968-ca-cert'],
  [0x2c, 'application/x-x968-user-cert'],
  [0x2d, 'text/vnd.wap.si'],
  [0x2e, 'application/vnd.wap.sic'],
  [0x2f, 'text/vnd.wap.sl'],
  [0x30, 'application/vnd.wap.slc'],
  [0x31, 'text/vnd.wap.co'],
  [0x32, 'application/vnd.wap.coc'],
  [0x33, 'application/vnd.wap.multipart.related'],
  [0x34, 'application/vnd.wap.sia'],
  [0x35, 'text/vnd.wap.connectivity-xml'],
  [0x36, 'application/vnd.wap.connectivity-wbxml'],
  [0x37, 'application/pkcs7-mime'],
  [0x38, 'application/vnd.wap.hashed-certificate'],
  [0x39, 'application/vnd.wap.signed-certificate'],
  [0x3a, 'application/vnd.wap.cert-response'],
  [0x3b, 'application/xhtml+xml'],
  [0x3c, 'application/wml+xml'],
  [0x3d, 'text/css'],
  [0x3e, 'application/vnd.wap.mms-message'],
  [0x3f, 'application/vnd.wap.rollover-certificate'],
  [0x40, 'application/vnd.wap.locc+wbxml'],
  [0x41, 'application/vnd.wap.loc+xml'],
  [0x42, 'application/vnd.syncml.dm+wbxml'],
  [0x43, 'application/vnd.syncml.dm+xml'],
  [0x44, 'application/vnd.syncml.notification'],
  [0x45, 'application/vnd.wap.xhtml+xml'],
  [0x46, 'application/vnd.wv.csp.cir'],
  [0x47, 'application/vnd.oma.dd+xml'],
  [0x48, 'application/vnd.oma.drm.message'],
  [0x49, 'application/vnd.oma.drm.content'],
  [0x4a, 'application/vnd.oma.drm.rights+xml'],
  [0x4b, 'application/vnd.oma.drm.rights+wbxml'],
  [0x4c, 'application/vnd.wv.csp+xml'],
  [0x4d, 'application/vnd.wv.csp+wbxml'],
  [0x4e, 'application/vnd.syncml.ds.notification'],
  [0x4f, 'audio/*'],
  [0x50, 'video/*'],
  [0x51, 'application/vnd.oma.dd2+xml'],
  [0x52, 'application/mikey'],
  [0x53, 'application/vnd.oma.dcd'],
  [0x54, 'application/vnd.oma.dcdc'],
];

/**
 * Registered content types (OMNA "WSP content type codes" >= 0x0201), sent as Long-integer, docs/protocol.md §4.4
 * (0x020B Nokia SyncML settings, 0x030A EMN) and Android `WspTypeDecoder`.
 */
const REGISTERED_CONTENT_TYPES: ReadonlyArray<readonly [number, string]> = [
  [0x0201, 'application/vnd.uplanet.cacheop-wbxml'],
  [0x0202, 'application/vnd.uplanet.signal'],
  [0x0203, 'application/vnd.uplanet.alert-wbxml'],
  [0x0204, 'application/vnd.uplanet.list-wbxml'],
  [0x0205, 'application/vnd.uplanet.listcmd-wbxml'],
  [0x0206, 'application/vnd.uplanet.channel-wbxml'],
  [0x0207, 'application/vnd.uplanet.provisioning-status-uri'],
  [0x0208, 'x-wap.multipart/vnd.uplanet.header-set'],
  [0x0209, 'application/vnd.uplanet.bearer-choice-wbxml'],
  [0x020a, 'application/vnd.phonecom.mmc-wbxml'],
  [0x020b, 'application/vnd.nokia.syncset+wbxml'],
  [0x020c, 'image/x-up-wpng'],
  [0x0300, 'application/iota.mmc-wbxml'],
  [0x0301, 'application/iota.mmc-xml'],
  [0x0302, 'application/vnd.syncml+xml'],
  [0x0303, 'application/vnd.syncml+wbxml'],
  [0x0304, 'text/vnd.wap.emn+xml'],
  [0x0305, 'text/calendar'],
  [0x0306, 'application/vnd.omads-email+xml'],
  [0x0307, 'application/vnd.omads-file+xml'],
  [0x0308, 'application/vnd.omads-folder+xml'],
  [0x0309, 'text/directory;profile=vCard'],
  [0x030a, 'application/vnd.wap.emn+wbxml'],
  [0x030b, 'application/vnd.nokia.ipdc-purchase-response'],
  [0x030c, 'application/vnd.motorola.screen3+xml'],
  [0x030d, 'application/vnd.motorola.screen3+gzip'],
  [0x030e, 'application/vnd.cmcc.setting+wbxml'],
  [0x030f, 'application/vnd.cmcc.bombing+wbxml'],
  [0x0310, 'application/vnd.docomo.pf'],
  [0x0311, 'application/vnd.docomo.ub'],
  [0x0312, 'application/vnd.omaloc-supl-init'],
  [0x0313, 'application/vnd.oma.group-usage-list+xml'],
  [0x0314, 'application/oma-directory+xml'],
  [0x0315, 'application/vnd.docomo.pf2'],
  [0x0316, 'application/vnd.oma.drm.roap-trigger+wbxml'],
  [0x0317, 'application/vnd.sbm.mid2'],
  [0x0318, 'application/vnd.wmf.bootstrap'],
  [0x0319, 'application/vnc.cmcc.dcd+xml'],
  [0x031a, 'application/vnd.sbm.cid'],
  [0x031b, 'application/vnd.oma.bcast.provisioningtrigger'],
];

/** Media types the gateway sends, by purpose (docs/protocol.md §4.4, §4.6, §9). */
export const MEDIA_TYPES = {
  /** OMA Client Provisioning, WBXML (0x36). */
  omaCp: 'application/vnd.wap.connectivity-wbxml',
  /** OMA Client Provisioning, XML text (0x35). */
  omaCpXml: 'text/vnd.wap.connectivity-xml',
  /** Service Indication, WBXML (0x2E). */
  si: 'application/vnd.wap.sic',
  /** Service Loading, WBXML (0x30). */
  sl: 'application/vnd.wap.slc',
  /** Nokia/Ericsson OTA browser settings: no WSP code, always sent as text (docs/protocol.md §4.4). */
  nokiaBrowserSettings: 'application/x-wap-prov.browser-settings',
  /** Nokia/Ericsson OTA browser bookmarks: no WSP code, always sent as text (docs/protocol.md §4.4). */
  nokiaBrowserBookmarks: 'application/x-wap-prov.browser-bookmarks',
  /** Nokia SyncML settings, registered code 0x020B. */
  nokiaSyncSettings: 'application/vnd.nokia.syncset+wbxml',
  /** OMA DM bootstrap, DM profile (0x42). */
  dmBootstrap: 'application/vnd.syncml.dm+wbxml',
  /** OMA DM package #0 notification (0x44). */
  dmNotification: 'application/vnd.syncml.notification',
  /** MMS notification (0x3E). */
  mmsMessage: 'application/vnd.wap.mms-message',
  /** E-mail notification, registered code 0x030A. */
  emn: 'application/vnd.wap.emn+wbxml',
} as const;

/** Every content type with a WSP code: well-known (<= 0x7F) and registered (>= 0x0201). */
export const WSP_CONTENT_TYPES: ReadonlyArray<{ code: number; mediaType: string }> = [
  ...WELL_KNOWN_CONTENT_TYPES,
  ...REGISTERED_CONTENT_TYPES,
].map(([code, mediaType]) => ({ code, mediaType }));

/** Well-known charsets by IANA MIBenum, WSP Table 42 (docs/protocol.md §4.3: UTF-8 106 -> `EA`). */
export const WSP_CHARSETS: ReadonlyArray<{ mibEnum: number; name: string; aliases?: string[] }> = [
  { mibEnum: 3, name: 'us-ascii', aliases: ['ascii'] },
  { mibEnum: 4, name: 'iso-8859-1', aliases: ['latin1'] },
  { mibEnum: 5, name: 'iso-8859-2' },
  { mibEnum: 6, name: 'iso-8859-3' },
  { mibEnum: 7, name: 'iso-8859-4' },
  { mibEnum: 8, name: 'iso-8859-5' },
  { mibEnum: 9, name: 'iso-8859-6' },
  { mibEnum: 10, name: 'iso-8859-7' },
  { mibEnum: 11, name: 'iso-8859-8' },
  { mibEnum: 12, name: 'iso-8859-9' },
  { mibEnum: 17, name: 'shift_jis' },
  { mibEnum: 106, name: 'utf-8', aliases: ['utf8'] },
  { mibEnum: 1000, name: 'iso-10646-ucs-2', aliases: ['ucs-2'] },
  { mibEnum: 1015, name: 'utf-16' },
  { mibEnum: 2026, name: 'big5' },
];

/** Any-charset: Short-integer 0 in a Well-known-charset position means `*` (WSP 8.4.2.8). */
export const ANY_CHARSET = '*';

/**
 * How a typed parameter value is encoded (WSP Table 38 "Encoding" column). Each kind has one codec in
 * content-type.ts; `accepts` says which JavaScript value types the kind takes on encoding.
 */
export type ParameterValueKind =
  | 'q-value'
  | 'well-known-charset'
  | 'version-value'
  | 'integer-value'
  | 'short-integer'
  | 'text-string'
  | 'text-value'
  | 'no-value'
  | 'date-value'
  | 'field-name'
  | 'constrained-encoding';

export interface WspParameterDefinition {
  code: number;
  /** Canonical lower-case name used in `WspContentType.parameters`. */
  name: string;
  kind: ParameterValueKind;
}

/**
 * Well-known parameters, WSP Table 38 (docs/protocol.md §4.3). Several names appear twice (WSP 1.1 and 1.4
 * codes); on encoding the first entry whose kind accepts the value wins, so the older, more widely
 * understood code is sent (and `type` goes to 0x03 for numbers, 0x09 for media-type text).
 */
export const WSP_PARAMETERS: readonly WspParameterDefinition[] = [
  { code: 0x00, name: 'q', kind: 'q-value' },
  { code: 0x01, name: 'charset', kind: 'well-known-charset' },
  { code: 0x02, name: 'level', kind: 'version-value' },
  { code: 0x03, name: 'type', kind: 'integer-value' },
  { code: 0x05, name: 'name', kind: 'text-string' },
  { code: 0x06, name: 'filename', kind: 'text-string' },
  { code: 0x07, name: 'differences', kind: 'field-name' },
  { code: 0x08, name: 'padding', kind: 'short-integer' },
  { code: 0x09, name: 'type', kind: 'constrained-encoding' },
  { code: 0x0a, name: 'start', kind: 'text-string' },
  { code: 0x0b, name: 'start-info', kind: 'text-string' },
  { code: 0x0c, name: 'comment', kind: 'text-string' },
  { code: 0x0d, name: 'domain', kind: 'text-string' },
  { code: 0x0e, name: 'max-age', kind: 'integer-value' },
  { code: 0x0f, name: 'path', kind: 'text-string' },
  { code: 0x10, name: 'secure', kind: 'no-value' },
  // ProvBoot security (WSP 1.4): SEC Short-integer 0-3, MAC 40 hex characters as Token-text (docs/protocol.md §3.1).
  { code: 0x11, name: 'sec', kind: 'short-integer' },
  { code: 0x12, name: 'mac', kind: 'text-value' },
  { code: 0x13, name: 'creation-date', kind: 'date-value' },
  { code: 0x14, name: 'modification-date', kind: 'date-value' },
  { code: 0x15, name: 'read-date', kind: 'date-value' },
  { code: 0x16, name: 'size', kind: 'integer-value' },
  { code: 0x17, name: 'name', kind: 'text-value' },
  { code: 0x18, name: 'filename', kind: 'text-value' },
  { code: 0x19, name: 'start', kind: 'text-value' },
  { code: 0x1a, name: 'start-info', kind: 'text-value' },
  { code: 0x1b, name: 'comment', kind: 'text-value' },
  { code: 0x1c, name: 'domain', kind: 'text-value' },
  { code: 0x1d, name: 'path', kind: 'text-value' },
];

/** Header field names, WSP Table 39 (Kannel `wsp_strings.def` table 39; docs/protocol.md §4.5). */
const WSP_HEADER_FIELD_NAMES: readonly string[] = [
  'Accept', // 0x00
  'Accept-Charset',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Ranges',
  'Age',
  'Allow',
  'Authorization',
  'Cache-Control',
  'Connection',
  'Content-Base', // 0x0A
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Location',
  'Content-MD5',
  'Content-Range', // 0x10
  'Content-Type',
  'Date',
  'Etag',
  'Expires',
  'From',
  'Host',
  'If-Modified-Since',
  'If-Match',
  'If-None-Match',
  'If-Range', // 0x1A
  'If-Unmodified-Since',
  'Location',
  'Last-Modified',
  'Max-Forwards',
  'Pragma',
  'Proxy-Authenticate', // 0x20
  'Proxy-Authorization',
  'Public',
  'Range',
  'Referer',
  'Retry-After',
  'Server',
  'Transfer-Encoding',
  'Upgrade',
  'User-Agent',
  'Vary', // 0x2A
  'Via',
  'Warning',
  'WWW-Authenticate',
  'Content-Disposition',
  'X-Wap-Application-Id', // 0x2F
  'X-Wap-Content-URI', // 0x30
  'X-Wap-Initiator-URI',
  'Accept-Application',
  'Bearer-Indication',
  'Push-Flag',
  'Profile',
  'Profile-Diff',
  'Profile-Warning',
  'Expect',
  'TE',
  'Trailer', // 0x3A
  'Accept-Charset', // 0x3B, WSP 1.3 re-encoding
  'Accept-Encoding', // 0x3C, WSP 1.3
  'Cache-Control', // 0x3D, WSP 1.3
  'Content-Range', // 0x3E, WSP 1.3
  'X-Wap-Tod',
  'Content-ID', // 0x40
  'Set-Cookie',
  'Cookie',
  'Encoding-Version',
];

export const WSP_HEADER_FIELDS: ReadonlyArray<{ code: number; name: string }> = WSP_HEADER_FIELD_NAMES.map(
  (name, code) => ({ code, name: name.toLowerCase() }),
);

/** Header field code of X-Wap-Application-Id, sent as `AF` (docs/protocol.md §4.5). */
export const X_WAP_APPLICATION_ID_FIELD = 0x2f;
export const X_WAP_APPLICATION_ID_NAME = 'x-wap-application-id';

/** Prefix of the well-known push application ids (Kannel `application_id`, docs/protocol.md §4.5). */
const APPLICATION_ID_PREFIX = 'x-wap-application:';

/** Push application ids (OMNA push app-id registry), docs/protocol.md §4.5. */
export const WSP_APPLICATION_IDS: ReadonlyArray<{ code: number; name: string }> = [
  { code: 0x00, name: APPLICATION_ID_PREFIX + '*' },
  { code: 0x01, name: APPLICATION_ID_PREFIX + 'push.sia' },
  { code: 0x02, name: APPLICATION_ID_PREFIX + 'wml.ua' },
  { code: 0x03, name: APPLICATION_ID_PREFIX + 'wta.ua' },
  { code: 0x04, name: APPLICATION_ID_PREFIX + 'mms.ua' },
  { code: 0x05, name: APPLICATION_ID_PREFIX + 'push.syncml' },
  { code: 0x06, name: APPLICATION_ID_PREFIX + 'loc.ua' },
  { code: 0x07, name: APPLICATION_ID_PREFIX + 'syncml.dm' },
  { code: 0x08, name: APPLICATION_ID_PREFIX + 'drm.ua' },
  { code: 0x09, name: APPLICATION_ID_PREFIX + 'emn.ua' },
  { code: 0x0a, name: APPLICATION_ID_PREFIX + 'wv.ua' },
  { code: 0x8000, name: 'x-wap-microsoft:localcontent.ua' },
  { code: 0x8001, name: 'x-wap-microsoft:IMclient.ua' },
  { code: 0x8002, name: 'x-wap-docomo:imode.mail.ua' },
  { code: 0x8003, name: 'x-wap-docomo:imode.mr.ua' },
  { code: 0x8004, name: 'x-wap-docomo:imode.mf.ua' },
  { code: 0x8005, name: 'x-motorola:location.ua' },
  { code: 0x8006, name: 'x-motorola:now.ua' },
  { code: 0x8007, name: 'x-motorola:otaprov.ua' },
  { code: 0x8008, name: 'x-motorola:browser.ua' },
  { code: 0x8009, name: 'x-motorola:splash.ua' },
  { code: 0x800b, name: 'x-wap-nai:mvsw.command' },
  { code: 0x8010, name: 'x-wap-openvawe:iota.ua' },
  { code: 0x9011, name: 'x-oma-vodafone:otaprov.ua' },
];

/** Application ids the gateway uses (docs/protocol.md §4.5, §4.6). */
export const APPLICATION_IDS = {
  wmlUserAgent: APPLICATION_ID_PREFIX + 'wml.ua',
  mmsUserAgent: APPLICATION_ID_PREFIX + 'mms.ua',
  syncmlDm: APPLICATION_ID_PREFIX + 'syncml.dm',
} as const;

// ---- lookups (built once) ----

function byCode<T extends { code: number }>(entries: readonly T[]): Map<number, T> {
  const map = new Map<number, T>();
  for (const entry of entries) if (!map.has(entry.code)) map.set(entry.code, entry);
  return map;
}

const contentTypeByCode = new Map(WSP_CONTENT_TYPES.map((entry) => [entry.code, entry.mediaType]));
const contentTypeCodeByName = new Map(
  WSP_CONTENT_TYPES.map((entry) => [entry.mediaType.toLowerCase(), entry.code]),
);
const charsetByMibEnum = new Map(WSP_CHARSETS.map((entry) => [entry.mibEnum, entry.name]));
const charsetMibEnumByName = new Map<string, number>();
for (const entry of WSP_CHARSETS) {
  charsetMibEnumByName.set(entry.name, entry.mibEnum);
  for (const alias of entry.aliases ?? []) charsetMibEnumByName.set(alias, entry.mibEnum);
}
const parameterByCode = byCode(WSP_PARAMETERS);
const parameterNames = new Set(WSP_PARAMETERS.map((entry) => entry.name));
const headerByCode = byCode(WSP_HEADER_FIELDS);
const headerCodeByName = new Map<string, number>();
for (const entry of WSP_HEADER_FIELDS)
  if (!headerCodeByName.has(entry.name)) headerCodeByName.set(entry.name, entry.code);
const applicationIdByCode = byCode(WSP_APPLICATION_IDS);
const applicationIdCodeByName = new Map(
  WSP_APPLICATION_IDS.map((entry) => [entry.name.toLowerCase(), entry.code]),
);

/**
 * A code with no name in the tables still has to survive decode -> encode, so it gets a synthetic
 * name that the name -> code lookups understand: `x-wsp-content-type-0x5f`, `x-wsp-header-0x50`.
 */
const UNKNOWN_CONTENT_TYPE_PREFIX = 'x-wsp-content-type-0x';
const UNKNOWN_HEADER_PREFIX = 'x-wsp-header-0x';
const UNKNOWN_PARAMETER_PREFIX = 'x-wsp-parameter-0x';

function syntheticCode(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length);
  if (!/^[0-9a-f]{1,8}$/.test(digits)) return undefined;
  return parseInt(digits, 16);
}

/** Media type for a content-type code; a synthetic name when the code is not in the tables. */
export function contentTypeName(code: number): string {
  return contentTypeByCode.get(code) ?? UNKNOWN_CONTENT_TYPE_PREFIX + code.toString(16).padStart(2, '0');
}

/** WSP code for a media type (case-insensitive), or undefined when it has none (send it as text). */
export function contentTypeCode(mediaType: string): number | undefined {
  const lower = mediaType.toLowerCase();
  return contentTypeCodeByName.get(lower) ?? syntheticCode(lower, UNKNOWN_CONTENT_TYPE_PREFIX);
}

/** Canonical charset name for a MIBenum, or undefined. */
export function charsetName(mibEnum: number): string | undefined {
  return charsetByMibEnum.get(mibEnum);
}

/** MIBenum for a charset name or alias (case-insensitive), or undefined. */
export function charsetMibEnum(name: string): number | undefined {
  return charsetMibEnumByName.get(name.toLowerCase());
}

export function parameterByWireCode(code: number): WspParameterDefinition | undefined {
  return parameterByCode.get(code);
}

/** Name for a typed parameter code that is not in Table 38 (its value is decoded as Untyped-value). */
export function unknownParameterName(code: number): string {
  return UNKNOWN_PARAMETER_PREFIX + code.toString(16).padStart(2, '0');
}

/** The code behind an `unknownParameterName`, or undefined for any other name. */
export function unknownParameterCode(name: string): number | undefined {
  return syntheticCode(name.toLowerCase(), UNKNOWN_PARAMETER_PREFIX);
}

export function isWellKnownParameterName(name: string): boolean {
  return parameterNames.has(name);
}

/** Canonical lower-case header name for a field code (synthetic when unassigned). */
export function headerFieldName(code: number): string {
  return headerByCode.get(code)?.name ?? UNKNOWN_HEADER_PREFIX + code.toString(16).padStart(2, '0');
}

/** Field code for a header name (case-insensitive), or undefined for an application header. */
export function headerFieldCode(name: string): number | undefined {
  const lower = name.toLowerCase();
  return headerCodeByName.get(lower) ?? syntheticCode(lower, UNKNOWN_HEADER_PREFIX);
}

/** Application-id URN for a code, or undefined when unassigned. */
export function applicationIdName(code: number): string | undefined {
  return applicationIdByCode.get(code)?.name;
}

/** Code for an application-id URN (case-insensitive), or undefined when it is sent as text. */
export function applicationIdCode(name: string): number | undefined {
  return applicationIdCodeByName.get(name.toLowerCase());
}
