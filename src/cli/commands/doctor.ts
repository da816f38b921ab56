/**
 * `otagw doctor [--config DIR] [--timeout MS]`: checks what a gateway needs before it starts — the
 * configuration, Redis, the store and its migrations, each SMSC (reachable, and its credentials taken
 * by a real bind and unbind), the HTTPS files and their expiry — and prints each check as ok, warn or
 * FAIL with the fix in plain words. Exit code 1 when a check failed, 0 otherwise (warnings included).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import smpp from 'smpp';
import type { PDU } from 'smpp';
import { ConfigError, loadConfig, type Config, type TlsConfig } from '../../config.ts';
import type { SmscConfig } from '../../connectors/config.ts';
import { commandStatusName, ESME_ROK } from '../../connectors/smpp/command-status.ts';
import { RawSession, sessionOptionsOf } from '../../connectors/smpp/raw-session.ts';
import { readServerTls } from '../../http/server.ts';
import { ROLES, type Role } from '../../main.ts';
import { producerConnection, waitReady } from '../../queues/connection.ts';
import { redisServerOnPath } from '../../queues/embedded-redis.ts';
import { pendingMigrations } from '../../store/migrate.ts';
import { openDb } from '../../store/open-db.ts';
import { pingStore } from '../../store/repositories/health.ts';
import { parseCommandLine, UsageError, type CliIo } from '../main.ts';

export const DOCTOR_USAGE = `usage: otagw doctor [--config DIR] [--timeout MS] [--role ROLE]
  Checks the configuration, Redis, the store and its migrations, each SMSC (a real bind and unbind with
  its credentials: it takes one of the account's binds for a moment), the HTTPS files and the secrets
  several processes must share; says what is wrong and how to fix it. Exit code 1 when something is wrong.
  --config DIR   configuration directory (default ./config; env OTAGW_CONFIG_DIR)
  --timeout MS   how long each network check may take (default 5000)
  --role ROLE    the role the gateway starts in (${ROLES.join(', ')}; default all)
`;

/** A certificate that expires within this many days is a warning. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

type Level = 'ok' | 'warn' | 'FAIL';

interface Check {
  name: string;
  level: Level;
  detail: string;
  fix?: string;
}

const ok = (name: string, detail: string): Check => ({ name, level: 'ok', detail });
const warn = (name: string, detail: string, fix: string): Check => ({ name, level: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): Check => ({ name, level: 'FAIL', detail, fix });

const hidePassword = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

function messageOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function checkConfig(configDir: string | undefined): { check: Check; config?: Config } {
  try {
    const config = loadConfig({ configDir });
    return {
      check: ok('config', `read from ${configDir ?? process.env.OTAGW_CONFIG_DIR ?? './config'}`),
      config,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      check: fail(
        'config',
        error.message,
        'correct the setting named above in local.yaml of the configuration directory, or the environment variable that sets it',
      ),
    };
  }
}

async function checkRedis(config: Config, timeoutMs: number): Promise<Check> {
  const url = config.redis.url;
  if (!url) {
    return redisServerOnPath()
      ? ok('redis', `no redis.url: otagw start runs redis-server from PATH under ${config.redis.embeddedDir}`)
      : fail(
          'redis',
          'no redis.url (REDIS_URL) and no redis-server on PATH',
          'set REDIS_URL=redis://host:6379, or install redis-server (Debian/Ubuntu: apt-get install redis-server)',
        );
  }
  const redis = producerConnection({ url }, { retryStrategy: () => null, connectTimeout: timeoutMs });
  redis.on('error', () => undefined);
  try {
    await waitReady(redis, timeoutMs);
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    return ok('redis', `${hidePassword(url)} answers (Redis ${version})`);
  } catch (error) {
    return fail(
      'redis',
      `${hidePassword(url)} does not answer: ${messageOf(error)}`,
      'start Redis there, or point REDIS_URL / redis.url at one that runs (and check its password)',
    );
  } finally {
    redis.disconnect();
  }
}

function migrationsCheck(pending: string[], modified: string[]): Check {
  if (modified.length > 0) {
    return fail(
      'migrations',
      `applied migrations differ from this release's: ${modified.join(', ')}`,
      'run the release that applied them, or restore the migration files as released (they are never edited)',
    );
  }
  if (pending.length > 0) {
    return warn(
      'migrations',
      `${pending.length} pending: ${pending.join(', ')}`,
      'otagw start applies them (all in one transaction); back the store up first',
    );
  }
  return ok('migrations', 'all applied');
}

async function checkStore(config: Config, timeoutMs: number): Promise<Check[]> {
  const where = config.store.url ? hidePassword(config.store.url) : `PGlite under ${config.store.dataDir}`;
  // opening PGlite would create its files: a doctor only looks
  if (!config.store.url && !existsSync(config.store.dataDir)) {
    return [ok('store', `${where}: no database yet; otagw start creates it`)];
  }
  let db;
  try {
    db = await withTimeout(
      openDb({ url: config.store.url, dataDir: config.store.dataDir, poolSize: 1, migrate: false }),
      timeoutMs,
      'the store',
    );
    await withTimeout(pingStore(db), timeoutMs, 'the store');
  } catch (error) {
    await db?.close().catch(() => undefined);
    if ((error as { code?: unknown }).code === 'DATA_DIR_LOCKED') {
      return [
        warn(
          'store',
          `${where} is in use by a running gateway`,
          'run otagw doctor while it is stopped to check its migrations',
        ),
      ];
    }
    return [
      fail(
        'store',
        `${where}: ${messageOf(error)}`,
        config.store.url
          ? 'start PostgreSQL there, or correct DATABASE_URL / store.url (host, port, database, user, password)'
          : 'make store.dataDir (OTAGW_DATA_DIR) a directory this user may write',
      ),
    ];
  }
  try {
    const { pending, modified } = await pendingMigrations(db);
    return [
      ok('store', `${where} answers`),
      migrationsCheck(
        pending.map((migration) => migration.name),
        modified.map((migration) => migration.name),
      ),
    ];
  } finally {
    await db.close();
  }
}

/** Connects and binds with the SMSC's credentials, then unbinds; resolves with the bind's answer. */
function bindOnce(smsc: SmscConfig, timeoutMs: number): Promise<{ status: number }> {
  const session = new RawSession(sessionOptionsOf(smsc));
  const bound = new Promise<{ status: number }>((resolve, reject) => {
    session.on('error', reject);
    session.on('close', () => reject(new Error('the SMSC closed the connection')));
    session.on(smsc.tls ? 'secureConnect' : 'connect', () => {
      const command = smsc.bindMode === 'trx' ? 'bind_transceiver' : 'bind_transmitter';
      session.send(
        new smpp.PDU(command, {
          system_id: smsc.systemId,
          password: smsc.password,
          system_type: smsc.systemType,
          interface_version: 0x34, // SMPP 3.4 (docs/protocol.md §6.2); node-smpp defaults to 5.0
          addr_ton: smsc.bindTon,
          addr_npi: smsc.bindNpi,
          address_range: smsc.addressRange,
        }),
        (response: PDU) => resolve({ status: response.command_status }),
      );
    });
  });
  const unbound = bound.then(async (answer) => {
    if (answer.status === ESME_ROK) {
      await new Promise<void>((resolve) => session.send(new smpp.PDU('unbind', {}), () => resolve()));
    }
    return answer;
  });
  return withTimeout(unbound, timeoutMs, `smpp://${smsc.host}:${smsc.port}`).finally(() => session.destroy());
}

