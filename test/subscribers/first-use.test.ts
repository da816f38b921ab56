import { describe, expect, it } from 'vitest';
import { debounceWindowEnd, decideFirstUse, sameHandset } from '../../src/subscribers/first-use.ts';

const DEBOUNCE_MS = 10 * 60_000;
const IMEI_A = '490154203237518';
const IMEI_B = '356938035643809';
const t0 = new Date('2024-06-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
/** The gateway's clock in these cases: a day after t0, so every stored time is in the past. */
const NOW = later(86_400_000 * 31);

describe('decideFirstUse', () => {
  it('provisions a subscriber seen for the first time', () => {
    expect(decideFirstUse(undefined, { imei: IMEI_A, at: t0 }, DEBOUNCE_MS, NOW)).toBe('provision');
    expect(decideFirstUse({}, { imei: IMEI_A, at: t0 }, DEBOUNCE_MS, NOW)).toBe('provision');
  });

  it('does nothing for the same handset again, however soon or late', () => {
    const stored = { imei: IMEI_A, lastTriggerAt: t0 };
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(1000) }, DEBOUNCE_MS, NOW)).toBe('unchanged');
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(30 * 86_400_000) }, DEBOUNCE_MS, NOW)).toBe(
      'unchanged',
    );
  });

  it('provisions a new handset after the debounce window', () => {
    const stored = { imei: IMEI_A, lastTriggerAt: t0 };
    expect(decideFirstUse(stored, { imei: IMEI_B, at: later(DEBOUNCE_MS) }, DEBOUNCE_MS, NOW)).toBe(
      'provision',
    );
    expect(decideFirstUse({ imei: IMEI_A }, { imei: IMEI_B, at: t0 }, DEBOUNCE_MS, NOW)).toBe('provision');
  });

  // This case pinned fault 7 ("debounce keeps the first handset and drops the later one"): a handset
  // change inside the window now replaces the handset of the push the window holds.
  it('makes the last handset inside the window the one pushed to (flapping sends once)', () => {
    // A -> B provisions (its push waits for the window); B -> A one minute later: A is where the SIM is.
    const afterFirst = { imei: IMEI_B, lastTriggerAt: t0 };
    expect(decideFirstUse(afterFirst, { imei: IMEI_A, at: later(60_000) }, DEBOUNCE_MS, NOW)).toBe(
      'last-in-window',
    );
    expect(decideFirstUse(afterFirst, { imei: IMEI_A, at: later(DEBOUNCE_MS - 1) }, DEBOUNCE_MS, NOW)).toBe(
      'last-in-window',
    );
  });

  it('ignores a report inside the window older than one already seen (out of order)', () => {
    const stored = { imei: IMEI_B, lastTriggerAt: t0, lastSeenAt: later(30_000) };
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(20_000) }, DEBOUNCE_MS, NOW)).toBe('debounced');
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(40_000) }, DEBOUNCE_MS, NOW)).toBe(
      'last-in-window',
    );
  });

  it('does not let a window stored in the future (observedAt 9999-12-31 of old) debounce the SIM', () => {
    const stored = { imei: IMEI_B, lastTriggerAt: new Date('9999-12-31T00:00:00Z') };
    expect(decideFirstUse(stored, { imei: IMEI_A, at: NOW }, DEBOUNCE_MS, NOW)).toBe('provision');
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(-1000) }, DEBOUNCE_MS, later(0))).toBe(
      'provision',
    );
  });

  it('debounces a trigger that arrives out of order', () => {
    const stored = { imei: IMEI_B, lastTriggerAt: t0 };
    expect(decideFirstUse(stored, { imei: IMEI_A, at: later(-5000) }, DEBOUNCE_MS, NOW)).toBe('debounced');
  });

  it('never debounces with a zero window', () => {
    const stored = { imei: IMEI_B, lastTriggerAt: t0 };
    expect(decideFirstUse(stored, { imei: IMEI_A, at: t0 }, 0, NOW)).toBe('provision');
  });

  it('sees an IMEISV or an IMEI with another check digit as the same handset', () => {
    const stored = { imei: IMEI_A, lastTriggerAt: t0 };
    expect(decideFirstUse(stored, { imei: '4901542032375101', at: later(1) }, DEBOUNCE_MS, NOW)).toBe(
      'unchanged',
    );
  });
});

describe('debounceWindowEnd', () => {
  it('closes the window debounceMs after the trigger that opened it', () => {
    expect(debounceWindowEnd(t0, DEBOUNCE_MS)).toEqual(later(DEBOUNCE_MS));
    expect(debounceWindowEnd(t0, 0)).toEqual(t0);
  });
});

describe('sameHandset', () => {
  it('compares TAC and serial number (the first 14 digits)', () => {
    expect(sameHandset('490154203237518', '49015420323751')).toBe(true); // with and without check digit
    expect(sameHandset('490154203237518', '4901542032375199')).toBe(true); // IMEISV
    expect(sameHandset('49-015420-323751-8', '490154203237518')).toBe(true); // separators
    expect(sameHandset('490154203237518', '490154203237526')).toBe(false); // another serial
  });

  it('compares short or odd identifiers exactly', () => {
    expect(sameHandset('12345', '12345')).toBe(true);
    expect(sameHandset('12345', '123456')).toBe(false);
    expect(sameHandset('unknown', 'unknown')).toBe(true);
    expect(sameHandset('unknown', 'other')).toBe(false);
  });
});
