/**
 * Who is calling, and the server's own credential (docs/protocol-dm.md §4). The handset proves CLCRED
 * (syncml:auth-md5 with the nonce the server issued; syncml:auth-basic only where allowed; or the
 * x-syncml-hmac header for HMAC accounts); the server presents SRVCRED with the nonce the handset issued.
 * Pure apart from the secrets it is handed.
 */
import {
  AUTH_BASIC,
  AUTH_MD5,
  buildChallenge,
  buildCredential,
  buildHmacHeader,
  decodeNonce,
  encodeNonce,
  newNonce,
  verifyCredential,
  verifyHmacHeader,
  type SyncMlChal,
  type SyncMlCred,
} from '../../codecs/syncml/index.ts';
import type { DmAccount } from './repository.ts';

export type ClientVerdict =
  | {
      ok: true;
      /** 212: authenticated for the session; 200: HMAC, every message is checked (§4.3) */
      code: '212' | '200';
      /** the NextNonce for the next Cred (or message, under HMAC), to be stored with the account */
      nextNonce: string;
      chal: SyncMlChal;
    }
  | {
      ok: false;
      /** 401: credentials refused; 407: none given (docs/protocol-dm.md §4.2) */
      code: '401' | '407';
      nextNonce: string;
      chal: SyncMlChal;
      reason: string;
    };

export interface ClientEvidence {
  cred: SyncMlCred | undefined;
  /** the x-syncml-hmac request header */
  hmac: string | undefined;
  body: Uint8Array;
}

/** The nonce octets a Cred may have been built with (docs/protocol-dm.md §9 #7: both readings). */
function nonceCandidates(nonceText: string): Uint8Array[] {
  if (nonceText === '') return [new Uint8Array(0)];
  const readings: Uint8Array[] = [];
  try {
    readings.push(decodeNonce(nonceText));
  } catch {
    // not base64: only the raw reading
  }
  readings.push(new Uint8Array(Buffer.from(nonceText, 'utf8')));
  return readings;
}

/** Checks the handset against its account; `nonce` is the last NextNonce the server gave it. */
export function checkClient(
  account: DmAccount,
  clientSecret: string,
  evidence: ClientEvidence,
  options: { nonce: string; basicAllowed: boolean },
): ClientVerdict {
  const next = newNonce();
  const nextNonce = encodeNonce(next);
  const hmac = account.clientAuthType === 'hmac';
  const chal = buildChallenge(account.clientAuthType === 'basic' ? AUTH_BASIC : AUTH_MD5, next);
  const expected = (nonce: Uint8Array) => ({ name: account.clientName, password: clientSecret, nonce });
  const candidates = nonceCandidates(options.nonce);
  if (hmac) {
    if (!evidence.hmac) return refuse('407', 'no x-syncml-hmac header', nextNonce, chal);
    const proved = candidates.some((nonce) =>
      verifyHmacHeader(evidence.hmac!, expected(nonce), evidence.body),
    );
    return proved
      ? { ok: true, code: '200', nextNonce, chal }
      : refuse('401', 'x-syncml-hmac does not prove the account secret', nextNonce, chal);
  }
  const { cred } = evidence;
  if (!cred) return refuse('407', 'no credentials', nextNonce, chal);
  const type = cred.meta?.type ?? AUTH_BASIC;
  if (type === AUTH_BASIC && !options.basicAllowed) {
    return refuse('401', 'syncml:auth-basic is not allowed for this account', nextNonce, chal);
  }
  const proved = candidates.some((nonce) => verifyCredential(cred, expected(nonce)));
  return proved
    ? { ok: true, code: '212', nextNonce, chal }
    : refuse('401', `wrong ${type} credentials`, nextNonce, chal);
}

function refuse(code: '401' | '407', reason: string, nextNonce: string, chal: SyncMlChal): ClientVerdict {
  return { ok: false, code, reason, nextNonce, chal };
}

/** The server's Cred for its SyncHdr (SRVCRED, with the nonce the handset issued; §4.3, §9 #9). */
export function serverCredential(account: DmAccount, serverSecret: string): SyncMlCred | undefined {
  if (account.serverAuthType === 'hmac') return undefined;
  const nonce = nonceCandidates(account.serverNonce)[0];
  const type = account.serverAuthType === 'basic' ? AUTH_BASIC : AUTH_MD5;
  return buildCredential(type, account.serverName, serverSecret, nonce);
}

/** The x-syncml-hmac response header of an HMAC account (docs/protocol-dm.md §4.3, §7). */
export function serverHmacHeader(
  account: DmAccount,
  serverSecret: string,
  body: Uint8Array,
): string | undefined {
  if (account.serverAuthType !== 'hmac') return undefined;
  return buildHmacHeader(account.serverName, serverSecret, nonceCandidates(account.serverNonce)[0], body);
}
