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
import { computeMac, SEC_CODES, generateUserPinMacCode, type SecurityMethod } from './security.ts';
import { PUSH_KINDS, pushKindByName, type PushKind } from './push-kinds.ts';

export type SecurityChoice = SecurityMethod | 'none';

/** 8-bit data, no message class: the default data coding for binary push (DIGEST §5.3). */
export const DCS_8BIT = 0x04;
/** 8-bit data, class 1 (ME-specific): Kannel's alt-dcs and Gammu's choice for OTA (DIGEST §5.3). */
export const DCS_8BIT_CLASS1 = 0xf5;

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
}

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

const DEFAULT_TRANSACTION_ID = 0x01; // any value is valid over SMS (DIGEST §4.1)

function isBookmarksOnly(root: XmlElement): boolean {
  const characteristics = root.children.filter(isElement);
  return (
    characteristics.length > 0 &&
    characteristics.every((child) => child.name === 'CHARACTERISTIC' && attribute(child, 'TYPE') === 'BOOKMARK')
  );
}

function pushKindFor(documentType: DocumentType, root: XmlElement, options: CompileOptions): PushKind {
  if (documentType === 'nokia-ota') {
    return pushKindByName(options.nokiaKind ?? (isBookmarksOnly(root) ? 'nokia-bookmarks' : 'nokia-settings'));
  }
  return PUSH_KINDS.find((kind) => kind.documentType === documentType)!;
}

/** Parse (when given text) and encode a document once. */
export function compileDocument(input: string | XmlElement, options: CompileOptions = {}): CompiledDocument {
  const root = typeof input === 'string' ? parseXml(input) : input;
  const documentType = documentTypeOf(root);
  const wbxml = encodeWbxml(root, vocabularyFor(documentType), { stringTable: options.stringTable ?? 'none' });
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
  // SEC before MAC: CPC's parser only accepts that order (DIGEST §3.1).
  if (signature.sec !== 'none') parameters.push({ name: 'sec', value: SEC_CODES[signature.sec] });
  if (signature.mac !== undefined) parameters.push({ name: 'mac', value: signature.mac });
  return { mediaType: kind.contentType, parameters };
}

/** Sign (per subscriber), wrap in a WSP push and split into SMS segments. */
export function packCompiled(compiled: CompiledDocument, options: PackOptions = {}): PackedPush {
  const signature = sign(compiled, options);
  const kind = compiled.pushKind;
  const wsp = encodeWspPush({
    transactionId: options.transactionId ?? DEFAULT_TRANSACTION_ID,
    contentType: contentTypeFor(kind, signature),
    body: compiled.wbxml,
  });
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
    dataCoding: options.dcs ?? DCS_8BIT,
    wbxml: compiled.wbxml,
    wsp,
    segments,
  };
}

/** XML text -> signed segments in one call. */
export function packXml(xml: string, options: PackOptions & CompileOptions = {}): PackedPush {
  return packCompiled(compileDocument(xml, options), options);
}

/** Element tree -> signed segments in one call. */
export function packDocument(root: XmlElement, options: PackOptions & CompileOptions = {}): PackedPush {
  return packCompiled(compileDocument(root, options), options);
}
