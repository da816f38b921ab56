/**
 * Receipt states: the `message_state` TLV values and the `stat:` words of receipt text, mapped onto the
 * gateway's DeliveryState (docs/protocol.md §6.6).
 */
import type { DeliveryState } from '../types.ts';

/** message_state TLV (0x0427) values, SMPP 3.4 §5.2.28 (0 and 9 from SMPP 5.0). */
const MESSAGE_STATES: ReadonlyArray<readonly [number, DeliveryState]> = [
  [0, 'enroute'], // SCHEDULED (5.0): not yet attempted
  [1, 'enroute'], // ENROUTE
  [2, 'delivered'], // DELIVERED
  [3, 'expired'], // EXPIRED
  [4, 'deleted'], // DELETED
  [5, 'failed'], // UNDELIVERABLE
  [6, 'accepted'], // ACCEPTED
  [7, 'unknown'], // UNKNOWN
  [8, 'rejected'], // REJECTED
  [9, 'failed'], // SKIPPED (5.0)
];
const STATE_BY_MESSAGE_STATE = new Map(MESSAGE_STATES);

export function stateFromMessageState(messageState: number): DeliveryState {
  return STATE_BY_MESSAGE_STATE.get(messageState) ?? 'unknown';
}

/** `stat:` words: the seven of SMPP 3.4 Appendix B plus non-standard ones seen in the wild (docs/protocol.md §6.6). */
const STAT_WORDS: ReadonlyArray<readonly [string, DeliveryState]> = [
  ['DELIVRD', 'delivered'],
  ['DELIVERED', 'delivered'],
  ['EXPIRED', 'expired'],
  ['DELETED', 'deleted'],
  ['UNDELIV', 'failed'],
  ['UNDELIVERABLE', 'failed'],
  ['FAILED', 'failed'],
  ['ACCEPTD', 'accepted'],
  ['ACCEPTED', 'accepted'],
  ['ACKED', 'accepted'],
  ['UNKNOWN', 'unknown'],
  ['REJECTD', 'rejected'],
  ['REJECTED', 'rejected'],
  ['ENROUTE', 'enroute'],
  ['BUFFRED', 'enroute'],
  ['BUFFERD', 'enroute'],
  ['BUFFERED', 'enroute'],
  ['SCHEDULED', 'enroute'],
];
const STATE_BY_STAT = new Map(STAT_WORDS);

/** Unknown words map to `unknown` (the word itself is kept in DeliveryReport.stat). */
export function stateFromStat(stat: string): DeliveryState {
  return STATE_BY_STAT.get(stat.trim().toUpperCase()) ?? 'unknown';
}

/** States after which nothing more will happen to the message. */
export function isFinalState(state: DeliveryState): boolean {
  return state !== 'enroute' && state !== 'accepted';
}

/**
 * network_error_code TLV (0x0423): 3 octets, network type then a 16-bit error code (SMPP 3.4 §5.3.2.31).
 * Kannel also copes with SMSCs that send three ASCII digits instead (docs/protocol.md §6.6).
 */
export function parseNetworkErrorCode(value: Uint8Array): number | undefined {
  if (value.length !== 3) return undefined;
  const isAsciiDigit = (octet: number) => octet >= 0x30 && octet <= 0x39;
  if (isAsciiDigit(value[0]) && isAsciiDigit(value[1]) && isAsciiDigit(value[2])) {
    return Number(String.fromCharCode(value[0], value[1], value[2]));
  }
  return (value[1] << 8) | value[2];
}
