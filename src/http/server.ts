import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError, type ClientAuth, type TlsConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { parseCaBundle } from './middleware/client-cert.ts';

/**
 * The gateway's listening socket: plain HTTP, or with http.tls HTTPS only on the same port. Client
 * certificates are requested but not required by the handshake (rejectUnauthorized false): the app
 * decides per route (middleware/client-cert.ts) and answers a 401 that says what is wrong, and routes
 * that need no certificate (/healthz, care routes under clientAuth network) stay reachable.
 */

/** The contents of the http.tls files, checked. */
export interface ServerTls {
  keyPem: string;
  certPem: string;
  clientAuth: ClientAuth;
  /** http.tls.caFile's certificates (empty without a caFile) */
  clientCas: X509Certificate[];
  clientCaPem: string | undefined;
  /** The server certificate's SHA-256 fingerprint: how `otagw keys` recognises its own server. */
  fingerprint256: string;
}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${setting}: cannot read ${path} (${why})`);
  }
}

function parsed<T>(path: string, setting: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(`${setting}: ${path} is not ${what} (${(error as Error).message})`);
  }
}

/** Reads and checks the http.tls files; anything wrong with one is a ConfigError naming it. */
export function readServerTls(tls: TlsConfig, now = new Date()): ServerTls {
  const certPem = readPem(tls.certFile, 'http.tls.certFile');
  const keyPem = readPem(tls.keyFile, 'http.tls.keyFile');
  const cert = parsed(
    tls.certFile,
    'http.tls.certFile',
    'a PEM certificate',
    () => new X509Certificate(certPem),
  );
  const key: KeyObject = parsed(tls.keyFile, 'http.tls.keyFile', 'a PEM private key', () =>
    createPrivateKey(keyPem),
  );
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError(`http.tls.keyFile: ${tls.keyFile} is not the key of ${tls.certFile}`);
  }
  if (new Date(cert.validTo).getTime() < now.getTime()) {
    throw new ConfigError(`http.tls.certFile: ${tls.certFile} expired on ${cert.validTo}`);
  }
  let clientCaPem: string | undefined;
  let clientCas: X509Certificate[] = [];
  if (tls.caFile !== undefined) {
    const caFile = tls.caFile;
    clientCaPem = readPem(caFile, 'http.tls.caFile');
    clientCas = parsed(caFile, 'http.tls.caFile', 'a PEM certificate', () => parseCaBundle(clientCaPem!));
    if (clientCas.length === 0) {
      throw new ConfigError(`http.tls.caFile: ${caFile} holds no PEM certificate`);
    }
  }
  return {
    keyPem,
    certPem,
    clientAuth: tls.clientAuth,
    clientCas,
    clientCaPem,
    fingerprint256: cert.fingerprint256,
  };
}

export interface ListeningServer {
  server: Server | HttpsServer;
  /** http://host:port or https://host:port */
  url: string;
  /** Stops accepting and drops open connections (keep-alive, event streams). */
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** undefined: plain HTTP */
  tls: ServerTls | undefined;
  logger?: Logger;
}

function createListener(
  handler: RequestListener,
  tls: ServerTls | undefined,
  logger?: Logger,
): Server | HttpsServer {
  if (!tls) return createHttpServer(handler);
  const askForCert = tls.clientAuth !== 'none';
  const server = createHttpsServer(
    {
      key: tls.keyPem,
      cert: tls.certPem,
      ...(askForCert ? { ca: tls.clientCaPem, requestCert: true, rejectUnauthorized: false } : {}),
    },
    handler,
  );
  // Plain HTTP to the HTTPS port, scanners, clients that do not trust our certificate: no request
  // ever reaches the app, so this is the only trace.
  server.on('tlsClientError', (error, socket) =>
    logger?.debug({ err: error.message, peer: socket.remoteAddress }, 'TLS handshake failed'),
  );
  return server;
}

export async function listen(handler: RequestListener, options: ListenOptions): Promise<ListeningServer> {
  const server = createListener(handler, options.tls, options.logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
