import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { certsLayout, type CertsLayout } from './certs-layout.ts';

/**
 * Development certificates for HTTPS and mutual TLS: a CA, a server certificate it signs (for localhost
 * and 127.0.0.1 plus any names given) and client certificates (one per network element). Keys come from
 * node:crypto (fast, native RSA); node-forge builds and signs the X.509 certificates. Where the files go
 * (default ./var/certs): src/auth/certs-layout.ts.
 *
 * Server and client certificates differ in extendedKeyUsage (serverAuth / clientAuth only): the gateway
 * refuses a certificate without clientAuth as a client certificate, so the server's own certificate and
 * key, which sit on the server's disk, cannot stand in for a network element's.
 */

export { DEFAULT_CERTS_DIR, certsLayout, type CertsLayout } from './certs-layout.ts';

const RSA_BITS = 2048;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 825; // the longest lifetime TLS clients commonly accept for a leaf

export interface CertPair {
  keyPem: string;
  certPem: string;
}

export const CLIENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function newKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKey: forgeKey, publicKey, keyPem };
}

function serialNumber(): string {
  // Positive (high bit clear), 16 random bytes as RFC 5280 §4.1.2.2 allows up to 20.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number, now: Date): void {
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

export function createCa(commonName = 'otagw development CA', now = new Date()): CertPair {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, CA_VALIDITY_DAYS, now);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'otagw' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: keys.keyPem, certPem: forge.pki.certificateToPem(cert) };
}

export interface LeafOptions {
  commonName: string;
  kind: 'server' | 'client';
  /** Server only: DNS names and IP addresses to put in subjectAltName. */
  hosts?: string[];
  now?: Date;
}

export function issueCertificate(ca: CertPair, options: LeafOptions): CertPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, LEAF_VALIDITY_DAYS, options.now ?? new Date());
  cert.setSubject([
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: 'otagw' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    options.kind === 'server'
      ? { name: 'extKeyUsage', serverAuth: true }
      : { name: 'extKeyUsage', clientAuth: true },
  ];
  if (options.kind === 'server') {
    const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
    extensions.push({
      name: 'subjectAltName',
      altNames: hosts.map((host) =>
        /^[0-9.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host },
      ),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem: keys.keyPem, certPem: forge.pki.certificateToPem(cert) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface InitCertsOptions {
  dir?: string;
  /** Client certificates to create (default: one called "network"). */
  clients?: string[];
  /** Extra server names (DNS or IP) besides localhost and 127.0.0.1. */
  hosts?: string[];
  /** Replace existing files (default: keep an existing CA and server certificate). */
  force?: boolean;
}

export interface InitCertsResult {
  layout: CertsLayout;
  created: string[];
  kept: string[];
}

async function writePair(keyPath: string, certPath: string, pair: CertPair): Promise<void> {
  await writeFile(keyPath, pair.keyPem, { mode: 0o600 });
  await writeFile(certPath, pair.certPem, { mode: 0o644 });
}

/** Creates what is missing of the layout (everything with `force`). */
export async function initCerts(options: InitCertsOptions = {}): Promise<InitCertsResult> {
  const layout = certsLayout(options.dir);
  await mkdir(join(layout.dir, 'clients'), { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const kept: string[] = [];
  let ca: CertPair;
  if (!options.force && (await exists(layout.caKey)) && (await exists(layout.caCert))) {
    ca = { keyPem: await readFile(layout.caKey, 'utf8'), certPem: await readFile(layout.caCert, 'utf8') };
    kept.push(layout.caCert);
  } else {
    ca = createCa();
    await writePair(layout.caKey, layout.caCert, ca);
    created.push(layout.caCert);
  }
  const caIsNew = created.includes(layout.caCert);
  if (caIsNew || options.force || !(await exists(layout.serverCert))) {
    const hosts = ['localhost', '127.0.0.1', ...(options.hosts ?? [])];
    await writePair(
      layout.serverKey,
      layout.serverCert,
      issueCertificate(ca, { commonName: 'localhost', kind: 'server', hosts }),
    );
    created.push(layout.serverCert);
  } else {
    kept.push(layout.serverCert);
  }
  for (const name of options.clients ?? ['network']) {
    if (!CLIENT_NAME_PATTERN.test(name))
      throw new Error(`client name '${name}' must match ${CLIENT_NAME_PATTERN}`);
    const certPath = layout.clientCert(name);
    if (caIsNew || options.force || !(await exists(certPath))) {
      await writePair(
        layout.clientKey(name),
        certPath,
        issueCertificate(ca, { commonName: name, kind: 'client' }),
      );
      created.push(certPath);
    } else {
      kept.push(certPath);
    }
  }
  return { layout, created, kept };
}
