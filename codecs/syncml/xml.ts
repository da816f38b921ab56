import { CodecError } from '../errors.ts';
import type { SyncMlMessage } from './model.ts';

/** A SyncML message as XML text (docs/protocol-dm.md §1, §5.1). */
export function encodeSyncMlXml(message: SyncMlMessage): string {
  void message;
  throw new CodecError('SYNCML_NOT_IMPLEMENTED', 'encodeSyncMlXml is not implemented yet');
}

/** XML text (or its UTF-8 octets) to a SyncML message; CodecError for any malformed input. */
export function decodeSyncMlXml(input: string | Uint8Array): SyncMlMessage {
  void input;
  throw new CodecError('SYNCML_NOT_IMPLEMENTED', 'decodeSyncMlXml is not implemented yet');
}
