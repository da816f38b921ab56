import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../codecs/bytes/reader.ts';
import { ByteWriter, UTF8_WRITTEN, uintvarLength } from '../../codecs/bytes/writer.ts';
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

  it.each(UINTVAR_EXAMPLES)('knows %i takes as many octets as %s', (value, hex) => {
    expect(uintvarLength(value)).toBe(hex.length / 2);
  });

  it.each([-1, 0x100000000, 1.5, Number.NaN])('refuses to write %d with UINTVAR_RANGE', (value) => {
    expect(() => new ByteWriter().uintvar(value)).toThrow(expect.objectContaining({ code: 'UINTVAR_RANGE' }));
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

describe('ByteWriter', () => {
  it('grows past its initial capacity and keeps what was written', () => {
    const writer = new ByteWriter(2);
    for (let i = 0; i < 300; i++) writer.u8(i);
    writer.bytes(new Uint8Array(1000).fill(7)).uintvar(0xffffffff);
    const bytes = writer.toBytes();
    expect(writer.size).toBe(1305);
    expect([...bytes.subarray(0, 300)]).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
    expect(toHex(bytes.subarray(1300))).toBe('8fffffff7f');
  });

  it('writes UTF-8 like TextEncoder for every kind of code point', () => {
    const text = 'a\u00e9\u20ac\u{1f600}z';
    const writer = new ByteWriter(1);
    expect(writer.utf8(text)).toBe(UTF8_WRITTEN);
    expect(toHex(writer.toBytes())).toBe(toHex(new TextEncoder().encode(text)));
  });

  it.each([
    ['U+0000', 'ab\u0000c', 0],
    ['a lone high surrogate', 'ab\ud83d', 0xd83d],
    ['a high surrogate before a non-surrogate', '\ud83dx', 0xd83d],
    ['a lone low surrogate', 'x\ude00', 0xde00],
  ])('refuses %s, returning the code unit and writing nothing', (_, text, refused) => {
    const writer = new ByteWriter().u8(0x03);
    expect(writer.utf8(text)).toBe(refused);
    expect(toHex(writer.toBytes())).toBe('03');
  });

  it('starts over after reset() and joins writers with concat()', () => {
    const first = new ByteWriter().u8(1).u8(2);
    first.reset().u8(9);
    const second = new ByteWriter().bytes(new Uint8Array([4, 5]));
    expect(toHex(ByteWriter.concat(first, second, new ByteWriter()))).toBe('090405');
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
