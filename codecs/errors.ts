/**
 * The one error type every decoder and encoder in codecs/ throws. `code` is stable (tests and callers
 * switch on it); `offset` is the byte offset in the input where the problem was found, or -1 when the
 * problem is not positional (e.g. a bad option). `line` is set for XML input.
 */
export class CodecError extends Error {
  readonly code: string;
  readonly offset: number;
  readonly line: number | undefined;

  constructor(code: string, message: string, offset = -1, line?: number) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
    this.offset = offset;
    this.line = line;
  }
}
