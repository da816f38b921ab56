import { CodecError } from '../errors.ts';

/** Hex text -> bytes. Accepts upper or lower case and ignores spaces/colons between octets. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0)
    throw new CodecError('HEX_ODD_LENGTH', `hex text has an odd number of digits (${clean.length})`);
  if (!/^[0-9a-fA-F]*$/.test(clean))
    throw new CodecError('HEX_INVALID', 'hex text contains a character that is not a hex digit');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Bytes -> lower-case hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
