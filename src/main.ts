/**
 * One program, five roles (DESIGN "Scale-out"), each started by a function of its own below:
 * - api (startApiRole): the HTTP API (records requests, queues jobs; no SMPP binds)
 * - worker (startWorkerRole): BullMQ workers with their own SMPP binds, receipts, sweeps
 * - smsc-sim (startSimulatorRole): the SMSC simulator alone
 * - dm (startDmRole): the HTTP API with the OMA DM server at dm.path (src/dm/; sessions in Redis, so
 *   several dm processes serve one session)
 * - all (startAllRoles, the default): everything in one process (the DM server included); with no SMSC configured the built-in
 *   simulator is started and bound over loopback TCP like any SMSC.
 * Shutdown runs the steps of SHUTDOWN_ORDER in that order, whatever order the parts started in.
 */
import { DmServer } from './dm/server.ts';
import { createApp } from './http/app.ts';
import { DEFAULT_DRAIN_MS, listen, readServerTls, type ServerTls } from './http/server.ts';
import { prepareLocalAdmin } from './auth/local-admin.ts';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import type { AppContext } from './app-context.ts';
import { CampaignFeeder } from './campaigns/feeder.ts';
import { CampaignService } from './campaigns/service.ts';
import { loadConfig, type Config } from './config.ts';
import { createSmscConnectors, type SmscRouter } from './connectors/index.ts';
import { smscRoutingSchema, type SmscRoutingConfig } from './connectors/config.ts';
import { redisAccountLimits } from './connectors/account-limits/redis-limits.ts';
import { createRedisEventBus } from './events/bus.ts';
import type { EventBus } from './events/types.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import {
  createMetrics,
  registerOpenProvisioningsGauge,
  registerSmscBindGauges,
  registerSmscConnectorCounters,
  type GatewayMetrics,
} from './observability/metrics.ts';
import type { PipelineDeps } from './provisioning/pipeline.ts';
import { GroupPolicies } from './subscribers/group-policies.ts';
import { startProvisioningWorker, type ProvisioningWorker } from './provisioning/runtime.ts';
import { countOpenProvisioningsByState } from './provisioning/repository.ts';
import { seedAll } from './provisioning/seeds.ts';
import { DefaultProvisioningService } from './provisioning/service.ts';
import { closeConnection, producerConnection, waitReady, workerConnection } from './queues/connection.ts';
import { startEmbeddedRedis } from './queues/embedded-redis.ts';
import { eventsChannel } from './queues/names.ts';
import { ProvisionQueue } from './queues/producers.ts';
import { generatedControlToken } from './smsc-sim/control-api.ts';
import { DEFAULT_ACCOUNT, startSmscSimulator, type SmscSimulator } from './smsc-sim/index.ts';
import { senderOf } from './subscribers/request-keywords.ts';
import type { Db } from './store/db.ts';
import { openDb } from './store/open-db.ts';
import { listSmscBinds, WorkerBindsPublisher, type SmscBindsView } from './smsc/worker-binds.ts';
import { serveWorkerMetrics } from './smsc/worker-metrics.ts';
import { hostname } from 'node:os';

