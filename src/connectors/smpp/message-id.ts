/**
 * SMSC message ids, normalised so that the id in submit_sm_resp and the id in a delivery receipt compare
 * equal even when the SMSC writes them in different bases (docs/protocol.md §6.7, Kannel `msg-id-type`).
 *
 * - `hex`: the id is a hexadecimal number; normalised to unsigned decimal.
 * - `dec`: the id is a decimal number; normalised to unsigned decimal. As in Kannel, an id with
 *   non-decimal characters that is valid hex is read as hex.
 * - `opaque`: the spec behaviour: compared as a string (surrounding blanks and NULs removed).
 *
 * Leading zeros and letter case never matter for `hex` and `dec`. An id that is not a number in the
 * configured base falls back to `opaque` form (lower-cased), so a misconfigured SMSC still correlates
 * when both sides use the same spelling.
 */
export type MessageIdBase = 'hex' | 'dec' | 'opaque';

const DECIMAL = /^[0-9]+$/;
const HEXADECIMAL = /^[0-9a-fA-F]+$/;

export function normaliseMessageId(rawId: string, base: MessageIdBase): string {
  // eslint-disable-next-line no-control-regex -- some SMSCs pad ids with NULs
  const id = rawId.replace(/^[\s\x00]+|[\s\x00]+$/g, '');
  if (base === 'opaque') return id;
  if (base === 'dec' && DECIMAL.test(id)) return BigInt(id).toString(10);
  if (HEXADECIMAL.test(id)) return BigInt('0x' + id).toString(10);
  return id.toLowerCase();
}
