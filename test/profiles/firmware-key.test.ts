/**
 * firmwareKey: the text the store compares firmware versions by (campaign selection by the rules) orders
 * exactly as compareFirmware does, the order the worker's selectProfile uses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareFirmware, firmwareKey } from '../../src/profiles/rules.ts';

/** Plain byte order, as SQL's COLLATE "C" compares (the key is ASCII). */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const firmware = fc.oneof(
  fc.string({ unit: fc.constantFrom('0', '1', '2', '9', '.', ' ', 'V', 'R', 'A', '-'), maxLength: 14 }),
  fc.array(fc.nat({ max: 1_000 }), { maxLength: 5 }).map((parts) => parts.join('.')),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map((big) => `${big}.${big % 7n}`),
);

describe('firmwareKey', () => {
  it('orders any two versions as compareFirmware does', () => {
    fc.assert(
      fc.property(firmware, firmware, (a, b) => {
        expect(Math.sign(byteOrder(firmwareKey(a), firmwareKey(b)))).toBe(Math.sign(compareFirmware(a, b)));
      }),
      { numRuns: 5_000 },
    );
  });

  it('treats trailing zeros, leading zeros and letters as compareFirmware does', () => {
    expect(firmwareKey('5')).toBe(firmwareKey('5.0.0'));
    expect(firmwareKey('005.9')).toBe(firmwareKey('5.9'));
    expect(firmwareKey('abc')).toBe('');
    expect(firmwareKey('R3A011')).toBe(firmwareKey('3.11'));
    expect(byteOrder(firmwareKey('V 5.02'), firmwareKey('V 5.10'))).toBe(-1);
    expect(byteOrder(firmwareKey('10.1'), firmwareKey('9.9'))).toBe(1);
    expect(byteOrder(firmwareKey('5.1.0'), firmwareKey('5.10'))).toBe(-1);
    expect(byteOrder(firmwareKey('1' + '0'.repeat(30)), firmwareKey('9'.repeat(29)))).toBe(1);
  });
});