export const ROLES = ['all', 'api', 'worker', 'smsc-sim', 'dm'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The order a gateway stops in; a role runs the steps of the parts it started. Nothing new comes in
 * (HTTP), no job is in flight when the binds close (workers), the binds unbind while the simulator is
 * still there to answer (SMPP binds, then the simulator), what the receipts of the unbinding binds
 * still write is published and stored (event bus, queue, Redis connections, store), and the embedded
 * redis-server goes last, once nothing talks to it.
 */
export const SHUTDOWN_ORDER = [
  'http',
  'local admin endpoint',
  'workers',
  'smsc binds',
  'smsc simulator',
  'event bus',
  'queue',
  'redis connections',
  'store',
  'redis-server',
] as const;
export type ShutdownStep = (typeof SHUTDOWN_ORDER)[number];

/**
 * How long each step may take before the shutdown moves on without it (logged as timed out), so a
 * gateway always exits: http drains for DEFAULT_DRAIN_MS; workers wait for their active jobs (a job
 * still running at the deadline is left to BullMQ's stalled-job check, which hands it to another
 * worker); binds drain their windows and unbind (bind.ts bounds each unbind itself); Redis connections
 * QUIT so what was sent is kept; the embedded redis-server writes its append-only file.
 */
export const SHUTDOWN_DEADLINES_MS: Record<ShutdownStep, number> = {
  http: DEFAULT_DRAIN_MS + 2_000,
  'local admin endpoint': 2_000,
  workers: 15_000,
  'smsc binds': 10_000,
  'smsc simulator': 5_000,
  'event bus': 3_000,
  queue: 3_000,
  'redis connections': 3_000,
  store: 5_000,
  'redis-server': 5_000,
};

/** How long a step's forced stop (after its deadline) may take, e.g. force-closing workers whose Redis is gone. */
const FORCED_STOP_DEADLINE_MS = 5_000;

interface StopStep {
  stop: () => Promise<unknown>;
  /** run when the stop missed its deadline (e.g. force-close what it waited for) */
  onTimeout?: () => Promise<unknown>;
}

const TIMED_OUT = Symbol('timed out');

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The stop of each part that started, run in SHUTDOWN_ORDER, each within its deadline
 * (SHUTDOWN_DEADLINES_MS); each step is logged with how long it took, a failing or late one as a
 * warning, and the rest still run.
 */
export class Shutdown {
  private readonly stops = new Map<ShutdownStep, StopStep>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlines: Record<ShutdownStep, number> = SHUTDOWN_DEADLINES_MS,
  ) {}

  add(step: ShutdownStep, stop: () => Promise<unknown>, onTimeout?: () => Promise<unknown>): void {
    if (this.stops.has(step)) throw new Error(`shutdown step '${step}' is already registered`);
    this.stops.set(step, { stop, onTimeout });
  }

  /** The steps a run would take, in order. */
  steps(): ShutdownStep[] {
    return SHUTDOWN_ORDER.filter((step) => this.stops.has(step));
  }

  /** Runs the steps once; a second call waits for the same run. */
  run(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    const started = Date.now();
    for (const step of this.steps()) {
      const { stop, onTimeout } = this.stops.get(step)!;
      this.stops.delete(step);
      await this.runStep(step, stop, onTimeout);
    }
    this.logger.info({ elapsedMs: Date.now() - started }, 'shutdown: done');
  }

  private async runStep(
    step: ShutdownStep,
    stop: () => Promise<unknown>,
    onTimeout: (() => Promise<unknown>) | undefined,
  ): Promise<void> {
    const deadlineMs = this.deadlines[step];
    const started = Date.now();
    this.logger.info({ step, deadlineMs }, `shutdown: ${step}`);
    try {
      const outcome = await withDeadline(
        Promise.resolve().then(() => stop()),
        deadlineMs,
      );
      if (outcome !== TIMED_OUT) {
        this.logger.info({ step, elapsedMs: Date.now() - started }, `shutdown: ${step} done`);
        return;
      }
      this.logger.warn({ step, deadlineMs }, `shutdown: ${step} timed out after ${deadlineMs} ms`);
      // a forced stop gets a short deadline of its own: the shutdown never waits forever
      if (onTimeout) await withDeadline(onTimeout(), FORCED_STOP_DEADLINE_MS);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, step }, `shutdown: ${step} failed`);
    }
  }
}

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
  /** What stop() runs, in order (a subset of SHUTDOWN_ORDER). */
  shutdownSteps: readonly ShutdownStep[];
  stop(): Promise<void>;
}

/**
 * The simulator as an SMSC: the same routing config a real SMSC gets (loopback TCP bind). It carries USSD
 * (answers go back in the session), and what it sends comes from `sourceAddr`, the short code subscribers
 * answer to (senderOf(config.requests)).
 */
