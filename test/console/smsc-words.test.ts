import { describe, expect, it } from 'vitest';
import { commandStatusCode, commandStatusName } from '../../src/connectors/smpp/command-status.ts';
import {
  COMMAND_STATUSES_IN_WORDS,
  bindStateMeaning,
  bindStateText,
  deliveryStateWords,
  receiptStatWords,
  submitErrorWords,
} from '../../src/console/pages/smsc-words.ts';

describe('the SMSC page in plain words', () => {
  it('names the pause before a bind dials again "reconnecting", and every other bind state by its name', () => {
    expect(bindStateText('reconnect-wait')).toBe('reconnecting');
    for (const state of [
      'idle',
      'connecting',
      'binding',
      'bound',
      'unbinding',
      'standby',
      'stopped',
      'failed',
    ]) {
      expect(bindStateText(state)).toBe(state);
    }
    expect(bindStateMeaning('failed')).toMatch(/needs an operator/);
    expect(bindStateText('a-state-from-a-newer-worker')).toBe('a-state-from-a-newer-worker');
  });

  it('has words only for real SMPP command status names', () => {
    expect(COMMAND_STATUSES_IN_WORDS.length).toBeGreaterThan(20);
    for (const name of COMMAND_STATUSES_IN_WORDS) {
      const code = commandStatusCode(name);
      expect(code, name).toBeDefined();
      expect(commandStatusName(code!)).toBe(name);
    }
  });

  it('says what a submit error means, with its SMPP name and code, whatever spelling was recorded', () => {
    expect(submitErrorWords('ESME_RTHROTTLED')).toBe(
      'ESME_RTHROTTLED (0x58): throttled: sending faster than the account allows',
    );
    expect(submitErrorWords('RINVDSTADR')).toBe('ESME_RINVDSTADR (0x0B): the destination number is refused');
    expect(submitErrorWords('0x104')).toBe('ESME_RINVDCS (0x104): the data coding is refused');
    expect(submitErrorWords('ESME_VENDOR_0x0401')).toBe(
      "ESME_VENDOR_0x0401: an error of the SMSC vendor's own",
    );
    expect(submitErrorWords('ESME_RCANCELFAIL')).toBe('ESME_RCANCELFAIL (0x11)');
    expect(submitErrorWords('unknown')).toMatch(/no answer from the SMSC/);
    expect(submitErrorWords('local-bug')).toMatch(/generic_nack/);
    expect(submitErrorWords('something else')).toBe('something else');
  });

  it('puts receipt stats and delivery states in words, unknown ones as they came', () => {
    expect(receiptStatWords('UNDELIV')).toBe('UNDELIV: handset out of coverage or memory full');
    expect(receiptStatWords('delivrd')).toBe('delivrd: delivered to the handset');
    expect(receiptStatWords('XYZZY')).toBe('XYZZY');
    expect(deliveryStateWords('failed')).toBe('undeliverable');
    expect(deliveryStateWords('odd')).toBe('odd');
  });
});
