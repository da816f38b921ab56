import { parseArgs } from 'node:util';
import { DEFAULT_CERTS_DIR, initCerts } from '../../auth/certs.ts';
import { UsageError, type CliIo } from '../main.ts';

export const CERTS_USAGE = `usage: otagw certs init [options]
  --dir DIR        where to write them (default ${DEFAULT_CERTS_DIR})
  --client NAME    a client certificate to create (repeatable; default: network)
  --host NAME      an extra server name or IP besides localhost and 127.0.0.1 (repeatable)
  --force          replace existing files (a new CA invalidates every certificate it signed)
Creates a development CA, a server certificate and client certificates for mutual TLS on the
trigger routes. Private keys are written with mode 0600.
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
  return 0;
}
