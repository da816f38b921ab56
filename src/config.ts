/**
 * The only reader of the environment and of config/*.yaml (DESIGN house rule 10): files + env ->
 * zod validation -> one frozen object passed down. Durations carry their unit; secrets have no defaults.
 *
 * Precedence: built-in defaults < config/default.yaml < config/local.yaml (optional) < environment.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { operatorDeviceDefaultSchema } from './devices/resolve-device.ts';
import { parseGroupPolicies, PolicyError, type GroupPolicy } from './subscribers/policy.ts';
import { parseSmscUrl, smscRoutingSchema, type SmscRoutingConfig } from './connectors/config.ts';
import { certsLayout } from './auth/certs-layout.ts';
import {
  DEFAULT_RATE_LIMIT,
  DEFAULT_ROLE_RATE_LIMITS,
  DEFAULT_UNAUTHENTICATED_RATE_LIMIT,
} from './http/middleware/rate-limit.ts';
import { ROLES } from './auth/roles.ts';
import { requestsConfigSchema } from './subscribers/request-keywords.ts';
import { textsConfigSchema } from './texts/templates.ts';

const durationMs = z.number().int().min(1);

/**
 * Which routes ask for a TLS client certificate from http.tls.caFile. network: the routes of the
 * network role (triggers, device reports); all: every route but /healthz; none: HTTPS alone.
 */
