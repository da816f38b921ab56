/**
 * One program, four roles (DESIGN "Scale-out"):
 * - api: the HTTP API (records requests, queues jobs; no SMPP binds)
 * - worker: BullMQ workers with their own SMPP binds, receipts, sweeps
 * - smsc-sim: the SMSC simulator alone
 * - all (default): everything in one process; with no SMSC configured the built-in simulator is started
 *   and bound over loopback TCP like any SMSC.
 * Shutdown runs in reverse dependency order: HTTP, workers, SMPP binds, simulator, events, queue, Redis,
 * the store, the embedded redis-server.
 */
import { createApp } from './http/app.ts';
import { listen, readServerTls, type ServerTls } from './http/server.ts';
import { prepareLocalAdmin } from './auth/local-admin.ts';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import type { AppContext } from './app-context.ts';
import { loadConfig, type Config } from './config.ts';
import { createSmscConnectors, type SmscRouter } from './connectors/index.ts';
import { smscRoutingSchema, type SmscRoutingConfig } from './connectors/config.ts';
import { createRedisEventBus } from './events/bus.ts';
import type { EventBus } from './events/types.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import {
  createMetrics,
  registerOpenProvisioningsGauge,
  registerSmscBindGauges,
  type GatewayMetrics,
} from './observability/metrics.ts';
import type { PipelineDeps } from './provisioning/pipeline.ts';
import { GroupPolicies } from './subscribers/group-policies.ts';
import { startProvisioningWorker, type ProvisioningWorker } from './provisioning/runtime.ts';
import { seedAll } from './provisioning/seeds.ts';
import { DefaultProvisioningService } from './provisioning/service.ts';
import { producerConnection, waitReady, workerConnection } from './queues/connection.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './queues/embedded-redis.ts';
import { eventsChannel } from './queues/names.ts';
import { ProvisionQueue } from './queues/producers.ts';
import { DEFAULT_ACCOUNT, startSmscSimulator, type SmscSimulator } from './smsc-sim/index.ts';
import type { Db } from './store/db.ts';
import { openDb } from './store/open-db.ts';

export const ROLES = ['all', 'api', 'worker', 'smsc-sim'] as const;
export type Role = (typeof ROLES)[number];

export interface GatewayOptions {
  role?: Role;
  config?: Config;
  logger?: Logger;
  /** Print where everything is (default true for the CLI). */
  announce?: (text: string) => void;
  /** Where the local admin endpoint for `otagw keys` is published (default ./var; tests use their own). */
  varDir?: string;
}

export interface Gateway {
  role: Role;
  config: Config;
  context: AppContext | undefined;
  httpUrl: string | undefined;
  simulator: SmscSimulator | undefined;
  worker: ProvisioningWorker | undefined;
  stop(): Promise<void>;
}

/** The simulator as an SMSC: the same routing config a real SMSC gets (loopback TCP bind). */
export function simulatorRouting(host: string, port: number): SmscRoutingConfig {
  return smscRoutingSchema.parse({
    smscs: [
      {
        id: 'sim',
        host,
        port,
        systemId: DEFAULT_ACCOUNT.systemId,
        password: DEFAULT_ACCOUNT.password,
        window: 50,
      },
    ],
  });
}

const CLIENT_CERTS_WHERE = {
  none: 'not asked for',
  network: 'required on the network routes',
  all: 'required on every route but /healthz',
} as const;

interface Stoppable {
  name: string;
  stop: () => Promise<unknown>;
}

