import { expect } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import { el } from '../../../codecs/xml/element.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';

/** The tree without `line` (decoded trees have none), for comparing by shape. */
export function shape(element: XmlElement): XmlElement {
  return el(
    element.name,
    element.attributes,
    element.children.map((child) => (typeof child === 'string' ? child : shape(child))),
  );
}

/** Runs `run`, asserts it throws a CodecError, and returns it. */
export function codecErrorOf(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

/** Bytes from a compact spec-style layout: hex octets and "quoted text" (UTF-8), separated by spaces. */
export function bytesOf(layout: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (const match of layout.matchAll(/"([^"]*)"|([0-9A-Fa-f]{2})/g)) {
    if (match[1] !== undefined) out.push(...encoder.encode(match[1]));
    else out.push(parseInt(match[2], 16));
  }
  return Uint8Array.from(out);
}
