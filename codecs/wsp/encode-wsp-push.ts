import { ByteWriter } from '../bytes/writer.ts';
import { CodecError } from '../errors.ts';
import { writeContentType } from './content-type.ts';
import {
  SHORT_INTEGER_FLAG,
  SHORT_INTEGER_MAX,
  readRawValue,
  writeIntegerValue,
  writeTextString,
  writeTokenText,
} from './primitives.ts';
import { ByteReader } from '../bytes/reader.ts';
import { X_WAP_APPLICATION_ID_FIELD, applicationIdCode, headerFieldCode } from './tables.ts';
import type { WspHeader, WspPush } from './types.ts';

export type { WspContentType, WspHeader, WspParameter, WspPush } from './types.ts';

/** PDU type of a Push, WSP Table 34 (docs/protocol.md §4.1). */
export const WSP_PDU_TYPE_PUSH = 0x06;
/** PDU type of a ConfirmedPush (connection-oriented; decoders accept it as Android does, docs/protocol.md §4.1). */
export const WSP_PDU_TYPE_CONFIRMED_PUSH = 0x07;

const TRANSACTION_ID_MAX = 0xff; // one octet, docs/protocol.md §4.1

/** X-Wap-Application-Id value: Integer-value for a known id or a number, else the URI as Text-string (docs/protocol.md §4.5). */
function writeApplicationId(writer: ByteWriter, applicationId: string | number): void {
  writer.u8(SHORT_INTEGER_FLAG | X_WAP_APPLICATION_ID_FIELD);
  if (typeof applicationId === 'number') {
    writeIntegerValue(writer, applicationId);
    return;
  }
  const code = applicationIdCode(applicationId);
  if (code !== undefined) writeIntegerValue(writer, code);
  else writeTextString(writer, applicationId, 'application id');
}

/** A raw well-known field value must be exactly one encoded value, or the header block goes out of step. */
function checkRawValue(name: string, value: Uint8Array): void {
  const ok = (() => {
    if (value.length === 0) return false;
    try {
      const reader = new ByteReader(value);
      readRawValue(reader);
      return reader.atEnd;
    } catch {
      return false;
    }
  })();
  if (!ok)
    throw new CodecError(
      'WSP_BAD_HEADER_VALUE',
      `header ${name}: the raw value is not one encoded WSP value`,
    );
}

function writeHeader(writer: ByteWriter, header: WspHeader): void {
  const code = headerFieldCode(header.name);
  if (code !== undefined && code <= SHORT_INTEGER_MAX) {
    writer.u8(SHORT_INTEGER_FLAG | code);
    if (typeof header.value === 'string') {
      writeTextString(writer, header.value, `header ${header.name}`);
    } else {
      checkRawValue(header.name, header.value);
      writer.bytes(header.value);
    }
    return;
  }
  // Application-header: Token-text name + Application-specific-value (Text-string).
  if (typeof header.value !== 'string') {
    throw new CodecError('WSP_BAD_HEADER_VALUE', `application header ${header.name} needs a text value`);
  }
  writeTokenText(writer, header.name, 'header name');
  writeTextString(writer, header.value, `header ${header.name}`);
}

/**
 * WSP Push PDU (docs/protocol.md §4.1): TID, 0x06, HeadersLen (uintvar), Content-Type, X-Wap-Application-Id,
 * other headers, body.
 */
export function encodeWspPush(push: WspPush): Uint8Array {
  const { transactionId, body } = push;
  if (!Number.isInteger(transactionId) || transactionId < 0 || transactionId > TRANSACTION_ID_MAX) {
    throw new CodecError('WSP_BAD_TRANSACTION_ID', `transaction id must be 0-255: ${transactionId}`);
  }
  const headers = new ByteWriter(64);
  writeContentType(headers, push.contentType);
  if (push.applicationId !== undefined) writeApplicationId(headers, push.applicationId);
  for (const header of push.headers ?? []) writeHeader(headers, header);
  const headerBytes = headers.toBytes();

  const prefix = new ByteWriter(8)
    .u8(transactionId)
    .u8(WSP_PDU_TYPE_PUSH)
    .uintvar(headerBytes.length)
    .toBytes();
  // One allocation and one copy of the body: signing thousands of pushes a second goes through here.
  const pdu = new Uint8Array(prefix.length + headerBytes.length + body.length);
  pdu.set(prefix, 0);
  pdu.set(headerBytes, prefix.length);
  pdu.set(body, prefix.length + headerBytes.length);
  return pdu;
}
