/**
 * %Datetime as WBXML OPAQUE (docs/protocol.md §8.3): `YYYY-MM-DDThh:mm:ssZ` -> 14 digits, two per octet (first
 * digit in the high nibble), trailing zero octets dropped.
 */

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const DATETIME_DIGITS = 14;
const DATETIME_OCTETS = DATETIME_DIGITS / 2;

/** The OPAQUE octets for a %Datetime, or undefined when the text is not a valid one. */
export function packDatetime(text: string): Uint8Array | undefined {
  const match = DATETIME.exec(text);
  if (!match) return undefined;
  const [, , month, day, hour, minute, second] = match.map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const digits = match.slice(1).join('');
  const octets = new Uint8Array(DATETIME_OCTETS);
  for (let i = 0; i < DATETIME_OCTETS; i++) {
    octets[i] = ((digits.charCodeAt(2 * i) - 0x30) << 4) | (digits.charCodeAt(2 * i + 1) - 0x30);
  }
  let length = DATETIME_OCTETS;
  while (length > 0 && octets[length - 1] === 0) length--; // K octstr_drop_trailing_zeros
  return octets.subarray(0, length);
}

/** `YYYY-MM-DDThh:mm:ssZ` from OPAQUE octets (missing trailing octets are zeros), or undefined if not BCD. */
export function unpackDatetime(octets: Uint8Array): string | undefined {
  if (octets.length === 0 || octets.length > DATETIME_OCTETS) return undefined;
  let digits = '';
  for (let i = 0; i < DATETIME_OCTETS; i++) {
    const octet = i < octets.length ? octets[i] : 0;
    const high = octet >> 4;
    const low = octet & 0x0f;
    if (high > 9 || low > 9) return undefined;
    digits += String(high) + String(low);
  }
  return (
    `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}` +
    `T${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}Z`
  );
}