const CREDENTIAL_STATUSES = new Set([
  'ESME_RINVPASWD',
  'ESME_RINVSYSID',
  'ESME_RINVSYSTYP',
  'ESME_RBINDFAIL',
]);

async function checkSmsc(smsc: SmscConfig, timeoutMs: number): Promise<Check> {
  const name = `smsc ${smsc.id}`;
  const where = `${smsc.tls ? 'ssmpp' : 'smpp'}://${smsc.systemId}@${smsc.host}:${smsc.port}`;
  const started = Date.now();
  try {
    const { status } = await bindOnce(smsc, timeoutMs);
    if (status === ESME_ROK) return ok(name, `${where}: bound and unbound in ${Date.now() - started} ms`);
    const statusName = commandStatusName(status);
    return fail(
      name,
      `${where} refused the bind: ${statusName}`,
      CREDENTIAL_STATUSES.has(statusName)
        ? `check systemId, password and systemType of SMSC '${smsc.id}' (smsc.smscs, or SMSC_URL and SMSC_PASSWORD) with the SMSC's operator`
        : `ask the SMSC's operator what ${statusName} means for this account (too many binds? the account blocked?)`,
    );
  } catch (error) {
    return fail(
      name,
      `${where} is not reachable: ${messageOf(error)}`,
      smsc.tls
        ? "check host and port, that the SMSC's firewall lets this host in, and that its certificate is trusted (tlsCa)"
        : "check host and port, and that the SMSC's firewall lets this host in",
    );
  }
}

