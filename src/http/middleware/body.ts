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
  return readUpTo(ctx, limitBytes);
}

/**
 * The body's chunks up to `limitBytes`. Past the limit it stops listening and pauses the request
 * instead of destroying it (leaving a `for await` loop would): a destroyed request makes Koa answer its
 * own plain 500 after ours, and the error handler take the client for gone. The 413 goes out with
 * `Connection: close`, so the rest of the body is dropped with the connection.
 */
function readUpTo(ctx: Context, limitBytes: number): Promise<Buffer> {
  const req = ctx.req;
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      stop();
      req.pause();
      ctx.set('Connection', 'close');
      reject(
        new ApiError(413, 'BODY_TOO_LARGE', `the body may be at most ${limitBytes} bytes`, { limitBytes }),
      );
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    // The client went away before the end: the error handler's isClientAbort knows this error.
    const onClose = (): void => {
      stop();
      reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
