import type { Db } from '../../../store/db.ts';
import type { ProfileParameters } from '../../../profiles/schema.ts';

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

interface LastPushRow {
  subscriber_id: string;
  pushed_version: number | null;
  latest_version: number | null;
  latest_content: ProfileParameters | null;
}

/** `host`, `host:port` or a URL down to its host: what a probe reports as "the proxy". */
function proxyHost(value: string): string {
  const withoutScheme = value.replace(/^[a-z]+:\/\//i, '');
  return withoutScheme.split(/[/:]/)[0].toLowerCase();
}

/**
 * Compares what the handset used with the latest version of the profile it last received. Stale when
 * a value it used is not in that version, or when it never received any settings. Undefined when
 * there is no such subscriber.
 */
export async function findStaleness(
  db: Db,
  who: { imsi?: string; msisdn?: string },
  observed: Observed,
): Promise<Staleness | undefined> {
  const subscriber = await db.one<{ id: string }>(
    `SELECT id FROM subscribers WHERE ($1::text IS NOT NULL AND imsi = $1) OR ($2::text IS NOT NULL AND msisdn = $2) LIMIT 1`,
    [who.imsi ?? null, who.msisdn ?? null],
  );
  if (!subscriber) return undefined;
  const last = await db.one<LastPushRow>(
    `SELECT p.subscriber_id, pv.version AS pushed_version, pr.latest_version, latest.content AS latest_content
       FROM provisionings p
       JOIN profile_versions pv ON pv.id = p.profile_version_id
       JOIN profiles pr ON pr.id = pv.profile_id
       LEFT JOIN profile_versions latest ON latest.profile_id = pr.id AND latest.version = pr.latest_version
      WHERE p.subscriber_id = $1 AND p.state = 'delivered'
      ORDER BY p.created_at DESC LIMIT 1`,
    [subscriber.id],
  );
  if (!last || !last.latest_content) return { stale: true, why: 'no settings delivered yet' };
  const content = last.latest_content;
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
    return { stale: true, why: `${differences.join(', ')} not in version ${last.latest_version}` };
  }
  return { stale: false, why: 'matches the current version' };
}
