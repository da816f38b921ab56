import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { rootCertificates, type PeerCertificate } from 'node:tls';

/**
 * How `otagw keys` reaches a running server. PGlite is opened by one process at a time, so while the
 * server runs the command must not open the data directory itself. The server generates a secret at
 * start, accepts it (from loopback peers only, on the API-key routes) and writes it with its URL to
 * ./var/run/api.json (mode 0600: whoever can read it could read the data directory anyway).
 * When that file names a live process, the command goes through the server; otherwise it opens the store.
 *
 * A server serving HTTPS also writes what the command needs to trust it at https://127.0.0.1: the
 * certificates to accept as its chain's anchor and the fingerprint of its own certificate, which
 * replaces the host name check (a production certificate names the public host, not 127.0.0.1).
 */

export const DEFAULT_VAR_DIR = './var';

/** How the command recognises its own server over HTTPS. */
export interface LocalAdminTrust {
  /** PEM: the server certificate and http.tls.caFile (public CAs are trusted besides) */
  caPem: string;
  /** SHA-256 fingerprint of the server certificate (X509Certificate#fingerprint256) */
  fingerprint256: string;
}

export interface LocalAdminEndpoint {
  url: string;
  secret: string;
  pid: number;
  /** present when the server serves HTTPS */
  tls?: LocalAdminTrust;
}

export function localAdminFile(varDir: string = DEFAULT_VAR_DIR): string {
  return join(varDir, 'run', 'api.json');
}

export interface LocalAdminHandle {
  /** Pass to createApp({ localAdminSecret }). */
  secret: string;
  /** Call once the server listens (with the trust to publish when it serves HTTPS). */
  publish(url: string, tls?: LocalAdminTrust): Promise<void>;
  /** Call on shutdown. */
  remove(): Promise<void>;
}

export function prepareLocalAdmin(varDir: string = DEFAULT_VAR_DIR): LocalAdminHandle {
  const secret = randomBytes(32).toString('base64url');
  const file = localAdminFile(varDir);
  return {
    secret,
    publish: async (url, tls) => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const endpoint: LocalAdminEndpoint = { url, secret, pid: process.pid, ...(tls ? { tls } : {}) };
      await writeFile(file, JSON.stringify(endpoint), { mode: 0o600 });
    },
    remove: async () => {
      await rm(file, { force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server's endpoint, or undefined when no server (a stale file from a crash counts as none). */
export async function findLocalAdmin(
  varDir: string = DEFAULT_VAR_DIR,
): Promise<LocalAdminEndpoint | undefined> {
  let text: string;
  try {
    text = await readFile(localAdminFile(varDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const endpoint = JSON.parse(text) as Partial<LocalAdminEndpoint>;
    if (
      typeof endpoint.url !== 'string' ||
      typeof endpoint.secret !== 'string' ||
      typeof endpoint.pid !== 'number'
    ) {
      return undefined;
    }
    return isAlive(endpoint.pid) ? (endpoint as LocalAdminEndpoint) : undefined;
  } catch {
    return undefined;
  }
}

export interface LocalAdminResponse {
  status: number;
  body: unknown;
}

function pinnedTo(fingerprint256: string) {
  return (_host: string, cert: PeerCertificate): Error | undefined =>
    cert.fingerprint256 === fingerprint256
      ? undefined
      : new Error(`the server at this address is not the one that published the local endpoint`);
}

/**
 * One request to a running server's local admin endpoint, over http or https as it serves (fetch
 * cannot be told which CA to trust without undici, which is not a dependency).
 */
export async function callLocalAdmin(
  endpoint: LocalAdminEndpoint,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<LocalAdminResponse> {
  const url = new URL(path, endpoint.url);
  const https = url.protocol === 'https:';
  if (https && !endpoint.tls)
    throw new Error('the local endpoint names an https URL but no certificate to trust');
  const tlsOptions =
    https && endpoint.tls
      ? {
          ca: [...rootCertificates, endpoint.tls.caPem],
          checkServerIdentity: pinnedTo(endpoint.tls.fingerprint256),
        }
      : {};
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = https ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, ...tlsOptions }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined };
}
