import { CodecError } from '../errors.ts';
import type { XmlElement } from '../xml/element.ts';
import { parseXml } from '../xml/parse-xml.ts';
import { serializeXml } from '../xml/serialize-xml.ts';
import { documentTypeOf, type DocumentType } from '../xml/document-type.ts';
import { decodeWbxml } from '../wbxml/decode-wbxml.ts';
import { vocabularyFor } from '../wbxml/vocabularies/index.ts';
import { decodeWspPush } from '../wsp/decode-wsp-push.ts';
import { reassembleSegments } from '../sms/reassemble.ts';
import {
  securityMethodFromCode,
  verifyMac,
  type SecurityCredentials,
  type SecurityMethod,
} from './security.ts';
import { pushKindForContentType, type PushKind } from './push-kinds.ts';

export interface UnpackedPush {
  contentType: string;
  pushKind: PushKind['kind'];
  documentType: DocumentType;
  sec: SecurityMethod | null;
  mac: string | null;
  /** true/false when the credentials needed by `sec` were given; null when unsigned or not checkable. */
  macValid: boolean | null;
  root: XmlElement;
  xml: string;
  wbxml: Uint8Array;
  wsp: Uint8Array;
  destinationPort?: number;
  sourcePort?: number;
}

function parameter(parameters: Array<{ name: string; value: string | number }>, name: string) {
  return parameters.find((entry) => entry.name === name)?.value;
}

function hasCredentialsFor(sec: SecurityMethod, credentials: SecurityCredentials): boolean {
  switch (sec) {
    case 'NETWPIN':
      return credentials.imsi !== undefined;
    case 'USERPIN':
    case 'USERPINMAC':
      return credentials.pin !== undefined;
    case 'USERNETWPIN':
      return credentials.imsi !== undefined && credentials.pin !== undefined;
  }
}

/** Decode one WSP push PDU as a handset would: content type, SEC/MAC, document. */
export function unpackWsp(wsp: Uint8Array, credentials: SecurityCredentials = {}): UnpackedPush {
  const push = decodeWspPush(wsp);
  const mediaType = push.contentType.mediaType;
  const known = pushKindForContentType(mediaType);
  if (!known)
    throw new CodecError('OTA_UNSUPPORTED_CONTENT_TYPE', `no decoder for content type ${mediaType}`);

  let root: XmlElement;
  if (known.text) {
    root = parseXml(new TextDecoder('utf-8', { fatal: false }).decode(push.body));
  } else {
    root = decodeWbxml(push.body, { vocabulary: vocabularyFor(known.kind.documentType) }).root;
  }
  const documentType = documentTypeOf(root);
  if (documentType !== known.kind.documentType) {
    throw new CodecError(
      'OTA_CONTENT_TYPE_MISMATCH',
      `content type ${mediaType} carries a ${documentType} document`,
    );
  }

  const secCode = parameter(push.contentType.parameters, 'sec');
  const macParameter = parameter(push.contentType.parameters, 'mac');
  const sec = secCode === undefined ? null : securityMethodFromCode(Number(secCode));
  const mac = macParameter === undefined ? null : String(macParameter);
  let macValid: boolean | null = null;
  if (sec !== null && hasCredentialsFor(sec, credentials)) {
    macValid = verifyMac(sec, credentials, push.body, mac ?? undefined);
  }
  return {
    contentType: mediaType,
    pushKind: known.kind.kind,
    documentType,
    sec,
    mac,
    macValid,
    root,
    xml: serializeXml(root),
    wbxml: push.body,
    wsp,
  };
}

/** Reassemble TP-UD segments (any order), then decode the push. */
export function unpackSegments(tpuds: Uint8Array[], credentials: SecurityCredentials = {}): UnpackedPush {
  const datagram = reassembleSegments(tpuds);
  const unpacked = unpackWsp(datagram.payload, credentials);
  return { ...unpacked, destinationPort: datagram.destinationPort, sourcePort: datagram.sourcePort };
}
