import { ByteReader } from '../bytes/reader.ts';
import { CodecError } from '../errors.ts';
import { readContentType } from './content-type.ts';
import { WSP_PDU_TYPE_CONFIRMED_PUSH, WSP_PDU_TYPE_PUSH } from './encode-wsp-push.ts';
import {
  SHORT_INTEGER_FLAG,
  SHORT_INTEGER_MAX,
  TEXT_FIRST_OCTET,
  TEXT_QUOTE,
  readCString,
  readIntegerValue,
  readRawValue,
  readTextString,
} from './primitives.ts';
import {
  X_WAP_APPLICATION_ID_FIELD,
  X_WAP_APPLICATION_ID_NAME,
  applicationIdName,
  headerFieldName,
} from './tables.ts';
import type { WspHeader, WspPush } from './types.ts';

export type { WspContentType, WspHeader, WspParameter, WspPush } from './types.ts';

/** X-Wap-Application-Id value: Integer-value (known id -> its URN) or a URI Text-string (docs/protocol.md §4.5). */
function decodeApplicationId(raw: Uint8Array, offset: number): string | number {
  const reader = new ByteReader(raw);
  try {
    const first = reader.peek();
    if (first >= TEXT_FIRST_OCTET && first < SHORT_INTEGER_FLAG)
      return readTextString(reader, 'application id');
    const code = readIntegerValue(reader, 'application id');
    return applicationIdName(code) ?? code;
  } catch (error) {
    if (error instanceof CodecError)
      throw new CodecError(error.code, error.message, offset + Math.max(error.offset, 0));
    throw error;
  }
}

/**
 * Decode a WSP Push (0x06) or ConfirmedPush (0x07) PDU (docs/protocol.md §4.1). Throws only CodecError:
 * WSP_NOT_PUSH, WSP_BAD_HEADERS_LENGTH, WSP_BAD_CONTENT_TYPE(_LENGTH), WSP_BAD_PARAMETER(_VALUE),
 * WSP_BAD_HEADER, WSP_UNSUPPORTED_HEADER_PAGE, TRUNCATED, ...
 */
export function decodeWspPush(bytes: Uint8Array): WspPush {
  const reader = new ByteReader(bytes);
  const transactionId = reader.u8('transaction id');
  const typeOffset = reader.offset;
  const pduType = reader.u8('PDU type');
  if (pduType !== WSP_PDU_TYPE_PUSH && pduType !== WSP_PDU_TYPE_CONFIRMED_PUSH) {
    throw new CodecError('WSP_NOT_PUSH', `PDU type 0x${pduType.toString(16)} is not Push (0x06)`, typeOffset);
  }
  const lengthOffset = reader.offset;
  const headersLength = reader.uintvar('HeadersLen');
  if (headersLength === 0 || headersLength > reader.remaining) {
    throw new CodecError(
      'WSP_BAD_HEADERS_LENGTH',
      `HeadersLen ${headersLength} does not fit the ${reader.remaining} octets after it (a content type is required)`,
      lengthOffset,
    );
  }
  const headersEnd = reader.offset + headersLength;
  const headerReader = new ByteReader(bytes, reader.offset, headersEnd);
  const contentType = readContentType(headerReader);

  let applicationId: string | number | undefined;
  const headers: WspHeader[] = [];
  while (!headerReader.atEnd) {
    const offset = headerReader.offset;
    const first = headerReader.peek('header');
    if (first >= SHORT_INTEGER_FLAG) {
      const code = headerReader.u8() & SHORT_INTEGER_MAX;
      const valueOffset = headerReader.offset;
      const raw = readRawValue(headerReader, `value of header 0x${code.toString(16)}`);
      if (code === X_WAP_APPLICATION_ID_FIELD && applicationId === undefined) {
        applicationId = decodeApplicationId(raw, valueOffset);
      } else {
        headers.push({ name: headerFieldName(code), value: raw.slice() });
      }
    } else if (first >= TEXT_FIRST_OCTET && first < TEXT_QUOTE) {
      // Application-header: Token-text + Text-string.
      const name = readCString(headerReader, 'header name');
      const value = readTextString(headerReader, `value of header ${name}`);
      if (name.toLowerCase() === X_WAP_APPLICATION_ID_NAME && applicationId === undefined)
        applicationId = value;
      else headers.push({ name, value });
    } else if (first === TEXT_QUOTE || (first >= 1 && first < TEXT_FIRST_OCTET)) {
      // Shift-delimiter / Short-cut-shift-delimiter (WSP 8.4.2.6): no push over SMS uses other code pages.
      throw new CodecError(
        'WSP_UNSUPPORTED_HEADER_PAGE',
        'header code page shifts are not supported',
        offset,
      );
    } else {
      throw new CodecError('WSP_BAD_HEADER', `header cannot start with 0x${first.toString(16)}`, offset);
    }
  }

  reader.offset = headersEnd;
  const push: WspPush = { transactionId, contentType, body: reader.rest().slice() };
  if (applicationId !== undefined) push.applicationId = applicationId;
  if (headers.length > 0) push.headers = headers;
  return push;
}
