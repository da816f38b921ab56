import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** A caller's id is kept when it is short and plain (it ends up in logs and the audit log). */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Gives every request an id (the caller's, when sane), echoed in the response and put on ctx.state. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const offered = ctx.get(REQUEST_ID_HEADER);
    const id = ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.state.requestId = id;
    ctx.set(REQUEST_ID_HEADER, id);
    await next();
  };
}
