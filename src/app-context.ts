/**
 * What a running gateway hands to its parts (HTTP app, CLI, workers): built once by main.ts.
 *
 * ```ts
 * interface AppContext {
 *   config: Config;                         // src/config.ts, frozen
 *   db: Db;                                 // src/store/db.ts
 *   logger: Logger;                         // pino
 *   provisioning: ProvisioningService;      // src/provisioning/types.ts
 *   events: EventBus;                       // src/events/types.ts (publish, subscribe -> unsubscribe)
 *   queues: QueueAccess;                    // ping(): Promise<boolean>, counts()
 *   smsc: { status(): BindStatus[] } | undefined;  // undefined in the api role (binds live in workers)
 *   smscBinds?: SmscBindsView;              // every worker's binds through Redis (src/smsc/worker-binds.ts)
 *   metrics: Registry;                      // prom-client
 * }
 * interface ProvisioningService {
 *   requestFirstUse(trigger: { imsi, msisdn, imei, imeisv?, observedAt?, source? }, actor: Actor)
 *     : Promise<{ outcome: 'queued'|'unchanged'|'debounced'|'awaiting-confirmation'|'unsupported-device';
 *                 provisioningId?: string }>;
 *   request(input: { msisdn?, imsi?, profileId?, reason, source, actor, idempotencyKey?, campaignId? })
 *     : Promise<Provisioning>;
 *   resend(id: string, reason: string, actor: Actor): Promise<Provisioning>;   // new provisioning, resend_of = id
 *   get(id: string): Promise<ProvisioningView | undefined>;                    // with events and segments
 *   confirm(msisdn: string, answer: string, actor: Actor): Promise<Provisioning | undefined>; // ask-first YES
 * }
 * Actor = { name: string; role?: string; requestId?: string }
 * Errors: ProvisioningError { code: 'SUBSCRIBER_NOT_FOUND' | 'PROVISIONING_NOT_FOUND' | 'PROFILE_NOT_FOUND'
 *   | 'INVALID_REQUEST' | 'QUEUE_UNAVAILABLE' (-> HTTP 503; nothing was recorded), message, details }
 * ```
 */
import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import type { BindStatus } from './connectors/types.ts';
import type { EventBus } from './events/types.ts';
import type { Logger } from './observability/logger.ts';
import type { ProvisioningService } from './provisioning/types.ts';
import type { SmscBindsView } from './smsc/worker-binds.ts';
import type { Db } from './store/db.ts';

export interface QueueAccess {
  /** true when Redis answers (readiness probes) */
  ping(): Promise<boolean>;
  /** job counts of the provisioning queue by BullMQ state (waiting, active, delayed, failed, ...) */
  counts(): Promise<Record<string, number>>;
  /** the BullMQ queues themselves, for Bull Board at /console/queues (admins); absent: no board */
  board?: readonly Queue[];
}

export interface SmscStatusSource {
  status(): BindStatus[];
}

export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  provisioning: ProvisioningService;
  events: EventBus;
  queues: QueueAccess;
  smsc: SmscStatusSource | undefined;
  /** every worker's binds (this process's own included once); read them with listSmscBinds */
  smscBinds?: SmscBindsView;
  metrics: Registry;
}

export type { Config } from './config.ts';
export type { EventBus, GatewayEvent } from './events/types.ts';
export type {
  Actor,
  FirstUseResult,
  FirstUseTrigger,
  Provisioning,
  ProvisioningRequest,
  ProvisioningService,
  ProvisioningView,
} from './provisioning/types.ts';
export { ProvisioningError } from './provisioning/types.ts';