export function simulatorRouting(host: string, port: number, sourceAddr = ''): SmscRoutingConfig {
  return smscRoutingSchema.parse({
    smscs: [
      {
        id: 'sim',
        host,
        port,
        systemId: DEFAULT_ACCOUNT.systemId,
        password: DEFAULT_ACCOUNT.password,
        window: 50,
        sourceAddr,
        ussd: true,
      },
    ],
  });
}

/** What every role's start gets. */
interface Startup {
  config: Config;
  logger: Logger;
  say: (text: string) => void;
  shutdown: Shutdown;
  varDir: string | undefined;
}

/** What a role started (the Gateway's fields). */
interface RoleParts {
  context?: AppContext;
  httpUrl?: string;
  simulator?: SmscSimulator;
  worker?: ProvisioningWorker;
}

/** What the api and worker roles share: Redis, the store, the queue, events, metrics, the service. */
interface Core {
  deps: PipelineDeps;
  service: DefaultProvisioningService;
  queue: ProvisionQueue;
  metrics: GatewayMetrics;
  /** A further Redis connection, disconnected by the 'redis connections' step. */
  connectRedis(purpose: string): Redis;
  /** The fail-fast connection (producerConnection): bind leases and snapshots never wait on Redis. */
  producer: Redis;
  /** names this process among the workers (worker.id, else host name and pid) */
  workerId: string;
}

const CLIENT_CERTS_WHERE = {
  none: 'not asked for',
  network: 'required on the network routes',
  all: 'required on every route but /healthz',
} as const;

/**
 * The embedded simulator; its control API (on loopback) always asks for a bearer token: the configured
 * one (OTAGW_SIM_CONTROL_TOKEN), else one generated now and printed (issue 15 #12).
 */
async function startSimulator({ config, shutdown, say }: Startup): Promise<SmscSimulator> {
  const configuredToken = config.smsc.simulator.controlToken;
  const controlToken = configuredToken ?? generatedControlToken();
  const simulator = await startSmscSimulator({
    host: config.smsc.simulator.host,
    port: config.smsc.simulator.port,
    controlPort: config.smsc.simulator.controlPort,
    controlToken,
  });
  shutdown.add('smsc simulator', () => simulator.close());
  const tokenNote = configuredToken ? ' (bearer token required)' : ` (Authorization: Bearer ${controlToken})`;
  say(
    `SMSC simulator  smpp://${simulator.host}:${simulator.port}` +
      (simulator.controlUrl ? `  control ${simulator.controlUrl}${tokenNote}` : ''),
  );
  return simulator;
}

/** config.redis.url, or a redis-server started under embeddedDir; returns the URL. */
async function startRedis({ config, shutdown, say }: Startup): Promise<string> {
  if (config.redis.url) {
    say(`Redis           ${config.redis.url.replace(/\/\/[^@/]*@/, '//***@')}`);
    return config.redis.url;
  }
  const embedded = await startEmbeddedRedis({
    dir: config.redis.embeddedDir,
    port: config.redis.embeddedPort,
  });
  shutdown.add('redis-server', () => embedded.stop());
  say(`Redis           ${embedded.url} (redis-server under ${config.redis.embeddedDir})`);
  return embedded.url;
}

/** The store, migrated and seeded from config/. */
async function openSeededStore({ config, shutdown, say }: Startup): Promise<Db> {
  const db = await openDb({
    url: config.store.url,
    dataDir: config.store.dataDir,
    poolSize: config.store.poolSize,
  });
  shutdown.add('store', () => db.close());
  say(`Store           ${db.location}`);
  const seeded = await seedAll(db, config);
  if (seeded.profilesCreated.length > 0 || seeded.devicesImported !== 'kept' || seeded.groups > 0) {
    say(
      `Seeds           ${seeded.groups} groups, profiles [${seeded.profilesCreated.join(', ')}], ${String(seeded.devicesImported)} device models`,
    );
  }
  return db;
}

