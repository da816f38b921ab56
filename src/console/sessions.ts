import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Role } from '../auth/roles.ts';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import {
  deleteConsoleSession,
  deleteEndedConsoleSessions,
  insertConsoleSession,
  isConsoleSessionLive,
  touchConsoleSession,
} from './repository.ts';

/**
 * Console sessions. The cookie holds a random id and its HMAC (so a forged or altered cookie is refused
 * before any lookup); the store keeps only a SHA-256 of the id (repository.ts). The API key itself is
 * checked once at sign-in and never kept: the session points at the key's row, so revoking the key ends
 * it. The cookie is HttpOnly, SameSite=Strict, scoped to /console, and Secure over HTTPS.
 */

export const SESSION_COOKIE = 'otagw_console';
/** A short-lived nonce for the sign-in form's CSRF token, before there is a session. */
export const SIGN_IN_COOKIE = 'otagw_console_sign_in';
const COOKIE_PATH = '/console';
const SIGN_IN_NONCE_MS = 30 * 60_000;

export interface ConsoleSession {
  /** The key's id, name (the actor in the audit log) and role. */
  principal: { id: string; name: string; role: Role };
  /** Put in every form (hidden field _csrf) and in the x-csrf-token header of the console's fetches. */
  csrfToken: string;
  idHash: string;
}

function mac(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('base64url');
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** `value.mac` as the cookie carries it; the value when the MAC is ours. */
function unsign(secret: string, purpose: string, cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const dot = cookie.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const value = cookie.slice(0, dot);
  return sameToken(cookie.slice(dot + 1), mac(secret, purpose, value)) ? value : undefined;
}

function setCookie(ctx: Context, name: string, value: string | null, maxAgeMs?: number): void {
  ctx.cookies.set(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    path: COOKIE_PATH,
    signed: false,
    overwrite: true,
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  });
}

export class ConsoleSessions {
  constructor(
    private readonly db: Db,
    private readonly settings: Config['console'],
    private readonly secret: () => Promise<string>,
  ) {}

  /** Starts a session for a key checked by the caller, and sets its cookie. */
  async start(ctx: Context, key: { id: string }): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await deleteEndedConsoleSessions(this.db);
    await insertConsoleSession(this.db, {
      idHash: hashId(id),
      apiKeyId: key.id,
      idleMs: this.settings.sessionIdleMs,
      absoluteMs: this.settings.sessionAbsoluteMs,
    });
    setCookie(ctx, SESSION_COOKIE, `${id}.${mac(await this.secret(), 'session', id)}`);
    setCookie(ctx, SIGN_IN_COOKIE, null);
  }

  /** The request's live session (its idle deadline moved on), or undefined: none, forged, ended. */
  async current(ctx: Context): Promise<ConsoleSession | undefined> {
    const secret = await this.secret();
    const id = unsign(secret, 'session', ctx.cookies.get(SESSION_COOKIE));
    if (!id) return undefined;
    const idHash = hashId(id);
    const stored = await touchConsoleSession(this.db, idHash, this.settings.sessionIdleMs);
    if (!stored) return undefined;
    return {
      principal: { id: stored.apiKeyId, name: stored.keyName, role: stored.role },
      csrfToken: mac(secret, 'csrf', id),
      idHash,
    };
  }

  /** Whether a session found earlier still holds (not counted as use: it does not move the idle deadline). */
  stillLive(session: ConsoleSession): Promise<boolean> {
    return isConsoleSessionLive(this.db, session.idHash);
  }

  /** True when the request came with a session cookie (ended or not): "expired" rather than "sign in". */
  hadCookie(ctx: Context): boolean {
    return Boolean(ctx.cookies.get(SESSION_COOKIE));
  }

  async end(ctx: Context, session: ConsoleSession | undefined): Promise<void> {
    if (session) await deleteConsoleSession(this.db, session.idHash);
    setCookie(ctx, SESSION_COOKIE, null);
  }

  /** The sign-in form's CSRF token: bound to a nonce cookie set with the form. */
  async signInToken(ctx: Context): Promise<string> {
    const secret = await this.secret();
    let nonce = unsign(secret, 'sign-in', ctx.cookies.get(SIGN_IN_COOKIE));
    if (!nonce) {
      nonce = randomBytes(16).toString('base64url');
      setCookie(ctx, SIGN_IN_COOKIE, `${nonce}.${mac(secret, 'sign-in', nonce)}`, SIGN_IN_NONCE_MS);
    }
    return mac(secret, 'sign-in-csrf', nonce);
  }

  async checkSignInToken(ctx: Context, presented: string | undefined): Promise<boolean> {
    const secret = await this.secret();
    const nonce = unsign(secret, 'sign-in', ctx.cookies.get(SIGN_IN_COOKIE));
    return nonce !== undefined && sameToken(presented, mac(secret, 'sign-in-csrf', nonce));
  }
}
