import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { ApiError } from '../errors.ts';

/**
 * The TLS client certificate check of the routes that ask for one (http.tls.clientAuth). The server
 * requests a certificate but completes the handshake without one (src/http/server.ts), so a caller
 * without a certificate, or with a wrong one, gets a 401 that says why instead of a handshake failure,
 * and the routes that need none (/healthz, care routes under clientAuth network) stay reachable.
 *
 * A certificate passes when OpenSSL verified it against the configured CA (socket.authorized), its
 * chain ends in one of those CA certificates, and it carries extendedKeyUsage clientAuth: the server's
 * own certificate (serverAuth only, and with its key on the server's disk) is not a client's.
 */

const CLIENT_AUTH_USAGE = '1.3.6.1.5.5.7.3.2';

export interface ClientCertRefusal {
  code: 'CLIENT_CERT_REQUIRED' | 'CLIENT_CERT_INVALID';
  /** missing | expired | not-yet-valid | untrusted-issuer | not-a-client-certificate */
  reason: string;
  message: string;
  /** OpenSSL's verification error, when it gave one (CERT_HAS_EXPIRED, ...) */
  tlsError?: string;
}

/** OpenSSL verification errors (tls.TLSSocket#authorizationError) as what they mean to the caller. */
const VERIFY_ERRORS: Record<string, { reason: string; message: string }> = {
  CERT_HAS_EXPIRED: { reason: 'expired', message: 'the client certificate has expired' },
  CERT_NOT_YET_VALID: { reason: 'not-yet-valid', message: 'the client certificate is not valid yet' },
  INVALID_PURPOSE: {
    reason: 'not-a-client-certificate',
    message: 'the certificate is not a client certificate (no extendedKeyUsage clientAuth)',
  },
};
const UNTRUSTED = {
  reason: 'untrusted-issuer',
  message: 'the client certificate was not issued by the CA this gateway trusts for clients',
};

/** The CA certificates of a PEM file (http.tls.caFile may hold several). */
export function parseCaBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function chainReaches(peer: DetailedPeerCertificate, fingerprints: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  for (let cert = peer; cert && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    if (fingerprints.has(cert.fingerprint256)) return true;
    seen.add(cert.fingerprint256);
  }
  return false;
}

function judge(socket: Partial<TLSSocket>, fingerprints: ReadonlySet<string>): ClientCertRefusal | null {
  const peer = socket.encrypted ? socket.getPeerCertificate?.(true) : undefined;
  if (!peer || !peer.raw) {
    return {
      code: 'CLIENT_CERT_REQUIRED',
      reason: 'missing',
      message: 'this route requires a TLS client certificate issued by the gateway client CA',
    };
  }
  if (socket.authorized !== true) {
    const tlsError = String(socket.authorizationError ?? 'unknown');
    const known = VERIFY_ERRORS[tlsError] ?? UNTRUSTED;
    return { code: 'CLIENT_CERT_INVALID', ...known, tlsError };
  }
  if (!chainReaches(peer, fingerprints)) return { code: 'CLIENT_CERT_INVALID', ...UNTRUSTED };
  if (!peer.ext_key_usage?.includes(CLIENT_AUTH_USAGE)) {
    return { code: 'CLIENT_CERT_INVALID', ...VERIFY_ERRORS.INVALID_PURPOSE };
  }
  return null;
}

/**
 * Checks the client certificate of a request's connection; the verdict is kept per connection (a
 * keep-alive connection presents one certificate for all its requests).
 */
export function createClientCertCheck(trustedCas: readonly X509Certificate[]): (socket: Socket) => void {
  const fingerprints = new Set(trustedCas.map((ca) => ca.fingerprint256));
  const verdicts = new WeakMap<Socket, ClientCertRefusal | null>();
  return (socket) => {
    let refusal = verdicts.get(socket);
    if (refusal === undefined) {
      refusal = judge(socket as Partial<TLSSocket>, fingerprints);
      verdicts.set(socket, refusal);
    }
    if (refusal) {
      const { code, message, ...details } = refusal;
      throw new ApiError(401, code, message, details);
    }
  };
}