export const CLIENT_AUTH_MODES = ['none', 'network', 'all'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

/** Who may scrape /metrics. open: anyone who reaches the port; operator: an operator (or admin) API key. */
export const METRICS_ACCESS_MODES = ['open', 'operator'] as const;
export type MetricsAccess = (typeof METRICS_ACCESS_MODES)[number];

/** One token bucket: sustained requests per second, and how many at once after being idle. */
const rateLimitSchema = z.strictObject({
  ratePerSecond: z.number().positive(),
  burst: z.number().int().min(1),
});

function dropUndefined<T>(record: Record<string, T | undefined>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Record<
    string,
    T
  >;
}

const fileSchema = z.strictObject({
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** present: the gateway serves HTTPS only, on http.port (src/http/server.ts) */
      tls: z
        .strictObject({
          certFile: z.string().min(1),
          keyFile: z.string().min(1),
          /** the CA client certificates must be issued by */
          caFile: z.string().min(1).optional(),
          /** default: network when caFile is given, none otherwise */
          clientAuth: z.enum(CLIENT_AUTH_MODES).optional(),
        })
        .optional(),
      /**
       * per API key and per process: N api processes let a key send N times this (rate-limit.ts). A key's
       * limit is keys[its name], else roles[its role] (defaults DEFAULT_ROLE_RATE_LIMITS) capped by
       * ratePerSecond/burst; unauthenticated: each remote address's budget of 401s before it gets 429s
       */
      rateLimit: z
        .strictObject({
          /** sustained requests per second */
          ratePerSecond: z.number().positive().default(DEFAULT_RATE_LIMIT.ratePerSecond),
          /** requests a key may send at once after being idle */
          burst: z.number().int().min(1).default(DEFAULT_RATE_LIMIT.burst),
          roles: z
            .strictObject(Object.fromEntries(ROLES.map((role) => [role, rateLimitSchema.optional()])))
            .default({})
            .transform((roles) => ({ ...DEFAULT_ROLE_RATE_LIMITS, ...dropUndefined(roles) })),
          keys: z.record(z.string().min(1), rateLimitSchema).default({}),
          unauthenticated: rateLimitSchema.default(DEFAULT_UNAUTHENTICATED_RATE_LIMIT),
        })
        .prefault({}),
      /**
       * GET /metrics on an address of its own (a management network, a port Prometheus alone reaches),
       * besides the API port's /metrics under metricsAccess; port 0: any free port (tests)
       */
      metrics: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: z.number().int().min(0).max(65535),
        })
        .optional(),
      /** a client that has not sent its headers within this long is cut off (node:http headersTimeout) */
      headersTimeoutMs: z.number().int().min(1000).default(10_000),
      /** a request (headers and body) not received within this long is answered 408 (node:http requestTimeout) */
      requestTimeoutMs: z.number().int().min(1000).default(30_000),
      metricsAccess: z.enum(METRICS_ACCESS_MODES).default('open'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** postgres://..., memory:// or file:DIR; absent: PGlite under dataDir */
      url: z.string().min(1).optional(),
      dataDir: z.string().min(1).default('./var/db'),
      poolSize: z.number().int().min(1).default(10),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** redis://...; absent: a redis-server on PATH is started under embeddedDir */
      url: z.string().min(1).optional(),
      embeddedDir: z.string().min(1).default('./var/redis'),
      /** 0: pick a free port */
      embeddedPort: z.number().int().min(0).max(65535).default(0),
      /** BullMQ key prefix; tests use a unique one per run */
      prefix: z.string().min(1).default('otagw'),
    })
    .prefault({}),
  smsc: z
    .strictObject({
      /** SMSC connections; empty: the built-in simulator is started and bound over loopback TCP */
      smscs: z.array(z.unknown()).default([]),
      routes: z.array(z.unknown()).default([]),
      simulator: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: z.number().int().min(0).max(65535).default(2775),
          controlPort: z.number().int().min(0).max(65535).nullable().default(2776),
          /** the bearer token of the control API (a secret: no default); absent: otagw start generates one and prints it */
          controlToken: z.string().min(1).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  provisioning: z
    .strictObject({
      /**
       * after a first use the push waits this long; a trigger for the same SIM in another handset within it
       * moves the push to that handset (the last one wins), the same one again changes nothing
       */
      debounceMs: z.number().int().min(0).default(60_000), // 0: no window (tests)
      /** submitted but no final receipt for this long: expired */
      receiptTimeoutMs: durationMs.default(48 * 3600_000),
      /** job attempts (first try included) before a transient failure becomes final */
      attempts: z.number().int().min(1).default(8),
      /** exponential backoff base between attempts */
      backoffMs: durationMs.default(2_000),
      workerConcurrency: z.number().int().min(1).default(50),
      /** how long a worker holds a job lock before another may take it over (stalled-job recovery) */
      lockDurationMs: durationMs.default(30_000),
      stalledIntervalMs: durationMs.default(15_000),
      /** expiry of submitted pushes and of unanswered confirmations */
      expirySweepIntervalMs: durationMs.default(60_000),
      /** re-enqueue provisionings whose job vanished (Redis restart) */
      recoverySweepIntervalMs: durationMs.default(60_000),
      /** a queued/submitting provisioning untouched for this long is checked by the recovery sweep */
      recoveryStaleMs: durationMs.default(120_000),
      /** the answer to the ask-first question (texts.confirmation) that says yes */
      confirmKeyword: z.string().min(1).default('YES'),
    })
    .prefault({}),
  /** short codes with keywords and USSD codes a subscriber asks for settings with (request-keywords.ts) */
  requests: requestsConfigSchema.prefault({}),
  /** every text sent to a subscriber, per language (texts/templates.ts) */
  texts: textsConfigSchema.prefault({}),
  devices: z
    .strictObject({
      /** what a handset missing from the catalogue gets; null: it is unsupported */
      operatorDefault: operatorDeviceDefaultSchema.nullable().default(null),
    })
    .prefault({}),
  /** the web console (src/console/): session lifetimes and the secret its session cookie is signed with */
  console: z
    .strictObject({
      /** a session unused for this long ends (the next page asks to sign in again) */
      sessionIdleMs: durationMs.default(30 * 60_000),
      /** a session ends this long after sign-in, however busy */
      sessionAbsoluteMs: durationMs.default(12 * 3600_000),
      /** signs the session cookie (a secret: no default; env OTAGW_CONSOLE_COOKIE_SECRET); absent: secretFile */
      cookieSecret: z.string().min(32).optional(),
      /** where the secret generated at first start is kept (mode 0600) when cookieSecret is not set */
      secretFile: z.string().min(1).default('./var/console-secret'),
    })
    .prefault({}),
  /** scale-out: what a worker publishes of its binds, its own /metrics, the SMSC accounts' bind leases */
  worker: z
    .strictObject({
      /** names this process in GET /v1/smsc, /metrics and the bind leases; default <host name>-<pid> */
      id: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/)
        .optional(),
      /** a port of its own where a worker serves GET /metrics for Prometheus; 0: not served */
      metricsPort: z.number().int().min(0).max(65535).default(0),
      metricsHost: z.string().min(1).default('127.0.0.1'),
      /** how often a worker writes its binds and counters to Redis, and how long they live there */
      publishIntervalMs: durationMs.default(1_000),
      publishTtlMs: durationMs.default(5_000),
      /** an SMSC account's bind lease (maxBinds) lives this long unrenewed (a dead worker's expires) */
      bindLeaseTtlMs: durationMs.default(5_000),
      /** a bind without a lease asks again this often */
      bindLeaseRetryMs: durationMs.default(1_000),
    })
    .prefault({}),
  /** the OMA DM 1.2 server (src/dm/): its endpoint, sessions, authentication and the key of its secrets */
  dm: z
    .strictObject({
      /** where DM clients POST their SyncML messages, on the gateway's own HTTP server and port */
      path: z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]*$/, 'dm.path must be an absolute URL path')
        .default('/dm'),
      /** the server URI handsets are given (w7 ADDR) and that the server names itself by; default: the request's */
      serverUri: z.url().optional(),
      /** a session without a message for this long ends (its Redis state expires) */
      sessionTimeoutMs: durationMs.default(5 * 60_000),
      /** how often sessions the handsets stopped answering are looked for and marked failed (src/dm/sweep.ts) */
      sweepIntervalMs: durationMs.default(60_000),
      /** the largest message the server accepts, sent as its MaxMsgSize (docs/protocol-dm.md §2.7) */
      maxMsgSize: z.number().int().min(1024).default(65_536),
      /** accept syncml:auth-basic from every account (else only from accounts that allow it) */
      allowBasic: z.boolean().default(false),
      /** wrong credentials allowed per device within failureWindowMs before the device is refused */
      failureLimit: z.number().int().min(1).default(5),
      failureWindowMs: durationMs.default(15 * 60_000),
      /** AES-256 key (base64, 32 bytes) of the account secrets; env OTAGW_DM_SECRET_KEY; absent: secretKeyFile */
      secretKey: z.string().min(40).optional(),
      /** where the key generated at first start is kept (mode 0600) when secretKey is not set */
      secretKeyFile: z.string().min(1).default('./var/dm-secret-key'),
    })
    .prefault({}),
  seeds: z
    .strictObject({
      groupsFile: z.string().min(1).default('groups.yaml'),
      profilesDir: z.string().min(1).default('profiles'),
      devicesFile: z.string().min(1).default('devices.csv'),
    })
    .prefault({}),
});

