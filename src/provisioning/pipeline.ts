/**
 * What the service, the processor, the receipt handler and the sweeps share, and how a recorded state
 * change is announced (event bus + metrics) once it is committed.
 */
import type { Config } from '../config.ts';
import type { EventBus } from '../events/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ProvisionQueue } from '../queues/producers.ts';
import type { Db } from '../store/db.ts';
import type { GroupPolicies } from '../subscribers/group-policies.ts';
import type { DeviceCache } from './device-cache.ts';
import type { ProvisioningRecord, Transitioned } from './repository.ts';
import type { Actor, ProvisioningState } from './types.ts';

export interface PipelineDeps {
  db: Db;
  config: Config;
  queue: ProvisionQueue;
  events: EventBus;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => Date;
  /** device resolution with a short per-TAC cache; default: one per service/worker */
  devices?: DeviceCache;
  /** the groups' policies from the store, cached briefly; default: one per service/worker */
  policies?: GroupPolicies;
}

export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'system' };
export const WORKER_ACTOR: Actor = { name: 'worker', role: 'system' };

export function announceTransition(
  deps: Pick<PipelineDeps, 'events' | 'metrics'>,
  change: Transitioned,
  cause: string,
  details?: Record<string, unknown>,
): void {
  announceState(deps, change.provisioning, change.from, cause, change.at, details);
}

export function announceState(
  deps: Pick<PipelineDeps, 'events' | 'metrics'>,
  provisioning: ProvisioningRecord,
  from: ProvisioningState | null,
  cause: string,
  at: Date = new Date(),
  details?: Record<string, unknown>,
): void {
  if (from !== provisioning.state) deps.metrics.provisionings.inc({ state: provisioning.state });
  deps.events.publish({
    type: 'provisioning.state',
    provisioningId: provisioning.id,
    subscriberId: provisioning.subscriberId,
    msisdn: provisioning.msisdn,
    from,
    to: provisioning.state,
    cause,
    at: at.toISOString(),
    details,
  });
}
