/**
 * `otagw start [--role all|api|worker|smsc-sim|dm]`: runs the gateway until SIGINT/SIGTERM, then shuts
 * down in the order of SHUTDOWN_ORDER (src/main.ts: HTTP, workers, SMPP unbind, simulator, events, queue,
 * Redis connections, store, embedded redis-server). With nothing configured (`npm start`): one
 * process with HTTP on 127.0.0.1:8080, a worker, PGlite under ./var/db, a redis-server under ./var and
 * the SMSC simulator on 127.0.0.1:2775 bound over loopback TCP.
 */
import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { countApiKeys, createApiKey, writeFirstStartKey } from '../../auth/api-keys.ts';
import { certsLayout } from '../../auth/certs-layout.ts';
import { ConfigError, loadConfig, type TlsConfig } from '../../config.ts';
import { ROLES, startGateway, type Gateway, type Role } from '../../main.ts';
import { RedisUnavailableError } from '../../queues/embedded-redis.ts';
import { UsageError, type CliIo } from '../main.ts';
import { runUntilSignal } from '../until-signal.ts';

export const START_USAGE = `usage: otagw start [--role all|api|worker|smsc-sim|dm] [--config DIR]
  --role R      all (default): everything in one process; api: HTTP only; worker: queue workers with
                their SMPP binds; smsc-sim: the SMSC simulator alone; dm: HTTP with the OMA DM server
  --config DIR  configuration directory (default ./config; env OTAGW_CONFIG_DIR)
Environment: PORT, HOST, REDIS_URL, DATABASE_URL, OTAGW_DATA_DIR, SMSC_URL (+ SMSC_PASSWORD), LOG_LEVEL,
OTAGW_TLS_DIR (HTTPS with the files of 'otagw certs init --dir DIR'), OTAGW_TLS_CLIENT_AUTH (none|network|all).
`;

function parseOptions(argv: string[]): { role: Role; configDir?: string } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string', default: 'all' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const role = values.role as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not '${role}'`);
  return { role, configDir: values.config };
}

const shown = (path: string): string => relative(process.cwd(), path) || path;

/** The CA to give curl: caFile is the clients' CA, which `otagw certs init` also signs the server with. */
function caShown(tls: TlsConfig): string {
  return tls.caFile ? shown(tls.caFile) : '<CA of the server certificate>';
}

/**
 * curl's TLS options for the first trigger (each on its own line, before -X): the CA to trust, and where clientAuth asks for one a client
 * certificate (the "network" one of `otagw certs init` when caFile sits in such a directory).
 */
function curlTlsOptions(tls: TlsConfig | undefined): string {
  if (!tls) return '';
  const ca = caShown(tls);
  if (tls.clientAuth === 'none') return ` --cacert ${ca} \\\n   `;
  const layout = certsLayout(dirname(tls.caFile!));
  const [cert, key] = existsSync(layout.clientCert('network'))
    ? [shown(layout.clientCert('network')), shown(layout.clientKey('network'))]
    : ['<client certificate>', '<client key>'];
  return ` --cacert ${ca} \\\n    --cert ${cert} --key ${key} \\\n   `;
}

/**
 * The first-start key goes to a file of mode 0600 whose path is printed; the key itself only to a
 * terminal (issue 15 #13). Returns what the curl hint should put after Bearer.
 */
export async function announceFirstKey(key: string, io: CliIo, varDir?: string): Promise<string> {
  const file = await writeFirstStartKey(key, varDir);
  if (io.isTerminal) {
    io.stdout(`API key         ${key}  (role network, also in ${file}; manage keys with 'otagw keys')\n`);
    return key;
  }
  io.stdout(`API key         in ${file} (mode 0600; role network; manage keys with 'otagw keys')\n`);
  return `$(cat ${file})`;
}

/** On a first start there is no API key at all: make one for the network role (announceFirstKey). */
async function firstKeyHint(gateway: Gateway, io: CliIo): Promise<void> {
  const context = gateway.context;
  if (!context || !gateway.httpUrl) return;
  let key = '<network API key>';
  if ((await countApiKeys(context.db)) === 0) {
    const created = await createApiKey(context.db, {
      name: 'first-start',
      role: 'network',
      createdBy: 'otagw start',
    });
    key = await announceFirstKey(created.key, io);
  }
  const body = JSON.stringify({ imsi: '262019876543210', msisdn: '491701234567', imei: '356980010010018' });
  const tls = gateway.config.http.tls;
  // The simulator's virtual handset checks the push's NETWPIN MAC with the IMSI of the SIM it holds.
  const control = gateway.simulator?.controlUrl;
  if (control) {
    io.stdout(
      `\nPut the SIM in the simulator's handset (it checks the signature with the IMSI):\n` +
        `  curl -s -X PUT ${control}/subscribers/491701234567 -H 'Content-Type: application/json' \\\n` +
        // The control API always asks for its token (printed above when it was generated).
        `    -H 'Authorization: Bearer <the control token>' \\\n` +
        `    -d '{"imsi":"262019876543210"}'\n`,
    );
  }
  io.stdout(
    `\nFirst trigger:\n  curl -s${curlTlsOptions(tls)} -X POST ${gateway.httpUrl}/v1/triggers/first-use \\\n` +
      `    -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \\\n    -d '${body}'\n` +
      `Then: curl -s${tls ? ` --cacert ${caShown(tls)}` : ''} ${gateway.httpUrl}/v1/provisionings/<provisioningId> -H 'Authorization: Bearer <care key>'\n\n`,
  );
}

/** The command body, stoppable by a signal (tests abort it; the CLI wires SIGINT/SIGTERM). */
export async function runStart(argv: string[], io: CliIo, stop: AbortSignal): Promise<number> {
  const options = parseOptions(argv);
  if (options === 'help') {
    io.stdout(START_USAGE);
    return 0;
  }
  let gateway: Gateway;
  try {
    const config = loadConfig({ configDir: options.configDir });
    gateway = await startGateway({ role: options.role, config, announce: (text) => io.stdout(`${text}\n`) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RedisUnavailableError) {
      io.stderr(`otagw start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  io.stdout(`otagw start: role ${gateway.role} running (Ctrl-C stops)\n`);
  await firstKeyHint(gateway, io).catch((error: unknown) =>
    io.stderr(`otagw start: could not prepare the first API key: ${(error as Error).message}\n`),
  );
  if (!stop.aborted)
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  io.stdout('otagw start: stopping\n');
  await gateway.stop();
  io.stdout('otagw start: stopped\n');
  return 0;
}

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const code = await runUntilSignal((stop) => runStart(argv, io, stop));
  // The shutdown ran, each step within its deadline (src/main.ts); what a part left behind (a BullMQ
  // connection still retrying a Redis that is gone) must not keep the process alive past it.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}