/** Redis, the store, the Redis connections, the event bus, the queue, metrics and the provisioning service. */
async function startCore(startup: Startup): Promise<Core> {
  const { config, logger, shutdown } = startup;
  const redisUrl = await startRedis(startup);
  const db = await openSeededStore(startup);

  const connections: Redis[] = [];
  shutdown.add('redis connections', () =>
    Promise.all(connections.map((connection) => closeConnection(connection, 2_000))),
  );
  const track = (connection: Redis, purpose: string): Redis => {
    connection.on('error', (error: Error) => logger.debug({ err: error.message, purpose }, 'redis error'));
    connections.push(connection);
    return connection;
  };
  const producer = track(producerConnection({ url: redisUrl }), 'producer');
  // Events are many small PUBLISHes: pipelined per tick, one write for all of them.
  const publisher = track(workerConnection({ url: redisUrl }, { enableAutoPipelining: true }), 'events');
  const subscriber = track(workerConnection({ url: redisUrl }), 'events');
  await waitReady(producer, 10_000);

  const events: EventBus = await createRedisEventBus({
    publisher,
    subscriber,
    channel: eventsChannel(config.redis.prefix),
    logger,
  });
  shutdown.add('event bus', () => events.close());
  const queue = new ProvisionQueue({
    connection: producer,
    prefix: config.redis.prefix,
    attempts: config.provisioning.attempts,
    backoffMs: config.provisioning.backoffMs,
  });
  shutdown.add('queue', () => queue.close());
  const metrics = createMetrics({ defaultMetrics: true });
  registerOpenProvisioningsGauge(metrics, () => countOpenProvisioningsByState(db));
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
  const connectRedis = (purpose: string): Redis => track(workerConnection({ url: redisUrl }), purpose);
  const workerId = config.worker.id ?? `${hostname()}-${process.pid}`;
  return { deps, service, queue, metrics, connectRedis, producer, workerId };
}

/** The SMPP binds of `routing` and the provisioning workers sending through them. */
async function startWorkers(
  core: Core,
  { config, logger, shutdown, say }: Startup,
  routing: SmscRoutingConfig,
): Promise<{ connector: SmscRouter; worker: ProvisioningWorker }> {
  const connector = await startBinds(core, { config, logger, shutdown }, routing);
  say(
    `SMSC            ${routing.smscs.map((smsc) => `${smsc.id}=smpp://${smsc.systemId}@${smsc.host}:${smsc.port}`).join(', ')}`,
  );
  const worker = startProvisioningWorker(core.deps, connector, core.service, {
    connection: core.connectRedis('worker'),
    prefix: config.redis.prefix,
  });
  // Campaigns are fed where pushes are sent; one feeder per campaign across processes (a Redis lease).
  const feeder = new CampaignFeeder({
    ...core.deps,
    redis: core.connectRedis('campaign feeder'),
    prefix: config.redis.prefix,
    provisioning: core.service,
    campaigns: new CampaignService(core.deps),
    queueCounts: () => core.queue.counts(),
    policies: core.deps.policies!,
  });
  feeder.start();
  shutdown.add(
    'workers',
    async () => {
      await feeder.stop();
      await worker.close();
    },
    // jobs still active: their locks lapse and BullMQ's stalled-job check hands them to another worker
    () => worker.kill(),
  );
  say(`Worker          concurrency ${config.provisioning.workerConcurrency}`);
  return { connector, worker };
}

/**
 * The SMPP binds of `routing`: each SMSC account's maxBinds and tps shared with the other workers through
 * Redis (connectors/account-limits/redis-limits.ts), the binds and counters published each second for the api's
 * readers (smsc/worker-binds.ts).
 */
async function startBinds(
  core: Core,
  { config, logger, shutdown }: Pick<Startup, 'config' | 'logger' | 'shutdown'>,
  routing: SmscRoutingConfig,
): Promise<SmscRouter> {
  const { prefix } = config.redis;
  const { producer: redis, workerId } = core;
  const { bindLeaseTtlMs: leaseTtlMs, bindLeaseRetryMs: leaseRetryMs } = config.worker;
  const connector = createSmscConnectors(routing, {
    logger,
    sharedLimits: (smsc) =>
      redisAccountLimits({ redis, prefix, workerId, leaseTtlMs, leaseRetryMs, logger }, smsc),
  });
  await connector.start();
  const publisher = new WorkerBindsPublisher({
    redis,
    prefix,
    workerId,
    source: connector,
    intervalMs: config.worker.publishIntervalMs,
    ttlMs: config.worker.publishTtlMs,
    logger,
  });
  publisher.start();
  shutdown.add('smsc binds', async () => {
    await connector.stop();
    await publisher.stop();
  });
  return connector;
}

