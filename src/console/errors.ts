import type { Context } from 'koa';
import type { Logger } from 'pino';
import { isDependencyDown, renderError } from '../http/middleware/error-handler.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import type { ConsoleSession } from './sessions.ts';

/**
 * Errors as people read them. The console throws what the API throws (ApiError, ProvisioningError, a
 * store or Redis failure) and renders it here with renderError, so a status and code mean what they mean
 * over HTTP; pages get a sentence, the console's scripts get the API's { error: { code, message, details } }.
 */

/** Sentences for codes whose API message is written for programs; the rest show the API's message. */
const PLAIN_WORDS: Record<string, string> = {
  QUEUE_UNAVAILABLE:
    'The queue (Redis) cannot be reached, so nothing was sent or recorded. Try again in a moment.',
  REDIS_UNAVAILABLE: 'Redis cannot be reached. Live figures and sending are unavailable; try again shortly.',
  STORE_UNAVAILABLE: 'The database cannot be reached. Try again in a moment.',
  FORBIDDEN: 'Your API key’s role does not allow this page or action.',
  CSRF_INVALID:
    'This form was not accepted: it has expired or did not come from this console. Reload the page and try again.',
  SUBSCRIBER_NOT_FOUND: 'There is no subscriber with this number.',
  PROVISIONING_NOT_FOUND: 'There is no such provisioning.',
  SESSION_EXPIRED: 'Your session has ended. Sign in again.',
  NOT_FOUND: 'There is no such page in the console.',
  INTERNAL: 'Something went wrong on our side. The request id below identifies it in the logs.',
};

const TITLES: Record<number, string> = {
  400: 'That did not work',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible right now',
  413: 'Too large',
  415: 'Not accepted',
  422: 'Please check the form',
  429: 'Too many requests',
  503: 'Service unavailable',
};

export interface ReadableError {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  /** What the page says. */
  text: string;
}

export function readableError(error: unknown): ReadableError {
  const rendered = renderError(error);
  // A dependency failure that no domain error names (a store connection dropped mid-query) is still a 503.
  const down = rendered.status === 500 && isDependencyDown(error);
  const status = down ? 503 : rendered.status;
  const code = down ? 'STORE_UNAVAILABLE' : rendered.code;
  return {
    status,
    code,
    message: rendered.message,
    details: rendered.details,
    text: PLAIN_WORDS[code] ?? rendered.message,
  };
}

/** The console's scripts ask with Accept: application/json; they get the API's error shape. */
export function wantsJson(ctx: Context): boolean {
  return ctx.get('Accept').includes('application/json');
}

export function renderErrorPage(
  ctx: Context,
  error: ReadableError,
  session: ConsoleSession | undefined,
  requestId: string,
): void {
  ctx.status = error.status;
  if (wantsJson(ctx)) {
    ctx.body = { error: { code: error.code, message: error.text, details: error.details } };
    return;
  }
  const title = TITLES[error.status] ?? (error.status >= 500 ? 'Something went wrong' : 'That did not work');
  ctx.type = 'html';
  ctx.body = page({
    title,
    session,
    notice: { kind: 'error', text: error.text },
    body: html`<p class="muted">Code ${error.code} · request ${requestId}</p>
      <p><a href="/console">Back to the console</a></p>`,
  }).text;
}

export function logConsoleError(logger: Logger, error: unknown, readable: ReadableError, requestId: string) {
  if (readable.status >= 500) logger.error({ err: error, requestId, code: readable.code }, 'console error');
}