/** The HTTP API and the local admin endpoint of `otagw keys`; returns the URL it listens on. */
async function serveHttp(
  context: AppContext,
  parts: { tls: ServerTls | undefined; varDir?: string; stops: Stoppable[]; say: (text: string) => void },
): Promise<string> {
  const { config, logger } = context;
  const { tls, stops } = parts;
  // `otagw keys` reaches a running server through this endpoint: PGlite's files are opened by one
  // process at a time, so the command must not open them while we hold them.
  const localAdmin = prepareLocalAdmin(parts.varDir);
  const app = createApp(context, {
    localAdminSecret: localAdmin.secret,
    clientAuth: tls?.clientAuth,
    clientCas: tls?.clientCas,
  });
  const http = await listen(app.callback(), { host: config.http.host, port: config.http.port, tls, logger });
  stops.push({ name: 'http', stop: () => http.close() });
  // Over HTTPS `otagw keys` recognises this server by its certificate's fingerprint.
  await localAdmin.publish(http.url, tls && { fingerprint256: tls.fingerprint256 });
  stops.push({ name: 'local admin endpoint', stop: () => localAdmin.remove() });
  const where = tls ? `  (HTTPS only; client certificates ${CLIENT_CERTS_WHERE[tls.clientAuth]})` : '';
  parts.say(`HTTP            ${http.url}${where}`);
  return http.url;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const role = options.role ?? 'all';
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const say = options.announce ?? (() => undefined);
  const stops: Stoppable[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.warn({ err: (error as Error).message, part: name }, 'error while stopping');
      }
    }
  };

  try {
    // Before anything starts: a bad certificate file is a ConfigError naming it.
    const tls =
      (role === 'all' || role === 'api') && config.http.tls ? readServerTls(config.http.tls) : undefined;
    let simulator: SmscSimulator | undefined;
    const wantsSimulator = role === 'smsc-sim' || (role === 'all' && config.smsc.routing === undefined);
    if (wantsSimulator) {
      simulator = await startSmscSimulator({
        host: config.smsc.simulator.host,
        port: config.smsc.simulator.port,
        controlPort: config.smsc.simulator.controlPort,
      });
      stops.push({ name: 'smsc simulator', stop: () => simulator!.close() });
      say(
        `SMSC simulator  smpp://${simulator.host}:${simulator.port}` +
          (simulator.controlUrl ? `  control ${simulator.controlUrl}` : ''),
      );
    }
    if (role === 'smsc-sim') {
      return {
        role,
        config,
        context: undefined,
        httpUrl: undefined,
        simulator,
        worker: undefined,
        stop: stopAll,
      };
    }

    let redisUrl = config.redis.url;
    if (!redisUrl) {
      const embedded: EmbeddedRedis = await startEmbeddedRedis({
        dir: config.redis.embeddedDir,
        port: config.redis.embeddedPort,
      });
      stops.push({ name: 'redis-server', stop: () => embedded.stop() });
      redisUrl = embedded.url;
      say(`Redis           ${redisUrl} (redis-server under ${config.redis.embeddedDir})`);
    } else {
      say(`Redis           ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
    }

    const db: Db = await openDb({
      url: config.store.url,
      dataDir: config.store.dataDir,
      poolSize: config.store.poolSize,
    });
    stops.push({ name: 'store', stop: () => db.close() });
    say(`Store           ${db.location}`);
    const seeded = await seedAll(db, config);
    if (seeded.profilesCreated.length > 0 || seeded.devicesImported !== 'kept' || seeded.groups > 0) {
      say(
        `Seeds           ${seeded.groups} groups, profiles [${seeded.profilesCreated.join(', ')}], ${String(seeded.devicesImported)} device models`,
      );
    }

    const connections: Redis[] = [];
    const producer = producerConnection({ url: redisUrl });
    // Events are many small PUBLISHes: pipelined per tick, one write for all of them.
    const publisher = workerConnection({ url: redisUrl }, { enableAutoPipelining: true });
    const subscriber = workerConnection({ url: redisUrl });
    for (const connection of [producer, publisher, subscriber]) {
      connection.on('error', (error: Error) =>
        logger.debug({ err: error.message }, 'redis connection error'),
      );
      connections.push(connection);
    }
    stops.push({
      name: 'redis connections',
      stop: async () => connections.forEach((connection) => connection.disconnect()),
    });
    await waitReady(producer, 10_000);

    const events: EventBus = await createRedisEventBus({
      publisher,
      subscriber,
      channel: eventsChannel(config.redis.prefix),
      logger,
    });
    stops.push({ name: 'event bus', stop: () => events.close() });
    const queue = new ProvisionQueue({
      connection: producer,
      prefix: config.redis.prefix,
      attempts: config.provisioning.attempts,
      backoffMs: config.provisioning.backoffMs,
    });
    stops.push({ name: 'queue', stop: () => queue.close() });
    const metrics: GatewayMetrics = createMetrics({ defaultMetrics: true });
    registerOpenProvisioningsGauge(metrics, async () => {
      const rows = await db.query<{ state: string; count: number }>(
        `SELECT state, count(*)::int AS count FROM provisionings
         WHERE state NOT IN ('delivered', 'failed', 'expired', 'cancelled') GROUP BY state`,
      );
      return Object.fromEntries(rows.map((row) => [row.state, row.count]));
    });
    const deps: PipelineDeps = {
      db,
      config,
      queue,
      events,
      metrics,
      logger,
      now: () => new Date(),
      // One cache for the service and the worker, so both apply the same policy version.
      policies: new GroupPolicies(db, config.groups),
    };
    const service = new DefaultProvisioningService(deps);

    let connector: SmscRouter | undefined;
    let worker: ProvisioningWorker | undefined;
    if (role === 'all' || role === 'worker') {
      const routing =
        config.smsc.routing ??
        simulatorRouting(
          simulator?.host ?? config.smsc.simulator.host,
          simulator?.port ?? config.smsc.simulator.port,
        );
      connector = createSmscConnectors(routing, { logger });
      await connector.start();
      stops.push({ name: 'smsc binds', stop: () => connector!.stop() });
      const binds = connector;
      registerSmscBindGauges(metrics, () => binds.status());
      say(
        `SMSC            ${routing.smscs.map((smsc) => `${smsc.id}=smpp://${smsc.systemId}@${smsc.host}:${smsc.port}`).join(', ')}`,
      );
      const workerRedis = workerConnection({ url: redisUrl });
      workerRedis.on('error', (error: Error) => logger.debug({ err: error.message }, 'worker redis error'));
      connections.push(workerRedis);
      worker = startProvisioningWorker(deps, connector, service, {
        connection: workerRedis,
        prefix: config.redis.prefix,
      });
      stops.push({ name: 'workers', stop: () => worker!.close() });
      say(`Worker          concurrency ${config.provisioning.workerConcurrency}`);
    }

    const context: AppContext = {
      config,
      db,
      logger,
      provisioning: service,
      events,
      queues: { ping: () => queue.ping(), counts: () => queue.counts() },
      smsc: connector,
      metrics: metrics.registry,
    };

    const httpUrl =
      role === 'all' || role === 'api'
        ? await serveHttp(context, { tls, varDir: options.varDir, stops, say })
        : undefined;
    return { role, config, context, httpUrl, simulator, worker, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** `tsx src/main.ts [role]`: runs until SIGINT/SIGTERM. The CLI's `otagw start` is the usual way in. */
async function runFromCommandLine(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new Error(`unknown role ${role} (${ROLES.join(', ')})`);
  const gateway = await startGateway({ role, announce: (text) => process.stdout.write(`${text}\n`) });
  const shutdown = (): void => {
    void gateway.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFromCommandLine().catch((error: unknown) => {
    process.stderr.write(`otagw: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
