/**
 * SyncML messages as WBXML (docs/protocol-dm.md §5.2–5.5): WBXML 1.2, public id 0x1201, UTF-8, no
 * string table; decoding also takes the public id as FPI text, SyncML 1.1 (0x0FD3), string tables and
 * STR_T, and Data as STR_I or OPAQUE anywhere.
 */
import { CodecError } from '../errors.ts';
import { treeToMessage } from './from-tree.ts';
import type { SyncMlMessage } from './model.ts';
import { messageToTree } from './to-tree.ts';
import { decodeSyncMlTree, encodeSyncMlTree } from './wbxml-tree.ts';

export interface EncodeSyncMlWbxmlOptions {
  /** The public id as FPI text in the string table instead of the number 0x1201 (see wbxml-tree.ts). */
  publicIdAsString?: boolean;
}

/**
 * A SyncML message as WBXML; VerDTD 1.1 gets the SyncML 1.1 public id. CodecError for what the model
 * cannot say (see to-tree.ts).
 */
export function encodeSyncMlWbxml(
  message: SyncMlMessage,
  options: EncodeSyncMlWbxmlOptions = {},
): Uint8Array {
  const tree = messageToTree(message, 'wbxml');
  return encodeSyncMlTree(tree, {
    verDtd: message.header.verDtd,
    publicIdAsString: options.publicIdAsString,
  });
}

/**
 * WBXML octets to a message. Malformed input throws CodecError only: the WBXML_* / TRUNCATED /
 * UINTVAR_* codes of wbxml-tree.ts and the SYNCML_* codes of the model (from-tree.ts).
 */
export function decodeSyncMlWbxml(bytes: Uint8Array): SyncMlMessage {
  try {
    return treeToMessage(decodeSyncMlTree(bytes).root);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    // Defensive, as decodeWbxml: hostile bytes must only ever produce CodecError.
    throw new CodecError(
      'WBXML_MALFORMED',
      `undecodable SyncML WBXML: ${String((error as Error)?.message ?? error)}`,
    );
  }
}