/** Where this process reads binds: its own and, unless `ownOnly`, every other worker's in Redis. */
function smscBindsView(core: Core, local: SmscRouter | undefined, ownOnly = false): SmscBindsView {
  const view: SmscBindsView = { workerId: core.workerId };
  if (local) view.local = local;
  if (!ownOnly) Object.assign(view, { redis: core.producer, prefix: core.deps.config.redis.prefix });
  return view;
}

/**
 * The per-bind gauges of /metrics, labelled by worker: a worker's own /metrics has its own binds, the api
 * (and role all) every worker's, so each bind is scraped once from either.
 */
function registerBindGauges(core: Core, view: SmscBindsView): void {
  registerSmscBindGauges(core.metrics, async () => (await listSmscBinds({ smscBinds: view })).binds);
  // the connectors' receipt counts (duplicates dropped, unreadable, unmatched, ids reused), per worker
  registerSmscConnectorCounters(core.metrics, async () => (await listSmscBinds({ smscBinds: view })).workers);
}

/** What the HTTP app and the CLI get; smsc is undefined in the api role (the binds live in workers). */
function appContext(core: Core, smsc: SmscRouter | undefined): AppContext {
  const { deps, queue } = core;
  return {
    config: deps.config,
    db: deps.db,
    logger: deps.logger,
    provisioning: core.service,
    events: deps.events,
    queues: { ping: () => queue.ping(), counts: () => queue.counts(), board: [queue.queue] },
    smsc,
    smscBinds: smscBindsView(core, smsc),
    metrics: core.metrics.registry,
  };
}

/** http.tls read before anything starts: a bad certificate file is a ConfigError naming it. */
function serverTls(config: Config): ServerTls | undefined {
  return config.http.tls ? readServerTls(config.http.tls) : undefined;
}

/** The HTTP API and the local admin endpoint of `otagw keys`; returns the URL it listens on. */
async function serveHttp(
  context: AppContext,
  { shutdown, say, varDir }: Startup,
  tls: ServerTls | undefined,
  dm?: DmServer,
): Promise<string> {
  const { config, logger } = context;
  // `otagw keys` reaches a running server through this endpoint: PGlite's files are opened by one
  // process at a time, so the command must not open them while we hold them.
  const localAdmin = prepareLocalAdmin(varDir);
  const app = createApp(context, {
    localAdminSecret: localAdmin.secret,
    clientAuth: tls?.clientAuth,
    clientCas: tls?.clientCas,
    dm,
  });
  const http = await listen(app.callback(), {
    host: config.http.host,
    port: config.http.port,
    tls,
    logger,
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
  });
  // http.metrics: /metrics on an address of its own too (the worker's small server, worker-metrics.ts).
  const metricsAddress = config.http.metrics;
  const metrics =
    metricsAddress && (await serveWorkerMetrics(context.metrics, metricsAddress.host, metricsAddress.port));
  shutdown.add('http', () => Promise.all([http.close(), metrics?.close()]));
  if (metrics) say(`Metrics         ${metrics.url}`);
  // Over HTTPS `otagw keys` recognises this server by its certificate's fingerprint.
  await localAdmin.publish(http.url, tls && { fingerprint256: tls.fingerprint256 });
  shutdown.add('local admin endpoint', () => localAdmin.remove());
  const where = tls ? `  (HTTPS only; client certificates ${CLIENT_CERTS_WHERE[tls.clientAuth]})` : '';
  say(`HTTP            ${http.url}${where}`);
  if (dm) say(`DM server       ${http.url}${dm.path}`);
  return http.url;
}

