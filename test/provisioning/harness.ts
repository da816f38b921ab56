/**
 * A whole pipeline for tests: a test store (PGlite or Postgres), real Redis with a unique BullMQ prefix,
 * the SMSC simulator in-process on an ephemeral port reached over a real SMPP bind, the provisioning
 * service and one or more workers. Timings are short so the suite stays fast.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig, type Config, type LoadConfigOptions } from '../../src/config.ts';
import type { SmscConfig } from '../../src/connectors/config.ts';
import { createSmscConnectors, type SmscRouter } from '../../src/connectors/index.ts';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { createMemoryEventBus } from '../../src/events/bus.ts';
import type { EventBus, GatewayEvent } from '../../src/events/types.ts';
import { simulatorRouting } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type GatewayMetrics } from '../../src/observability/metrics.ts';
import type { PipelineDeps } from '../../src/provisioning/pipeline.ts';
import { startProvisioningWorker, type ProvisioningWorker } from '../../src/provisioning/runtime.ts';
import { seedAll, seedGroups } from '../../src/provisioning/seeds.ts';
import { GroupPolicies } from '../../src/subscribers/group-policies.ts';
import { DefaultProvisioningService } from '../../src/provisioning/service.ts';
import { insertProvisioning } from '../../src/provisioning/repository.ts';
import type { Actor, ProvisioningState, ProvisioningView } from '../../src/provisioning/types.ts';
import { producerConnection, waitReady, workerConnection } from '../../src/queues/connection.ts';
import { ProvisionQueue } from '../../src/queues/producers.ts';
import { startSmscSimulator, type SimBehaviour, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import type { SmscConnector } from '../../src/connectors/types.ts';
import type { Db, DbKind } from '../../src/store/db.ts';
import type { GroupPolicyInput } from '../../src/subscribers/policy.ts';
import { parseGroupPolicies } from '../../src/subscribers/policy.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

export const TEST_REDIS_URL = process.env.OTAGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONFIG_DIR = resolve(import.meta.dirname, '../../config');

/** A valid IMEI (Luhn check digit) with this TAC and serial. */
export function imeiWith(tac: string, serial: number): string {
  const body = (tac + String(serial).padStart(14 - tac.length, '0')).slice(0, 14);
  return body + String(luhnCheckDigit(body));
}

/** TACs of the sample catalogue (config/devices.csv). */
export const TAC = {
  nokiaN95: '35698001', // oma-cp, all SEC methods
  nokia6610: '35061200', // legacy 6-digit 350612: nokia-ota
  nokia3310: '35012200', // legacy 6-digit 350122: format none (unsupported)
} as const;

export function uniquePrefix(): string {
  return `otagw-test-${randomBytes(5).toString('hex')}`;
}

let numberSeed = Math.floor(Math.random() * 1e6);
export function uniqueSubscriber(): { imsi: string; msisdn: string } {
  numberSeed += 1;
  const n = String(numberSeed).padStart(7, '0');
  return {
    imsi: `26201${n}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`,
    msisdn: `4917${n}${Math.floor(Math.random() * 10)}`,
  };
}

/** A subscriber and a queued provisioning of it, written straight to the store (repository tests). */
export async function queuedProvisioning(db: Db, actor: Actor, source: string): Promise<string> {
  const subscriber = uniqueSubscriber();
  const row = await db.one<{ id: string }>(
    `INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2) RETURNING id`,
    [subscriber.imsi, subscriber.msisdn],
  );
  const id = randomUUID();
  await insertProvisioning(db, {
    id,
    subscriberId: row!.id,
    source,
    reason: 'test',
    actor,
    state: 'queued',
    priority: 1,
    idempotencyKey: `test.${id}`,
    cause: source,
  });
  return id;
}

export interface HarnessOptions {
  groups?: Record<string, GroupPolicyInput>;
  behaviour?: Partial<SimBehaviour>;
  provisioning?: Partial<Config['provisioning']>;
  /** settings of the gateway's SMSC connection to the simulator (e.g. its message-id bases) */
  smsc?: Partial<SmscConfig>;
  workers?: number;
  /** config texts: and requests: as a file would set them */
  texts?: NonNullable<LoadConfigOptions['overrides']>['texts'];
  requests?: NonNullable<LoadConfigOptions['overrides']>['requests'];
}

export interface Harness {
  kind: DbKind;
  store: TestStore;
  config: Config;
  deps: PipelineDeps;
  metrics: GatewayMetrics;
  events: EventBus;
  seen: GatewayEvent[];
  queue: ProvisionQueue;
  service: DefaultProvisioningService;
  sim: SmscSimulator;
  connector: SmscRouter;
  workers: ProvisioningWorker[];
  prefix: string;
  startWorker(connector?: SmscConnector): ProvisioningWorker;
  waitForState(
    id: string,
    states: readonly ProvisioningState[],
    timeoutMs?: number,
  ): Promise<ProvisioningView>;
  close(): Promise<void>;
}