type FileConfig = z.infer<typeof fileSchema>;

/** http.tls with its files resolved to absolute paths (each checked readable) and clientAuth decided. */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
  readonly clientAuth: ClientAuth;
}

export interface Config {
  readonly configDir: string;
  readonly http: Omit<FileConfig['http'], 'tls'> & {
    /** undefined: plain HTTP */
    readonly tls: TlsConfig | undefined;
  };
  readonly log: FileConfig['log'];
  readonly store: FileConfig['store'];
  readonly redis: FileConfig['redis'];
  readonly smsc: {
    /** undefined: no SMSC configured, run the built-in simulator */
    readonly routing: SmscRoutingConfig | undefined;
    readonly simulator: FileConfig['smsc']['simulator'];
  };
  readonly provisioning: FileConfig['provisioning'];
  readonly requests: FileConfig['requests'];
  readonly texts: FileConfig['texts'];
  readonly devices: FileConfig['devices'];
  readonly console: FileConfig['console'];
  readonly worker: FileConfig['worker'];
  readonly dm: FileConfig['dm'];
  readonly seeds: FileConfig['seeds'];
  /** config/groups.yaml (seeds.groupsFile): the policy of each subscriber group */
  readonly groups: Readonly<Record<string, GroupPolicy>>;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** directory of default.yaml and seed files; default ./config (or OTAGW_CONFIG_DIR) */
  configDir?: string;
  /** merged last, before the environment (tests) */
  overrides?: DeepPartial<z.input<typeof fileSchema>>;
}

export type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function readYaml(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`${path}: expected a mapping`);
  return parsed as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? merge(out[key], value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function intFromEnv(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number, not '${text}'`);
  return Number(text);
}

/**
 * OTAGW_TLS_DIR=DIR: the files `otagw certs init --dir DIR` writes, client certificates on the network
 * routes; OTAGW_TLS_CLIENT_AUTH overrides clientAuth (of OTAGW_TLS_DIR or of http.tls in the files).
 */
function tlsEnvPatch(
  env: Readonly<Record<string, string | undefined>>,
  fileTls: unknown,
): Record<string, unknown> | undefined {
  const clientAuth = env.OTAGW_TLS_CLIENT_AUTH || undefined;
  if (clientAuth !== undefined && !(CLIENT_AUTH_MODES as readonly string[]).includes(clientAuth)) {
    throw new ConfigError(
      `OTAGW_TLS_CLIENT_AUTH must be one of ${CLIENT_AUTH_MODES.join(', ')}, not '${clientAuth}'`,
    );
  }
  if (env.OTAGW_TLS_DIR) {
    const layout = certsLayout(env.OTAGW_TLS_DIR);
    return {
      certFile: layout.serverCert,
      keyFile: layout.serverKey,
      caFile: layout.caCert,
      clientAuth: clientAuth ?? 'network',
    };
  }
  if (clientAuth === undefined) return undefined;
  if (fileTls === undefined) {
    throw new ConfigError('OTAGW_TLS_CLIENT_AUTH is set but TLS is not: set OTAGW_TLS_DIR or http.tls');
  }
  return { clientAuth };
}

/**
 * OTAGW_SIM_CONTROL_TOKEN (the documented name; OTAGW_SMSC_SIM_CONTROL_TOKEN, its earlier one, still
 * read): smsc.simulator.controlToken. Also for `otagw smsc-sim`, which loads no configuration (its flags
 * are its settings) but takes its token from the same variable.
 */
export function simulatorControlTokenFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.OTAGW_SIM_CONTROL_TOKEN || env.OTAGW_SMSC_SIM_CONTROL_TOKEN || undefined;
}

/** The environment variables that are read, as a patch of the file schema. */
function envPatch(
  env: Readonly<Record<string, string | undefined>>,
  fileTls: unknown,
): Record<string, unknown> {
  const port = intFromEnv('PORT', env.PORT);
  return {
    http: { host: env.HOST || undefined, port, tls: tlsEnvPatch(env, fileTls) },
    log: { level: env.LOG_LEVEL || undefined },
    store: { url: env.DATABASE_URL || undefined, dataDir: env.OTAGW_DATA_DIR || undefined },
    redis: { url: env.REDIS_URL || undefined, prefix: env.OTAGW_QUEUE_PREFIX || undefined },
    smsc: { simulator: { controlToken: simulatorControlTokenFromEnv(env) } },
    console: { cookieSecret: env.OTAGW_CONSOLE_COOKIE_SECRET || undefined },
    dm: { secretKey: env.OTAGW_DM_SECRET_KEY || undefined },
    worker: {
      id: env.OTAGW_WORKER_ID || undefined,
      metricsPort: intFromEnv('OTAGW_WORKER_METRICS_PORT', env.OTAGW_WORKER_METRICS_PORT),
    },
  };
}

/** Missing or unreadable certificate files stop the start here, with the file named, not in the TLS stack. */
function readableFile(path: string, setting: string, hint = ''): string {
  const absolute = resolve(path);
  try {
    accessSync(absolute, constants.R_OK);
    if (!statSync(absolute).isFile()) throw new Error('not a file');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${setting}: cannot read ${absolute} (${why})${hint}`);
  }
  return absolute;
}

