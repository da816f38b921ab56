import type { Db } from '../../../store/db.ts';
import { findLastDeliveredProfile } from '../../../store/repositories/provisioning-history.ts';
import { findSubscriber } from '../../../subscribers/repository.ts';

export interface Observed {
  apn?: string;
  proxy?: string;
  mmsc?: string;
}

export interface Staleness {
  stale: boolean;
  /** Why, for the provisioning's reason. */
  why: string;
}

/** `host`, `host:port` or a URL down to its host: what a probe reports as "the proxy". */
function proxyHost(value: string): string {
  const withoutScheme = value.replace(/^[a-z]+:\/\//i, '');
  return withoutScheme.split(/[/:]/)[0].toLowerCase();
}

/**
 * Compares what the handset used with the latest version of the profile it last received. Stale when
 * a value it used is not in that version, or when it never received any settings. Undefined when
 * there is no such subscriber (found as a provisioning request finds it: by IMSI when given, else by
 * MSISDN).
 */
export async function findStaleness(
  db: Db,
  who: { imsi?: string; msisdn?: string },
  observed: Observed,
): Promise<Staleness | undefined> {
  const subscriber = await findSubscriber(db, who);
  if (!subscriber) return undefined;
  const last = await findLastDeliveredProfile(db, subscriber.id);
  if (!last || !last.latestContent) return { stale: true, why: 'no settings delivered yet' };
  const content = last.latestContent;
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
  if (differences.length > 0) {
    return { stale: true, why: `${differences.join(', ')} not in version ${last.latestVersion}` };
  }
  return { stale: false, why: 'matches the current version' };
}
