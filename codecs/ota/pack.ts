import { CodecError } from '../errors.ts';
import type { XmlElement } from '../xml/element.ts';
import { isElement, attribute } from '../xml/element.ts';
import { parseXml } from '../xml/parse-xml.ts';
import { documentTypeOf, type DocumentType } from '../xml/document-type.ts';
import { encodeWbxml } from '../wbxml/encode-wbxml.ts';
import { vocabularyFor } from '../wbxml/vocabularies/index.ts';
import { encodeWspPush } from '../wsp/encode-wsp-push.ts';
import type { WspContentType } from '../wsp/encode-wsp-push.ts';
import { segmentDatagram, type SmsSegment } from '../sms/segment.ts';
import { DCS_8BIT_DATA } from '../sms/data-coding.ts';
import {
  computeMac,
  createMacSigner,
  SEC_CODES,
  generateUserPinMacCode,
  MAC_HEX_LENGTH,
  type SecurityChoice,
  type SecurityMethod,
} from './security.ts';
import { PUSH_KINDS, pushKindByName, type PushKind } from './push-kinds.ts';

export type { SecurityChoice };

/**
 * A data coding that says "8-bit data" (TS 23.038 §4): the general group (bits 7..6 = 00, no
 * compression) with alphabet bits 3..2 = 01, e.g. 0x04 or 0x15; or the data-coding/message-class group
 * 1111 with bit 2 set, e.g. 0xF5. A binary push under any other coding would be mangled by the SMSC.
 */
function isEightBitDataCoding(dcs: number): boolean {
  if (!Number.isInteger(dcs) || dcs < 0 || dcs > 0xff) return false;
  if ((dcs & 0xe0) === 0x00) return (dcs & 0x0c) === 0x04;
  return (dcs & 0xf4) === 0xf4;
}

export interface CompileOptions {
  /** String-table strategy for the WBXML body (default 'none': STR_I everywhere, as most gateways send). */
  stringTable?: 'none' | 'auto' | string[];
  /** Nokia OTA only: force the settings or bookmarks content type (default: bookmarks when the document holds only bookmarks). */
  nokiaKind?: 'nokia-settings' | 'nokia-bookmarks';
}

/** A document parsed and encoded once; signing it for a subscriber is then cheap (`packCompiled`). */
export interface CompiledDocument {
  documentType: DocumentType;
  pushKind: PushKind;
  root: XmlElement;
  wbxml: Uint8Array;
  /** Per-document state for signing many subscribers fast; built on first use. */
  signing?: SigningTemplate;
}

/**
 * The WSP push of a signed document differs between subscribers only in the 40 MAC characters, so it
 * is encoded once (with a placeholder MAC) and the MAC is written into a copy per subscriber.
 */
interface SigningTemplate {
  sec: SecurityMethod;
  transactionId: number;
  wsp: Uint8Array;
  macOffset: number;
  sign: ReturnType<typeof createMacSigner>;
}

const MAC_PLACEHOLDER = '0'.repeat(MAC_HEX_LENGTH);

export interface PackOptions {
  /** Security method; default NETWPIN for OMA CP. SI, SL and Nokia OTA carry no SEC/MAC. */
  sec?: SecurityChoice;
  imsi?: string;
  /** USERPIN / USERNETWPIN: the user PIN. USERPINMAC: the secret first half of the code (>= 5 digits); generated when absent. */
  pin?: string;
  /** TP-DCS / SMPP data_coding: 0x04 (default) or 0xF5. */
  dcs?: number;
  /** Concatenation reference (unique per destination among messages in flight). */
  reference?: number;
  referenceBits?: 8 | 16;
  /** 'udh' (ports and concatenation in each TP-UD, default) or 'tlv' (SMPP optional parameters). */
  mode?: 'udh' | 'tlv';
  /** WSP transaction id octet. */
  transactionId?: number;
}

export interface PackedPush {
  contentType: string;
  documentType: DocumentType;
  pushKind: PushKind['kind'];
  sec: SecurityChoice;
  /** 40 upper-case hex characters, when signed. */
  mac?: string;
  /** USERPINMAC: the code to give the subscriber (secret half + check digits). */
  userPinMacCode?: string;
  dataCoding: number;
  wbxml: Uint8Array;
  wsp: Uint8Array;
  segments: SmsSegment[];
}

const DEFAULT_TRANSACTION_ID = 0x01; // any value is valid over SMS (docs/protocol.md §4.1)

function isBookmarksOnly(root: XmlElement): boolean {
  const characteristics = root.children.filter(isElement);
  return (
    characteristics.length > 0 &&
    characteristics.every(
      (child) => child.name === 'CHARACTERISTIC' && attribute(child, 'TYPE') === 'BOOKMARK',
    )
  );
}

function pushKindFor(documentType: DocumentType, root: XmlElement, options: CompileOptions): PushKind {
  if (documentType === 'nokia-ota') {
    return pushKindByName(
      options.nokiaKind ?? (isBookmarksOnly(root) ? 'nokia-bookmarks' : 'nokia-settings'),
    );
  }
  return PUSH_KINDS.find((kind) => kind.documentType === documentType)!;
}

