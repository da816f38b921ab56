import { CodecError } from '../errors.ts';

/** Growable byte buffer for encoders. */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  get size(): number {
    return this.length;
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

  u16(value: number): this {
    return this.u8(value >> 8).u8(value);
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
    const groups: number[] = [value % 128];
    let rest = Math.floor(value / 128);
    while (rest > 0) {
      groups.push((rest % 128) | 0x80);
      rest = Math.floor(rest / 128);
    }
    for (let i = groups.length - 1; i >= 0; i--) this.u8(groups[i]);
    return this;
  }

  /** NUL-terminated string in UTF-8. */
  cstring(text: string): this {
    return this.bytes(utf8.encode(text)).u8(0);
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();
