import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../codecs/bytes/reader.ts';
import { ByteWriter } from '../../codecs/bytes/writer.ts';
import { fromHex, toHex } from '../../codecs/bytes/hex.ts';
import { CodecError } from '../../codecs/errors.ts';

// docs/protocol.md §1.2 examples
const UINTVAR_EXAMPLES: Array<[number, string]> = [
  [0, '00'],
  [127, '7f'],
  [128, '8100'],
  [160, '8120'],
  [16383, 'ff7f'],
  [16384, '818000'],
  [0xffffffff, '8fffffff7f'],
];

describe('uintvar', () => {
  it.each(UINTVAR_EXAMPLES)('encodes %i as %s and back', (value, hex) => {
    expect(toHex(new ByteWriter().uintvar(value).toBytes())).toBe(hex);
    expect(new ByteReader(fromHex(hex)).uintvar()).toBe(value);
  });

  it('rejects a uintvar longer than five octets', () => {
    expect(() => new ByteReader(fromHex('818181818100')).uintvar()).toThrow(
      expect.objectContaining({ code: 'UINTVAR_TOO_LONG' }),
    );
  });

  it('reports truncation with the offset', () => {
    try {
      new ByteReader(fromHex('81')).uintvar();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).code).toBe('TRUNCATED');
    }
  });
});

describe('hex', () => {
  it('rejects odd-length hex', () => {
    expect(() => fromHex('abc')).toThrow(expect.objectContaining({ code: 'HEX_ODD_LENGTH' }));
  });
  it('rejects non-hex characters', () => {
    expect(() => fromHex('zz')).toThrow(expect.objectContaining({ code: 'HEX_INVALID' }));
  });
});
