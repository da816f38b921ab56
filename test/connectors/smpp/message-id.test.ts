import { describe, expect, it } from 'vitest';
import { normaliseMessageId } from '../../../src/connectors/smpp/message-id.ts';

describe('normaliseMessageId', () => {
  it('makes a hex response id and a decimal receipt id of the same message equal', () => {
    expect(normaliseMessageId('1f4a', 'hex')).toBe(normaliseMessageId('8010', 'dec'));
  });

  it('ignores letter case and leading zeros of hex ids', () => {
    expect(normaliseMessageId('00001F4A', 'hex')).toBe('8010');
    expect(normaliseMessageId('1f4a', 'hex')).toBe('8010');
  });

  it('ignores leading zeros of decimal ids', () => {
    expect(normaliseMessageId('0000008010', 'dec')).toBe('8010');
  });

  it('reads a "decimal" id with hex letters as hex, like Kannel', () => {
    expect(normaliseMessageId('ff', 'dec')).toBe('255');
  });

  it('handles ids wider than 64 bits', () => {
    expect(normaliseMessageId('ffffffffffffffffffff', 'hex')).toBe('1208925819614629174706175');
  });

  it('keeps opaque ids as they are, apart from surrounding blanks and NULs', () => {
    expect(normaliseMessageId(' Ab-01\u0000', 'opaque')).toBe('Ab-01');
    expect(normaliseMessageId('0042', 'opaque')).toBe('0042');
  });

  it('falls back to the lower-cased string for ids that are not numbers in the configured base', () => {
    expect(normaliseMessageId('MSG-17', 'hex')).toBe('msg-17');
    expect(normaliseMessageId('msg-17', 'dec')).toBe('msg-17');
  });
});
