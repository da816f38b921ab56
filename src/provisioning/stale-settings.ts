/**
 * Settings a handset was seen using, compared with what it was sent: one comparison for the stale-config
 * trigger (a probe saw the handset use old settings) and for device reports (the handset said what it
 * has). Both re-provision through requestStaleReprovision, which starts at most one re-provision at a
 * time per subscriber.
 */
import type { ProfileParameters } from '../profiles/schema.ts';
import type { Db } from '../store/db.ts';
import {
  findLastDeliveredProfile,
  findNewestProvisioningOfSource,
  type LastDeliveredProfile,
} from './history-repository.ts';
import { findByIdempotencyKey, publicProvisioning } from './repository.ts';
import { FINAL_STATES, type Actor, type ProvisioningService, type ProvisioningState } from './types.ts';

/** What a probe or the handset saw in use. */
export interface ObservedSettings {
  apn?: string;
  proxy?: string;
  mmsc?: string;
}

const OBSERVED_KEYS = ['apn', 'proxy', 'mmsc'] as const;

/** The settings a device report's configuration names: its `apn`, `proxy` and `mmsc` entries (text). */
export function observedSettingsOf(configuration: Record<string, unknown>): ObservedSettings {
  const observed: ObservedSettings = {};
  for (const key of OBSERVED_KEYS) {
    const value = configuration[key];
    if (typeof value === 'string' && value !== '') observed[key] = value;
  }
  return observed;
}

export function namesAnySetting(observed: ObservedSettings): boolean {
  return OBSERVED_KEYS.some((key) => observed[key] !== undefined);
}

/** `host`, `host:port` or a URL down to its host: what a probe reports as "the proxy". */
function proxyHost(value: string): string {
  const withoutScheme = value.replace(/^[a-z]+:\/\//i, '');
  return withoutScheme.split(/[/:]/)[0].toLowerCase();
}

/** The observed values this version does not carry, each as `apn <value>` (empty: all in it). */
export function settingsNotIn(content: ProfileParameters, observed: ObservedSettings): string[] {
  const differences: string[] = [];
  if (observed.apn !== undefined && !content.connections?.some((c) => c.apn === observed.apn)) {
    differences.push(`apn ${observed.apn}`);
  }
  if (
    observed.proxy !== undefined &&
    !content.proxies?.some((p) => p.address.toLowerCase() === proxyHost(observed.proxy!))
  ) {
    differences.push(`proxy ${observed.proxy}`);
  }
  if (observed.mmsc !== undefined && content.mms?.mmscUrl !== observed.mmsc) {
    differences.push(`mmsc ${observed.mmsc}`);
  }
  return differences;
}

export type SettingsVerdict =
  | { verdict: 'never-delivered'; why: string }
  | { verdict: 'current' | 'stale'; why: string; last: LastDeliveredProfile };

/**
 * Compares what the handset used with the latest version of the profile it last received: stale when
 * a value it used is not in that version.
 */
export async function judgeSettings(
  db: Db,
  subscriberId: string,
  observed: ObservedSettings,
): Promise<SettingsVerdict> {
  const last = await findLastDeliveredProfile(db, subscriberId);
  if (!last || !last.latestContent) return { verdict: 'never-delivered', why: 'no settings delivered yet' };
  const differences = settingsNotIn(last.latestContent, observed);
  if (differences.length > 0) {
    return {
      verdict: 'stale',
      why: `${differences.join(', ')} not in version ${last.latestVersion}`,
      last,
    };
  }
  return { verdict: 'current', why: 'matches the current version', last };
}

export const STALE_CONFIG_SOURCE = 'stale-config';

export interface StaleReprovision {
  provisioning: { id: string; state: ProvisioningState };
  /** true: a stale-config re-provision was open already, and it is the answer (none started). */
  reused: boolean;
}

/** The Postgres unique-violation code: another request took the same idempotency key first. */
const UNIQUE_VIOLATION = '23505';

/**
 * Starts a stale-config re-provision unless one is open (not in a final state) for the subscriber:
 * then that one is the answer. The idempotency key names the subscriber's newest stale-config
 * provisioning before it, so two reports racing past the check still make one provisioning, and
 * a later one (after that provisioning ended) makes a new one.
 */
export async function requestStaleReprovision(
  deps: { db: Db; provisioning: ProvisioningService },
  target: { subscriberId: string; who: { imsi?: string; msisdn?: string } },
  reason: string,
  actor: Actor,
): Promise<StaleReprovision> {
  const newest = await findNewestProvisioningOfSource(deps.db, target.subscriberId, STALE_CONFIG_SOURCE);
  if (newest && !FINAL_STATES.has(newest.state as ProvisioningState)) {
    return { provisioning: { id: newest.id, state: newest.state as ProvisioningState }, reused: true };
  }
  const idempotencyKey = `${STALE_CONFIG_SOURCE}.${target.subscriberId}.after.${newest?.id ?? 'none'}`;
  try {
    const provisioning = await deps.provisioning.request({
      ...target.who,
      reason,
      source: STALE_CONFIG_SOURCE,
      actor,
      idempotencyKey,
    });
    return { provisioning, reused: false };
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    const winner = await findByIdempotencyKey(deps.db, idempotencyKey);
    if (!winner) throw error;
    return { provisioning: publicProvisioning(winner), reused: true };
  }
}
