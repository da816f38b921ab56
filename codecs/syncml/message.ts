import { CodecError } from '../errors.ts';
import { syncMlEncodingOf } from './constants.ts';
import type { SyncMlEncoding } from './constants.ts';
import { decodeBase64 } from './auth.ts';
import type { SyncMlItem, SyncMlMessage, SyncMlMeta } from './model.ts';
import { decodeSyncMlWbxml, encodeSyncMlWbxml } from './wbxml.ts';
import { decodeSyncMlXml, encodeSyncMlXml } from './xml.ts';

/** A message in either representation, as octets (XML as UTF-8): what an HTTP body carries. */
export function encodeSyncMl(message: SyncMlMessage, encoding: SyncMlEncoding): Uint8Array {
  return encoding === 'wbxml'
    ? encodeSyncMlWbxml(message)
    : new Uint8Array(Buffer.from(encodeSyncMlXml(message), 'utf8'));
}

/**
 * An HTTP body in the representation its Content-Type names, or that its first octet shows
 * (docs/protocol-dm.md §9 #2). CodecError('SYNCML_UNKNOWN_ENCODING') when neither tells.
 */
export function decodeSyncMl(
  body: Uint8Array,
  contentType?: string,
): { message: SyncMlMessage; encoding: SyncMlEncoding } {
  const encoding = syncMlEncodingOf(contentType, body);
  if (!encoding) {
    throw new CodecError(
      'SYNCML_UNKNOWN_ENCODING',
      `neither the content type ${contentType ?? '(none)'} nor the first octet tells XML from WBXML`,
      0,
    );
  }
  const message = encoding === 'wbxml' ? decodeSyncMlWbxml(body) : decodeSyncMlXml(body);
  return { message, encoding };
}

/**
 * The octets an Item's Data stands for: base64-decoded under Format b64 (the Item's Meta, else the
 * command's), as sent otherwise (text as UTF-8). Undefined without Data. CodecError('SYNCML_INVALID_BASE64').
 */
export function dataOctets(item: SyncMlItem, commandMeta?: SyncMlMeta): Uint8Array | undefined {
  const data = item.data;
  if (data === undefined) return undefined;
  if (typeof data !== 'string') return data;
  const format = (item.meta?.format ?? commandMeta?.format)?.toLowerCase();
  return format === 'b64' ? decodeBase64(data, 'Item Data') : new Uint8Array(Buffer.from(data, 'utf8'));
}
