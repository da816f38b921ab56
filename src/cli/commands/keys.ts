import { parseArgs } from 'node:util';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../../auth/api-keys.ts';
import { findLocalAdmin, DEFAULT_VAR_DIR, type LocalAdminEndpoint } from '../../auth/local-admin.ts';
import { LOCAL_ADMIN_HEADER } from '../../http/middleware/auth.ts';
import { ROLES, isRole } from '../../auth/roles.ts';
import { loadConfig } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { openDb, storeOptionsFromLocation } from '../../store/open-db.ts';
import { callGateway } from '../gateway-client.ts';
import { UsageError, type CliIo } from '../main.ts';

export const KEYS_USAGE = `usage: otagw keys <create|list|revoke> [options]
  create --role ROLE --name NAME   make a key (${ROLES.join(', ')}); the key is printed once, on the last line
  list [--all]                      keys (never their secrets); --all includes revoked ones
  revoke ID|PREFIX                  revoke a key by id or by the prefix shown in the list
options:
  --db LOCATION     the store (postgres://..., or a PGlite directory); default: config/ and the environment
  --var DIR         where a running server leaves its local endpoint (default ${DEFAULT_VAR_DIR})
While the server runs, the command goes through it (PGlite allows one process per data directory);
otherwise it opens the store itself.
`;

type Backend = { kind: 'server'; endpoint: LocalAdminEndpoint } | { kind: 'store'; db: Db };

async function openBackend(values: { db?: string; var?: string }): Promise<Backend> {
  const endpoint = await findLocalAdmin(values.var ?? DEFAULT_VAR_DIR);
  if (endpoint) return { kind: 'server', endpoint };
  const options =
    values.db !== undefined
      ? storeOptionsFromLocation(values.db)
      : (() => {
          const config = loadConfig();
          return { url: config.store.url, dataDir: config.store.dataDir };
        })();
  try {
    return { kind: 'store', db: await openDb(options) };
  } catch (error) {
    if ((error as { code?: string }).code === 'DATA_DIR_LOCKED') {
      throw new Error(
        'the data directory is in use by a running server that did not publish its local endpoint; ' +
          'create the key through the API (POST /v1/keys with an admin key) or stop the server',
        { cause: error },
      );
    }
    throw error;
  }
}

function callServer(
  endpoint: LocalAdminEndpoint,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  return callGateway(endpoint, { method, path, headers: { [LOCAL_ADMIN_HEADER]: endpoint.secret }, body });
}

function formatKey(
  key: Pick<ApiKeyRecord, 'id' | 'name' | 'role' | 'keyPrefix' | 'revokedAt'> & { createdAt: Date | string },
): string {
  const created = typeof key.createdAt === 'string' ? key.createdAt : key.createdAt.toISOString();
  const state = key.revokedAt ? 'revoked' : 'active';
  return `${key.id}  ${key.keyPrefix}…  ${key.role.padEnd(8)}  ${state.padEnd(7)}  ${created}  ${key.name}`;
}

/** The options parseArgs reads for every action. */
interface KeysOptions {
  role?: string;
  name?: string;
  all?: boolean;
  db?: string;
  var?: string;
}

async function createKey(values: KeysOptions, io: CliIo): Promise<number> {
  if (!values.role || !isRole(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  if (!values.name) throw new UsageError('--name is required');
  const backend = await openBackend(values);
  let key: string;
  let id: string;
  if (backend.kind === 'server') {
    const created = (await callServer(backend.endpoint, 'POST', '/v1/keys', {
      name: values.name,
      role: values.role,
    })) as {
      key: string;
      id: string;
    };
    key = created.key;
    id = created.id;
  } else {
    try {
      const created = await createApiKey(backend.db, {
        name: values.name,
        role: values.role,
        createdBy: 'cli',
      });
      key = created.key;
      id = created.record.id;
    } finally {
      await backend.db.close();
    }
  }
  io.stderr(`created ${values.role} key '${values.name}' (id ${id}); it is shown once, below:\n`);
  io.stdout(`${key}\n`);
  return 0;
}

async function listKeys(values: KeysOptions, io: CliIo): Promise<number> {
  const backend = await openBackend(values);
  let keys: Array<Parameters<typeof formatKey>[0]>;
  if (backend.kind === 'server') {
    const query = values.all ? '?includeRevoked=true' : '';
    keys = ((await callServer(backend.endpoint, 'GET', `/v1/keys${query}`)) as { keys: typeof keys }).keys;
  } else {
    try {
      keys = await listApiKeys(backend.db, { includeRevoked: values.all === true });
    } finally {
      await backend.db.close();
    }
  }
  for (const key of keys) io.stdout(formatKey(key) + '\n');
  if (keys.length === 0) io.stderr('no keys\n');
  return 0;
}

async function revokeKey(values: KeysOptions, target: string | undefined, io: CliIo): Promise<number> {
  if (!target) throw new UsageError('revoke needs a key id or prefix');
  const backend = await openBackend(values);
  if (backend.kind === 'server') {
    // The route takes an id; resolve a prefix through the list first.
    const { keys } = (await callServer(backend.endpoint, 'GET', '/v1/keys')) as { keys: ApiKeyRecord[] };
    const match = keys.filter((key) => key.id === target || key.keyPrefix === target);
    if (match.length !== 1) throw new Error(`no single live key matches '${target}'`);
    await callServer(backend.endpoint, 'DELETE', `/v1/keys/${match[0].id}`);
    io.stdout(`revoked ${match[0].id} (${match[0].name})\n`);
    return 0;
  }
  try {
    const revoked = await revokeApiKey(backend.db, target);
    if (!revoked) throw new Error(`no single live key matches '${target}'`);
    io.stdout(`revoked ${revoked.id} (${revoked.name})\n`);
    return 0;
  } finally {
    await backend.db.close();
  }
}

export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === 'help') {
    io.stdout(KEYS_USAGE);
    return action ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      all: { type: 'boolean' },
      db: { type: 'string' },
      var: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (action === 'create') return createKey(values, io);
  if (action === 'list') return listKeys(values, io);
  if (action === 'revoke') return revokeKey(values, positionals[0], io);
  throw new UsageError(`unknown action '${action}' (create, list, revoke)`);
}
