import { CodecError } from '../errors.ts';

const MAX_UINTVAR_OCTETS = 5; // 32-bit value, docs/protocol.md §1.2

/** Cursor over bytes for decoders. Every read past the end throws CodecError('TRUNCATED', offset). */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  private readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.end) {
      throw new CodecError('TRUNCATED', `input ends inside ${what}`, this.offset);
    }
  }

  peek(what = 'an octet'): number {
    this.need(1, what);
    return this.bytes[this.offset];
  }

  u8(what = 'an octet'): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  u16(what = 'a 16-bit integer'): number {
    this.need(2, what);
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }

  take(count: number, what = 'a byte string'): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  rest(): Uint8Array {
    const slice = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return slice;
  }

  /** mb_u_int32 / uintvar (docs/protocol.md §1.2). */
  uintvar(what = 'a uintvar'): number {
    const start = this.offset;
    let value = 0;
    for (let i = 0; i < MAX_UINTVAR_OCTETS; i++) {
      const octet = this.u8(what);
      value = value * 128 + (octet & 0x7f);
      if ((octet & 0x80) === 0) {
        if (value > 0xffffffff) throw new CodecError('UINTVAR_RANGE', `${what} exceeds 32 bits`, start);
        return value;
      }
    }
    throw new CodecError('UINTVAR_TOO_LONG', `${what} is longer than ${MAX_UINTVAR_OCTETS} octets`, start);
  }

  /** Octets up to (not including) the next NUL; consumes the NUL. */
  cstringBytes(what = 'a NUL-terminated string'): Uint8Array {
    const start = this.offset;
    const nul = this.bytes.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw new CodecError('TRUNCATED', `${what} has no NUL terminator`, start);
    this.offset = nul + 1;
    return this.bytes.subarray(start, nul);
  }

  cstring(what = 'a NUL-terminated string'): string {
    const start = this.offset;
    const raw = this.cstringBytes(what);
    try {
      return strictUtf8.decode(raw);
    } catch {
      throw new CodecError('INVALID_UTF8', `${what} is not valid UTF-8`, start);
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