export const FINAL: readonly ProvisioningState[] = ['delivered', 'failed', 'expired', 'cancelled'];

export async function startHarness(kind: DbKind, options: HarnessOptions = {}): Promise<Harness> {
  const store = await openTestStore(kind);
  const prefix = uniquePrefix();
  const base = loadConfig({
    env: {},
    configDir: CONFIG_DIR,
    overrides: {
      redis: { url: TEST_REDIS_URL, prefix },
      log: { level: 'silent' },
      provisioning: {
        // No debounce window unless a test asks for one: a first-use push would wait for it to close.
        debounceMs: 0,
        receiptTimeoutMs: 60_000,
        attempts: 6,
        backoffMs: 100,
        workerConcurrency: 20,
        lockDurationMs: 1_000,
        stalledIntervalMs: 500,
        expirySweepIntervalMs: 200,
        recoverySweepIntervalMs: 300,
        recoveryStaleMs: 1_000,
        ...options.provisioning,
      },
      devices: { operatorDefault: null },
      // the key of the DM secrets, as every process of one deployment shares it (src/dm/secrets.ts)
      dm: { secretKey: randomBytes(32).toString('base64') },
      texts: options.texts,
      requests: options.requests,
    },
  });
  const groups = options.groups ? parseGroupPolicies({ groups: options.groups }) : base.groups;
  const config: Config = Object.freeze({ ...base, groups });
  await seedAll(store.db, config);
  await seedGroups(store.db, groups);

  const sim = await startSmscSimulator({ port: 0, behaviour: { receiptDelayMs: 5, ...options.behaviour } });
  const logger = createLogger({ level: 'silent' });
  const producer = producerConnection({ url: TEST_REDIS_URL });
  producer.on('error', () => undefined);
  await waitReady(producer, 5_000);
  const queue = new ProvisionQueue({
    connection: producer,
    prefix,
    attempts: config.provisioning.attempts,
    backoffMs: config.provisioning.backoffMs,
  });
  const events = createMemoryEventBus();
  const seen: GatewayEvent[] = [];
  events.subscribe((event) => seen.push(event));
  const metrics = createMetrics();
  const deps: PipelineDeps = {
    db: store.db,
    config,
    queue,
    events,
    metrics,
    logger,
    now: () => new Date(),
    // No caching: a test that edits a group's stored policy sees it applied at once.
    policies: new GroupPolicies(store.db, groups, 0),
  };
  const service = new DefaultProvisioningService(deps);
  const routing = simulatorRouting('127.0.0.1', sim.port);
  const connector = createSmscConnectors(
    {
      ...routing,
      smscs: routing.smscs.map((smsc) => ({
        ...smsc,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        responseTimeoutMs: 2_000,
        queueTimeoutMs: 2_000,
        ...options.smsc,
      })),
    },
    { logger },
  );
  await connector.start();
  const workerConnections: Redis[] = [];
  const workers: ProvisioningWorker[] = [];
  const startWorker = (through: SmscConnector = connector): ProvisioningWorker => {
    const connection = workerConnection({ url: TEST_REDIS_URL });
    connection.on('error', () => undefined);
    workerConnections.push(connection);
    const worker = startProvisioningWorker(deps, through, service, { connection, prefix });
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i += 1) startWorker();

  const waitForState = async (
    id: string,
    states: readonly ProvisioningState[],
    timeoutMs = 10_000,
  ): Promise<ProvisioningView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await service.get(id);
      if (view && states.includes(view.state)) return view;
      if (Date.now() > deadline) {
        throw new Error(
          `provisioning ${id} is ${view?.state ?? 'missing'}, not ${states.join('|')} after ${timeoutMs} ms` +
            (view ? `: ${JSON.stringify(view.events.map((e) => `${e.toState}:${e.cause}`))}` : ''),
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return {
    kind,
    store,
    config,
    deps,
    metrics,
    events,
    seen,
    queue,
    service,
    sim,
    connector,
    workers,
    prefix,
    startWorker,
    waitForState,
    close: async () => {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await connector.stop().catch(() => undefined);
      await sim.close().catch(() => undefined);
      const keys = await producer.keys(`${prefix}:*`).catch(() => [] as string[]);
      if (keys.length > 0) await producer.del(...keys).catch(() => undefined);
      await queue.close().catch(() => undefined);
      producer.disconnect();
      for (const connection of workerConnections) connection.disconnect();
      await events.close();
      await store.dispose();
    },
  };
}