/** The OMA DM server over this process's store, its sessions in Redis (src/dm/server.ts). */
async function startDmServer(core: Core): Promise<DmServer> {
  const { db, config, logger } = core.deps;
  const redis = core.connectRedis('dm sessions');
  const dm = await DmServer.create({ db, logger, config, redis, provisioning: core.service });
  // sessions the handsets stopped answering are failed saying where (src/dm/sweep.ts)
  dm.startSweep(redis);
  return dm;
}

async function startDmRole(startup: Startup): Promise<RoleParts> {
  const tls = serverTls(startup.config);
  const core = await startCore(startup);
  const context = appContext(core, undefined);
  registerBindGauges(core, smscBindsView(core, undefined));
  const dm = await startDmServer(core);
  return { context, httpUrl: await serveHttp(context, startup, tls, dm) };
}

async function startSimulatorRole(startup: Startup): Promise<RoleParts> {
  return { simulator: await startSimulator(startup) };
}

async function startApiRole(startup: Startup): Promise<RoleParts> {
  const tls = serverTls(startup.config);
  const core = await startCore(startup);
  const context = appContext(core, undefined);
  registerBindGauges(core, smscBindsView(core, undefined));
  return { context, httpUrl: await serveHttp(context, startup, tls) };
}

/** Without smsc.routing a worker binds to the simulator at smsc.simulator (an smsc-sim process). */
async function startWorkerRole(startup: Startup): Promise<RoleParts> {
  const { config } = startup;
  const core = await startCore(startup);
  const routing =
    config.smsc.routing ??
    simulatorRouting(config.smsc.simulator.host, config.smsc.simulator.port, senderOf(config.requests));
  const { connector, worker } = await startWorkers(core, startup, routing);
  registerBindGauges(core, smscBindsView(core, connector, true));
  await serveMetricsOfWorker(core, startup);
  return { context: appContext(core, connector), worker };
}

/** worker.metricsPort: the worker's own /metrics for Prometheus (the worker role has no HTTP API). */
async function serveMetricsOfWorker(core: Core, { config, shutdown, say }: Startup): Promise<void> {
  const { metricsPort, metricsHost } = config.worker;
  if (metricsPort === 0) return;
  const server = await serveWorkerMetrics(core.metrics.registry, metricsHost, metricsPort);
  shutdown.add('http', () => server.close());
  say(`Metrics         ${server.url} (worker ${core.workerId})`);
}

/** api + worker in one process, and the simulator they bind to when no SMSC is configured. */
async function startAllRoles(startup: Startup): Promise<RoleParts> {
  const { config } = startup;
  const tls = serverTls(config);
  let routing = config.smsc.routing;
  let simulator: SmscSimulator | undefined;
  if (routing === undefined) {
    simulator = await startSimulator(startup);
    routing = simulatorRouting(simulator.host, simulator.port, senderOf(config.requests));
  }
  const core = await startCore(startup);
  const { connector, worker } = await startWorkers(core, startup, routing);
  const context = appContext(core, connector);
  registerBindGauges(core, smscBindsView(core, connector));
  const httpUrl = await serveHttp(context, startup, tls, await startDmServer(core));
  return { context, httpUrl, simulator, worker };
}

const ROLE_STARTERS: Record<Role, (startup: Startup) => Promise<RoleParts>> = {
  'smsc-sim': startSimulatorRole,
  api: startApiRole,
  worker: startWorkerRole,
  dm: startDmRole,
  all: startAllRoles,
};

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const role = options.role ?? 'all';
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const shutdown = new Shutdown(logger);
  const startup: Startup = {
    config,
    logger,
    say: options.announce ?? (() => undefined),
    shutdown,
    varDir: options.varDir,
  };
  try {
    const parts = await ROLE_STARTERS[role](startup);
    return {
      role,
      config,
      context: parts.context,
      httpUrl: parts.httpUrl,
      simulator: parts.simulator,
      worker: parts.worker,
      shutdownSteps: shutdown.steps(),
      stop: () => shutdown.run(),
    };
  } catch (error) {
    await shutdown.run();
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
