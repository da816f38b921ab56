import type { Context } from 'koa';
import { ApiError } from '../errors.ts';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the raw body up to `limitBytes` (413 beyond it, without reading the rest into memory). */
export async function readRaw(ctx: Context, limitBytes: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new ApiError(413, 'BODY_TOO_LARGE', `the body may be at most ${limitBytes} bytes`, { limitBytes });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) {
      // Answer 413 instead of reading on; the connection closes after the answer so the rest is dropped.
      ctx.set('Connection', 'close');
      throw new ApiError(413, 'BODY_TOO_LARGE', `the body may be at most ${limitBytes} bytes`, {
        limitBytes,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

function decodeUtf8(raw: Buffer): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw new ApiError(400, 'BAD_ENCODING', 'the body is not valid UTF-8');
  }
}

export type BodyKind = 'json' | 'csv';

const MEDIA_TYPES: Record<BodyKind, string> = { json: 'application/json', csv: 'text/csv' };

export function mediaTypeOf(kind: BodyKind): string {
  return MEDIA_TYPES[kind];
}

/**
 * The request body as JSON (strict: application/json, valid UTF-8, well-formed) or as CSV text.
 * A missing body counts as an empty object for JSON so that the schema names the missing fields.
 */
export async function readBody(ctx: Context, kind: BodyKind, limitBytes: number): Promise<unknown> {
  const type = ctx.request.type; // media type without parameters, lower-case
  const raw = await readRaw(ctx, limitBytes);
  if (raw.length === 0 && kind === 'json') return {};
  if (type !== MEDIA_TYPES[kind] && !(kind === 'csv' && type === 'text/plain')) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as ${MEDIA_TYPES[kind]}`, {
      received: type || null,
    });
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
    throw new ApiError(415, 'UNSUPPORTED_CHARSET', 'the body must be UTF-8', { received: charset });
  }
  const text = decodeUtf8(raw);
  if (kind === 'csv') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(
      400,
      'MALFORMED_JSON',
      `the body is not well-formed JSON: ${(error as Error).message}`,
    );
  }
}
