import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * How `otagw keys` reaches a running server. PGlite is opened by one process at a time, so while the
 * server runs the command must not open the data directory itself. The server generates a secret at
 * start, accepts it (from loopback peers only, on the API-key routes) and writes it with its URL to
 * ./var/run/api.json (mode 0600: whoever can read it could read the data directory anyway).
 * When that file names a live process, the command goes through the server; otherwise it opens the store.
 *
 * A server serving HTTPS also writes the fingerprint of its certificate, so that the command can
 * reach it at https://127.0.0.1 and send the secret only to it (see connectPinned).
 */

export const DEFAULT_VAR_DIR = './var';

/** How the command recognises its own server over HTTPS. */
export interface LocalAdminTrust {
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

/**
 * A TLS connection to the server that published the endpoint, or an error before anything is sent.
 * The certificate is pinned, not verified against a CA: the handshake proves the peer holds the key of
 * exactly the certificate the server published, which a CA chain (not always at hand: http.tls.caFile is
 * the clients' CA) and a host name (a production certificate does not name 127.0.0.1) prove no better.
 */
function connectPinned(url: URL, fingerprint256: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tlsConnect({
      host,
      port: Number(url.port || 443),
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      if (socket.getPeerCertificate().fingerprint256 === fingerprint256) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(new Error(`the server at ${url.host} is not the one that published the local endpoint`));
    });
  });
}

/** One request to a running server's local admin endpoint, over HTTP or HTTPS as the server serves. */
export async function callLocalAdmin(
  endpoint: LocalAdminEndpoint,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<LocalAdminResponse> {
  const url = new URL(path, endpoint.url);
  let socket: TLSSocket | undefined;
  if (url.protocol === 'https:') {
    if (!endpoint.tls) throw new Error('the local endpoint names an https URL but no certificate');
    socket = await connectPinned(url, endpoint.tls.fingerprint256);
  }
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        // Over HTTPS: HTTP/1.1 on the connection checked above.
        ...(socket ? { createConnection: () => socket } : {}),
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined };
}