async function checkSmscs(config: Config, timeoutMs: number): Promise<Check[]> {
  const routing = config.smsc.routing;
  if (!routing) return [ok('smsc', 'none configured: otagw start runs the built-in simulator')];
  return Promise.all(routing.smscs.map((smsc) => checkSmsc(smsc, timeoutMs)));
}

function expiryCheck(name: string, file: string, pem: string, now: Date): Check {
  const cert = new X509Certificate(pem);
  const days = Math.floor((new Date(cert.validTo).getTime() - now.getTime()) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) {
    return warn(
      name,
      `${file} expires in ${days} days (${cert.validTo})`,
      'renew it before then (otagw certs for development)',
    );
  }
  return ok(name, `${file} valid until ${cert.validTo} (${days} days)`);
}

function checkTls(tls: TlsConfig | undefined, now = new Date()): Check[] {
  if (!tls) return [ok('tls', 'HTTP without TLS (http.tls not set)')];
  try {
    const read = readServerTls(tls, now);
    const checks = [expiryCheck('tls cert', tls.certFile, read.certPem, now)];
    if (tls.caFile) {
      read.clientCas.forEach((ca, index) =>
        checks.push(expiryCheck(`tls ca ${index + 1}`, tls.caFile!, ca.toString(), now)),
      );
    }
    return checks;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [
      fail(
        'tls',
        error.message,
        'put the right files at the paths of http.tls (or OTAGW_TLS_DIR); `otagw certs init --dir DIR` makes a development set',
      ),
    ];
  }
}

/** Which roles use each shared secret: the DM key seals (worker, w7) and opens (dm) accounts; the console runs with the API. */
const SECRET_USERS: Record<'dm key' | 'console key', readonly Role[]> = {
  'dm key': ['all', 'worker', 'dm'],
  'console key': ['all', 'api', 'dm'],
};

/**
 * dm.secretKey and console.cookieSecret: a process without them uses a key file under ./var of its own
 * host (generated at first start). Fine for one process (role all); any other role runs beside
 * processes that must seal, open or sign with the same key, so the file is a warning.
 */
export function checkSharedSecrets(config: Config, role: Role): Check[] {
  const secrets = [
    {
      name: 'dm key',
      set: !!config.dm.secretKey,
      file: config.dm.secretKeyFile,
      env: 'OTAGW_DM_SECRET_KEY',
      make: 'openssl rand -base64 32',
    },
    {
      name: 'console key',
      set: !!config.console.cookieSecret,
      file: config.console.secretFile,
      env: 'OTAGW_CONSOLE_COOKIE_SECRET',
      make: '32 characters or more',
    },
  ] as const;
  return secrets.map(({ name, set, file, env, make }) => {
    if (!SECRET_USERS[name].includes(role)) return ok(name, `not used by role ${role}`);
    if (set) return ok(name, `set (${env}): every process given the same value shares it`);
    if (role === 'all') return ok(name, `the key file ${file} (role all: one process)`);
    return warn(
      name,
      `not set: role ${role} uses the key file ${file}, which other processes (other hosts, containers) do not have`,
      `set ${env} (${make}) to the same value in every otagw process`,
    );
  });
}

function print(check: Check, io: CliIo): void {
  io.stdout(`${check.level.padEnd(4)}  ${check.name.padEnd(12)} ${check.detail}\n`);
  if (check.fix) io.stdout(`${' '.repeat(19)}fix: ${check.fix}\n`);
}

export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    config: { type: 'string' },
    timeout: { type: 'string', default: '5000' },
    role: { type: 'string', default: 'all' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(DOCTOR_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout must be a number of milliseconds');
  const role = values.role as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not '${role}'`);
  const { check, config } = checkConfig(values.config);
  const checks = [check];
  print(check, io);
  if (config) {
    const rest = await Promise.all([
      checkRedis(config, timeoutMs),
      checkStore(config, timeoutMs),
      checkSmscs(config, timeoutMs),
    ]);
    for (const found of [...rest.flat(), ...checkTls(config.http.tls), ...checkSharedSecrets(config, role)]) {
      checks.push(found);
      print(found, io);
    }
  }
  const failed = checks.filter((found) => found.level === 'FAIL').length;
  io.stdout(failed === 0 ? '\notagw doctor: nothing wrong\n' : `\notagw doctor: ${failed} wrong\n`);
  return failed === 0 ? 0 : 1;
}
