import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { AppContext } from '../../../src/app-context.ts';
import { createApiKey } from '../../../src/auth/api-keys.ts';
import { ROLES, type Role } from '../../../src/auth/roles.ts';
import { loadConfig, type LoadConfigOptions } from '../../../src/config.ts';
import { luhnCheckDigit } from '../../../src/devices/imei.ts';
import { createMemoryEventBus } from '../../../src/events/bus.ts';
import { DmSecretBox } from '../../../src/dm/secrets.ts';
import { DmServer } from '../../../src/dm/server.ts';
import { createApp, type HttpOptions } from '../../../src/http/app.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { PipelineDeps } from '../../../src/provisioning/pipeline.ts';
import { seedAll } from '../../../src/provisioning/seeds.ts';
import { DefaultProvisioningService } from '../../../src/provisioning/service.ts';
import { producerConnection, waitReady } from '../../../src/queues/connection.ts';
import { ProvisionQueue } from '../../../src/queues/producers.ts';
import { GroupPolicies } from '../../../src/subscribers/group-policies.ts';
import type { BindStatus } from '../../../src/connectors/types.ts';
import type { DbKind } from '../../../src/store/db.ts';
import { openTestStore, type TestStore } from '../../support/stores.ts';

export const REDIS_URL = process.env.OTAGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ApiHarness {
  url: string;
  context: AppContext;
  store: TestStore;
  /** One key per role. */
  keys: Record<Role, string>;
  /** The DM server at dm.path and /v1/dm (options.dm); its sessions under `redisPrefix` */
  dm: DmServer | undefined;
  redisPrefix: string;
  fetch(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store?: DbKind;
  /** Point the queue at a closed port: Redis is down. */
  redisUrl?: string;
  http?: HttpOptions;
  /** Binds reported by the fake SMSC status source (default: one bound transceiver); null: no connector (api role). */
  binds?: BindStatus[] | null;
  /** Load config/ seeds (groups, profiles, device catalogue). */
  seed?: boolean;
  /** How long the service caches the group policies (default GroupPolicies' 5 s). */
  groupPoliciesTtlMs?: number;
  /** Configuration sections beside the test's own (e.g. console: a cookie secret and session timeouts). */
  config?: Omit<NonNullable<LoadConfigOptions['overrides']>, 'redis'>;
  /** Serve the OMA DM server too (src/dm/), its secrets under a key made for the test. */
  dm?: boolean;
}

export const BOUND_BIND: BindStatus = {
  smscId: 'sim',
  bindId: 'sim-1',
  mode: 'trx',
  state: 'bound',
  reconnects: 0,
  windowUsed: 0,
  windowSize: 10,
  currentTps: Infinity,
  sentPerSecond: 0,
  submitted: 0,
  throttled: 0,
};

/** A real server on 127.0.0.1:<ephemeral> over a real store, real Redis and the real provisioning service. */
export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const store = await openTestStore(options.store ?? 'pglite');
  const prefix = `otagw-test-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({ env: {}, overrides: { ...options.config, redis: { prefix } } });
  const logger = createLogger({ level: 'silent' });
  if (options.seed) await seedAll(store.db, config);
  const redis: Redis = producerConnection(
    { url: options.redisUrl ?? REDIS_URL },
    { retryStrategy: () => 200 },
  );
  redis.on('error', () => undefined);
  if (!options.redisUrl) await waitReady(redis, 5000);
  const queue = new ProvisionQueue({
    connection: redis,
    prefix,
    attempts: 1,
    backoffMs: 1000,
    timeoutMs: 1000,
  });
  const events = createMemoryEventBus(logger);
  const metrics = createMetrics();
  const policies =
    options.groupPoliciesTtlMs === undefined
      ? undefined
      : new GroupPolicies(store.db, config.groups, options.groupPoliciesTtlMs);
  const deps: PipelineDeps = {
    db: store.db,
    config,
    queue,
    events,
    metrics,
    logger,
    now: () => new Date(),
    policies,
  };
  const binds = options.binds === undefined ? [BOUND_BIND] : options.binds;
  const context: AppContext = {
    config,
    db: store.db,
    logger,
    provisioning: new DefaultProvisioningService(deps),
    events,
    queues: { ping: () => queue.ping(), counts: () => queue.counts() },
    smsc: binds === null ? undefined : { status: () => binds },
    metrics: metrics.registry,
  };
  const dm = options.dm
    ? await DmServer.create({
        db: store.db,
        logger,
        config,
        redis,
        provisioning: context.provisioning,
        box: new DmSecretBox(randomBytes(32)),
      })
    : undefined;
  const app = createApp(context, { ...options.http, dm });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(store.db, { name: `test-${role}`, role })).key;

  return {
    url,
    context,
    store,
    keys,
    dm,
    redisPrefix: prefix,
    fetch: (path, init = {}) => {
      const { key, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set('Authorization', `Bearer ${key}`);
      if (json !== undefined) headers.set('Content-Type', 'application/json');
      return fetch(url + path, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.redisUrl) {
        const keysToDrop = await redis.keys(`${prefix}:*`);
        if (keysToDrop.length > 0) await redis.del(...keysToDrop);
      }
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await store.dispose();
    },
  };
}

/** IMEIs with a valid Luhn digit, different per call. */
export function testImei(seed: number, tac = '35209900'): string {
  const body = `${tac}${String(seed % 1_000_000).padStart(6, '0')}`;
  return body + String(luhnCheckDigit(body));
}

/** A response body as JSON, loosely typed: the tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = any;

export async function readJson(response: Response): Promise<LooseJson> {
  return response.json();
}
