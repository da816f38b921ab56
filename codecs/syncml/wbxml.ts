import { CodecError } from '../errors.ts';
import type { SyncMlMessage } from './model.ts';

/** A SyncML message as WBXML 1.2, public id 0x1201 (docs/protocol-dm.md §5.2–5.5). */
export function encodeSyncMlWbxml(message: SyncMlMessage): Uint8Array {
  void message;
  throw new CodecError('SYNCML_NOT_IMPLEMENTED', 'encodeSyncMlWbxml is not implemented yet');
}

/** WBXML octets to a SyncML message; CodecError for any malformed input. */
export function decodeSyncMlWbxml(bytes: Uint8Array): SyncMlMessage {
  void bytes;
  throw new CodecError('SYNCML_NOT_IMPLEMENTED', 'decodeSyncMlWbxml is not implemented yet');
}