function resolveTls(tls: NonNullable<FileConfig['http']['tls']>, tlsDir: string | undefined): TlsConfig {
  const clientAuth = tls.clientAuth ?? (tls.caFile ? 'network' : 'none');
  if (clientAuth !== 'none' && !tls.caFile) {
    throw new ConfigError(
      `http.tls: clientAuth ${clientAuth} needs caFile (the CA client certificates are issued by)`,
    );
  }
  const check = (path: string, key: string): string =>
    tlsDir
      ? readableFile(path, 'OTAGW_TLS_DIR', `; create it with: otagw certs init --dir ${tlsDir}`)
      : readableFile(path, `http.tls.${key}`);
  return {
    certFile: check(tls.certFile, 'certFile'),
    keyFile: check(tls.keyFile, 'keyFile'),
    caFile: tls.caFile === undefined ? undefined : check(tls.caFile, 'caFile'),
    clientAuth,
  };
}

/** Reads config/default.yaml, config/local.yaml and the environment; throws ConfigError when invalid. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const configDir = resolve(options.configDir ?? env.OTAGW_CONFIG_DIR ?? 'config');
  let merged = merge(readYaml(join(configDir, 'default.yaml')), readYaml(join(configDir, 'local.yaml')));
  if (options.overrides) merged = merge(merged, options.overrides as Record<string, unknown>);
  const fileTls = isPlainObject(merged.http) ? merged.http.tls : undefined;
  merged = merge(merged, envPatch(env, fileTls));
  const parsed = fileSchema.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`invalid configuration: ${details}`);
  }
  const file = parsed.data;
  let routing: SmscRoutingConfig | undefined;
  try {
    if (env.SMSC_URL) {
      routing = smscRoutingSchema.parse({ smscs: [parseSmscUrl(env.SMSC_URL, env)], routes: [] });
    } else if (file.smsc.smscs.length > 0) {
      routing = smscRoutingSchema.parse({ smscs: file.smsc.smscs, routes: file.smsc.routes });
    }
  } catch (error) {
    throw new ConfigError(`invalid SMSC configuration: ${(error as Error).message}`);
  }
  let groups: Record<string, GroupPolicy> = {};
  const groupsPath = resolve(configDir, file.seeds.groupsFile);
  if (existsSync(groupsPath)) {
    try {
      groups = parseGroupPolicies(parseYaml(readFileSync(groupsPath, 'utf8')));
    } catch (error) {
      if (error instanceof PolicyError) throw new ConfigError(`${groupsPath}: ${error.message}`);
      throw error;
    }
  }
  const tls = file.http.tls && resolveTls(file.http.tls, env.OTAGW_TLS_DIR || undefined);
  return deepFreeze({
    configDir,
    http: { ...file.http, tls },
    log: file.log,
    store: file.store,
    redis: file.redis,
    smsc: { routing, simulator: file.smsc.simulator },
    provisioning: file.provisioning,
    requests: file.requests,
    texts: file.texts,
    devices: file.devices,
    console: file.console,
    worker: file.worker,
    dm: file.dm,
    seeds: file.seeds,
    groups,
  });
}
