import { CodecError } from '../errors.ts';

/** What ByteWriter.utf8 returns when it wrote the whole text. */
export const UTF8_WRITTEN = -1;

/** Octets the uintvar of a value in range takes: 1 for 0-127, up to 5 for 2^32 - 1. */
export function uintvarLength(value: number): number {
  let groups = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) groups++;
  return groups;
}

/**
 * Growable byte buffer for encoders. Writing allocates nothing but the occasional bigger buffer, so a
 * writer kept and `reset()` between calls (the WBXML encoder does) costs no garbage per encode.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  get size(): number {
    return this.length;
  }

  /** Forgets what was written, keeping the buffer for the next use. */
  reset(): this {
    this.length = 0;
    return this;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** mb_u_int32 (WBXML) = uintvar (WSP): big-endian base-128, continuation bit 0x80 (docs/protocol.md §1.2). */
  uintvar(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new CodecError('UINTVAR_RANGE', `uintvar value out of range: ${value}`);
    }
    if (value < 0x80) return this.u8(value);
    const groups = uintvarLength(value);
    this.ensure(groups);
    const buffer = this.buffer;
    let at = this.length + groups - 1;
    buffer[at] = value & 0x7f;
    for (let rest = value >>> 7; rest > 0; rest >>>= 7) buffer[--at] = (rest & 0x7f) | 0x80;
    this.length += groups;
    return this;
  }

  /**
   * Writes text as UTF-8, without a terminator. Returns UTF8_WRITTEN, or the code unit it refused having
   * written nothing: U+0000 (in a NUL-terminated string it would end the string early) or an unpaired
   * surrogate (UTF-8 cannot carry it; TextEncoder would silently send U+FFFD instead). The caller turns a
   * refusal into its own CodecError, which can say where the text came from.
   */
  utf8(text: string): number {
    this.ensure(text.length * 3); // a UTF-16 code unit takes at most 3 octets (a pair: 4 for 2)
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        if (code === 0) return code;
        buffer[at++] = code;
      } else if (code < 0x800) {
        buffer[at++] = 0xc0 | (code >> 6);
        buffer[at++] = 0x80 | (code & 0x3f);
      } else {
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
          const low = text.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            i++;
            buffer[at++] = 0xf0 | (code >> 18);
            buffer[at++] = 0x80 | ((code >> 12) & 0x3f);
            buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
            buffer[at++] = 0x80 | (code & 0x3f);
            continue;
          }
        }
        if (code >= 0xd800 && code <= 0xdfff) return code;
        buffer[at++] = 0xe0 | (code >> 12);
        buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
        buffer[at++] = 0x80 | (code & 0x3f);
      }
    }
    this.length = at;
    return UTF8_WRITTEN;
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** What the writers hold, one after the other, in one new array. */
  static concat(...writers: ByteWriter[]): Uint8Array {
    let total = 0;
    for (const writer of writers) total += writer.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const writer of writers) {
      bytes.set(writer.buffer.subarray(0, writer.length), at);
      at += writer.length;
    }
    return bytes;
  }
}