/** Parse (when given text) and encode a document once. */
export function compileDocument(input: string | XmlElement, options: CompileOptions = {}): CompiledDocument {
  const root = typeof input === 'string' ? parseXml(input) : input;
  const documentType = documentTypeOf(root);
  const wbxml = encodeWbxml(root, vocabularyFor(documentType), {
    stringTable: options.stringTable ?? 'none',
  });
  return { documentType, pushKind: pushKindFor(documentType, root, options), root, wbxml };
}

interface Signature {
  sec: SecurityChoice;
  mac?: string;
  userPinMacCode?: string;
}

function sign(compiled: CompiledDocument, options: PackOptions): Signature {
  const signable = compiled.pushKind.signable;
  const sec = options.sec ?? (signable ? 'NETWPIN' : 'none');
  if (sec === 'none') return { sec };
  if (!signable) {
    throw new CodecError(
      'OTA_SECURITY_UNSUPPORTED',
      `${compiled.pushKind.kind} pushes carry no SEC/MAC; use sec 'none' (only OMA CP is signed)`,
    );
  }
  if (sec === 'USERPINMAC') {
    const code = generateUserPinMacCode(compiled.wbxml, options.pin);
    const secretHalf = code.slice(0, code.length / 2);
    return { sec, mac: computeMac('USERPIN', { pin: secretHalf }, compiled.wbxml), userPinMacCode: code };
  }
  return { sec, mac: computeMac(sec, { imsi: options.imsi, pin: options.pin }, compiled.wbxml) };
}

function contentTypeFor(kind: PushKind, signature: Signature): WspContentType {
  const parameters: WspContentType['parameters'] = [];
  if (kind.charsetParameter) parameters.push({ name: 'charset', value: 'utf-8' });
  // SEC before MAC: CPC's parser only accepts that order (docs/protocol.md §3.1).
  if (signature.sec !== 'none') parameters.push({ name: 'sec', value: SEC_CODES[signature.sec] });
  if (signature.mac !== undefined) parameters.push({ name: 'mac', value: signature.mac });
  return { mediaType: kind.contentType, parameters };
}

function signingTemplate(
  compiled: CompiledDocument,
  sec: SecurityMethod,
  transactionId: number,
): SigningTemplate {
  const cached = compiled.signing;
  if (cached && cached.sec === sec && cached.transactionId === transactionId) return cached;
  const wsp = encodeWspPush({
    transactionId,
    contentType: contentTypeFor(compiled.pushKind, { sec, mac: MAC_PLACEHOLDER }),
    body: compiled.wbxml,
  });
  // The MAC is the last header item: Token-text, NUL-terminated, right before the body (docs/protocol.md §4.6).
  const macOffset = wsp.length - compiled.wbxml.length - 1 - MAC_PLACEHOLDER.length;
  const template = {
    sec,
    transactionId,
    wsp,
    macOffset,
    sign: cached?.sign ?? createMacSigner(compiled.wbxml),
  };
  compiled.signing = template;
  return template;
}

function signedWsp(
  compiled: CompiledDocument,
  options: PackOptions,
  transactionId: number,
): { wsp: Uint8Array; signature: Signature } | undefined {
  const sec = options.sec ?? 'NETWPIN';
  if (!compiled.pushKind.signable || (sec !== 'NETWPIN' && sec !== 'USERPIN' && sec !== 'USERNETWPIN'))
    return undefined;
  const template = signingTemplate(compiled, sec, transactionId);
  const mac = template.sign(sec, { imsi: options.imsi, pin: options.pin });
  const wsp = Buffer.from(template.wsp);
  wsp.write(mac, template.macOffset, 'latin1');
  return { wsp, signature: { sec, mac } };
}

/** Sign (per subscriber), wrap in a WSP push and split into SMS segments. */
export function packCompiled(compiled: CompiledDocument, options: PackOptions = {}): PackedPush {
  const dataCoding = options.dcs ?? DCS_8BIT_DATA;
  if (!isEightBitDataCoding(dataCoding)) {
    throw new CodecError(
      'OTA_BAD_DCS',
      `data coding 0x${dataCoding.toString(16)} is not an 8-bit data coding (use 0x04 or 0xF5)`,
    );
  }
  const kind = compiled.pushKind;
  const transactionId = options.transactionId ?? DEFAULT_TRANSACTION_ID;
  let fast = signedWsp(compiled, options, transactionId);
  if (!fast) {
    const signature = sign(compiled, options);
    const wsp = encodeWspPush({
      transactionId,
      contentType: contentTypeFor(kind, signature),
      body: compiled.wbxml,
    });
    fast = { wsp, signature };
  }
  const { wsp, signature } = fast;
  const segments = segmentDatagram(wsp, {
    destinationPort: kind.destinationPort,
    sourcePort: kind.sourcePort,
    reference: options.reference ?? 0,
    referenceBits: options.referenceBits ?? 8,
    mode: options.mode ?? 'udh',
  });
  return {
    contentType: kind.contentType,
    documentType: compiled.documentType,
    pushKind: kind.kind,
    sec: signature.sec,
    mac: signature.mac,
    userPinMacCode: signature.userPinMacCode,
    dataCoding,
    wbxml: compiled.wbxml,
    wsp,
    segments,
  };
}

/** XML text (or an element tree) -> signed segments in one call: compileDocument, then packCompiled. */
export function packXml(input: string | XmlElement, options: PackOptions & CompileOptions = {}): PackedPush {
  return packCompiled(compileDocument(input, options), options);
}
