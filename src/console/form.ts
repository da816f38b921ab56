import type { Context } from 'koa';
import { ApiError } from '../http/errors.ts';

/** Forms are small: a reason, a search, a CSV pasted by an admin goes through the API's own limit. */
export const FORM_LIMIT_BYTES = 1024 * 1024;

/**
 * The fields of a form POST (application/x-www-form-urlencoded, what a browser sends for a <form> and
 * what the console's scripts send with URLSearchParams). A repeated field keeps its last value.
 */
export async function readForm(ctx: Context, limitBytes = FORM_LIMIT_BYTES): Promise<Record<string, string>> {
  const type = ctx.request.type;
  if (type !== 'application/x-www-form-urlencoded') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the form as application/x-www-form-urlencoded', {
      received: type || null,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      ctx.set('Connection', 'close');
      throw new ApiError(413, 'BODY_TOO_LARGE', `the form may be at most ${limitBytes} bytes`, {
        limitBytes,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
