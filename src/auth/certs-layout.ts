import { join } from 'node:path';

/**
 * Where `otagw certs init` writes its files. Apart from src/auth/certs.ts (which needs node-forge to make
 * them) so that the configuration can name them (OTAGW_TLS_DIR) without loading node-forge.
 *
 *   ca.key.pem ca.cert.pem server.key.pem server.cert.pem clients/<name>.key.pem clients/<name>.cert.pem
 */

export const DEFAULT_CERTS_DIR = './var/certs';

export interface CertsLayout {
  dir: string;
  caKey: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: (name: string) => string;
  clientCert: (name: string) => string;
}

export function certsLayout(dir: string = DEFAULT_CERTS_DIR): CertsLayout {
  return {
    dir,
    caKey: join(dir, 'ca.key.pem'),
    caCert: join(dir, 'ca.cert.pem'),
    serverKey: join(dir, 'server.key.pem'),
    serverCert: join(dir, 'server.cert.pem'),
    clientKey: (name) => join(dir, 'clients', `${name}.key.pem`),
    clientCert: (name) => join(dir, 'clients', `${name}.cert.pem`),
  };
}
