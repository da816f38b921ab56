import { describe, expect, it } from 'vitest';
import {
  isFinalState,
  parseNetworkErrorCode,
  stateFromMessageState,
  stateFromStat,
} from '../../../src/connectors/smpp/receipt-state.ts';

describe('receipt states', () => {
  it('maps message_state TLV values (SMPP 3.4 §5.2.28)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(stateFromMessageState)).toEqual([
      'enroute',
      'delivered',
      'expired',
      'deleted',
      'failed',
      'accepted',
      'unknown',
      'rejected',
    ]);
    expect(stateFromMessageState(200)).toBe('unknown');
  });

  it('maps stat words in any case, including non-standard ones', () => {
    expect(stateFromStat('DELIVRD')).toBe('delivered');
    expect(stateFromStat('undeliv')).toBe('failed');
    expect(stateFromStat('REJECTD')).toBe('rejected');
    expect(stateFromStat('EXPIRED')).toBe('expired');
    expect(stateFromStat('BUFFRED')).toBe('enroute');
    expect(stateFromStat('ACKED')).toBe('accepted');
    expect(stateFromStat('WHATEVER')).toBe('unknown');
  });

  it('knows which states are final', () => {
    expect(isFinalState('delivered')).toBe(true);
    expect(isFinalState('unknown')).toBe(true);
    expect(isFinalState('enroute')).toBe(false);
    expect(isFinalState('accepted')).toBe(false);
  });

  it('reads network_error_code as network type + 16-bit code, or as three ASCII digits', () => {
    expect(parseNetworkErrorCode(Uint8Array.of(0x03, 0x00, 0x22))).toBe(34);
    expect(parseNetworkErrorCode(Uint8Array.of(0x30, 0x33, 0x34))).toBe(34);
    expect(parseNetworkErrorCode(Uint8Array.of(0x01))).toBeUndefined();
  });
});
