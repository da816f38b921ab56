import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
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
  /**
   * Drains, then closes: stops accepting connections at once, lets the requests in flight finish for up
   * to `drainMs` (default DEFAULT_DRAIN_MS), answers any request that arrives meanwhile on an open
   * keep-alive connection 503 with Retry-After (it is not handled, so nothing of it is stored), ends
   * event streams at once, then drops whatever connection is left. What the drain saw is logged
   * (`http: drained`).
   */
  close(drainMs?: number): Promise<void>;
}

/** What a drain saw: requests that finished in it, those refused 503, those cut at its deadline. */
export interface DrainReport {
  finished: number;
  refused: number;
  cut: number;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** undefined: plain HTTP */
  tls: ServerTls | undefined;
  logger?: Logger;
  /** http.headersTimeoutMs: a client slower than this with its headers is cut off (default 10 s) */
  headersTimeoutMs?: number;
  /** http.requestTimeoutMs: a request not received whole in this long gets 408 (default 30 s) */
  requestTimeoutMs?: number;
}

/**
 * Slow clients (issue 15 #13): Node's defaults (60 s for the headers, 300 s for the request) let a few
 * hundred connections that trickle a byte at a time hold the server's sockets for minutes.
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How long a shutdown lets requests in flight finish (a trigger is answered in milliseconds). */
export const DEFAULT_DRAIN_MS = 10_000;

/** How often node:http looks for connections past their timeouts (its default, 30 s, would let them run long). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

function createListener(
  handler: RequestListener,
  tls: ServerTls | undefined,
  logger?: Logger,
): Server | HttpsServer {
  const checking = { connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS };
  if (!tls) return createHttpServer(checking, handler);
  const askForCert = tls.clientAuth !== 'none';
  const server = createHttpsServer(
    {
      ...checking,
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

/** The answer to a request that arrives while the server drains: not handled, so the client may retry. */
function refuseWhileDraining(res: ServerResponse): void {
  const body = JSON.stringify({
    error: { code: 'SHUTTING_DOWN', message: 'the gateway is shutting down; retry', details: {} },
  });
  res.writeHead(503, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Retry-After': '1',
    Connection: 'close',
  });
  res.end(body);
}

/**
 * The requests being handled, so a shutdown can wait for them. Once draining, a new request is refused
 * (refuseWhileDraining) and every response is sent with `Connection: close`, so keep-alive clients
 * reconnect elsewhere instead of sending more on this connection.
 */
class InFlight {
  readonly requests = new Set<ServerResponse>();
  draining = false;
  finished = 0;
  refused = 0;
  private idle: (() => void) | undefined;

  wrap(handler: RequestListener): RequestListener {
    return (req, res) => {
      if (this.draining) {
        this.refused += 1;
        refuseWhileDraining(res);
        return;
      }
      this.requests.add(res);
      res.once('close', () => {
        this.requests.delete(res);
        if (this.draining) this.finished += 1;
        if (this.requests.size === 0) this.idle?.();
      });
      void handler(req, res);
    };
  }

  /** Resolves once no request is in flight, or after `ms`; true when all finished. */
  async settle(ms: number): Promise<boolean> {
    if (this.requests.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      new Promise<boolean>((resolve) => (this.idle = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return settled;
  }
}

function isEventStream(res: ServerResponse): boolean {
  return String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');
}

async function drain(
  server: Server | HttpsServer,
  inFlight: InFlight,
  drainMs: number,
  logger?: Logger,
): Promise<DrainReport> {
  inFlight.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections between requests hold nothing: closed now, so their clients reconnect elsewhere.
  server.closeIdleConnections();
  for (const res of inFlight.requests) {
    // Endless by design: they end with the server (their clients reconnect).
    if (isEventStream(res)) res.destroy();
    else if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  const waiting = inFlight.requests.size;
  const allFinished = await inFlight.settle(drainMs);
  const cut = inFlight.requests.size;
  if (!allFinished) {
    logger?.warn({ cut, drainMs }, `http: ${cut} requests still in flight after ${drainMs} ms, cut`);
  }
  server.closeAllConnections();
  await closed;
  const report = { finished: inFlight.finished, refused: inFlight.refused, cut };
  logger?.info({ ...report, waiting }, 'http: drained');
  return report;
}

export async function listen(handler: RequestListener, options: ListenOptions): Promise<ListeningServer> {
  const inFlight = new InFlight();
  const server = createListener(inFlight.wrap(handler), options.tls, options.logger);
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // node:http wants headersTimeout no longer than requestTimeout
  server.headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout);
  server.requestTimeout = requestTimeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${options.host}:${port}`,
    close: (drainMs = DEFAULT_DRAIN_MS) =>
      (closing ??= drain(server, inFlight, drainMs, options.logger).then(() => undefined)),
  };
}
