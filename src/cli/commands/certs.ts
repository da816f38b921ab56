import { parseArgs } from 'node:util';
import { DEFAULT_CERTS_DIR, initCerts, type CertsLayout } from '../../auth/certs.ts';
import { UsageError, type CliIo } from '../main.ts';

export const CERTS_USAGE = `usage: otagw certs init [options]
  --dir DIR        where to write them (default ${DEFAULT_CERTS_DIR})
  --client NAME    a client certificate to create (repeatable; default: network)
  --host NAME      an extra server name or IP besides localhost and 127.0.0.1 (repeatable)
  --force          replace existing files (a new CA invalidates every certificate it signed)
Creates a development CA, a server certificate and client certificates for HTTPS with mutual TLS
on the network routes (http.tls in config/, or OTAGW_TLS_DIR=DIR). Private keys are written with
mode 0600. Then prints the configuration lines and a curl example.
`;

export async function certsCommand(argv: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === 'help') {
    io.stdout(CERTS_USAGE);
    return action ? 0 : 2;
  }
  if (action !== 'init') throw new UsageError(`unknown action '${action}' (init)`);
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      client: { type: 'string', multiple: true },
      host: { type: 'string', multiple: true },
      force: { type: 'boolean' },
    },
    strict: true,
  });
  const result = await initCerts({
    dir: values.dir,
    clients: values.client,
    hosts: values.host,
    force: values.force,
  });
  for (const path of result.created) io.stdout(`created ${path}\n`);
  for (const path of result.kept) io.stdout(`kept    ${path}\n`);
  io.stdout(`CA certificate (give it to clients): ${result.layout.caCert}\n`);
  io.stdout(howToServe(result.layout, values.client?.[0] ?? 'network'));
  return 0;
}

/** What to add to serve HTTPS with these files, and a first call that presents a client certificate. */
export function howToServe(layout: CertsLayout, client: string): string {
  return (
    `\nTo serve HTTPS, add to config/local.yaml (paths are relative to the working directory):\n` +
    `  http:\n    tls:\n` +
    `      certFile: ${layout.serverCert}\n      keyFile: ${layout.serverKey}\n` +
    `      caFile: ${layout.caCert}\n      clientAuth: network\n` +
    `or set in the environment:\n  OTAGW_TLS_DIR=${layout.dir}\n` +
    `(clientAuth network: triggers and device reports need a client certificate from this CA and an API key;\n` +
    ` OTAGW_TLS_CLIENT_AUTH=none|network|all changes it.)\n` +
    `\nA trigger over mutual TLS (port: your http.port):\n` +
    `  curl -s --cacert ${layout.caCert} \\\n` +
    `    --cert ${layout.clientCert(client)} --key ${layout.clientKey(client)} \\\n` +
    `    -X POST https://localhost:8080/v1/triggers/first-use \\\n` +
    `    -H 'Authorization: Bearer <network API key>' -H 'Content-Type: application/json' \\\n` +
    `    -d '{"imsi":"262019876543210","msisdn":"491701234567","imei":"356980010010018"}'\n`
  );
}
