import type { Db } from '../../../store/db.ts';
import { judgeSettings, type ObservedSettings } from '../../../provisioning/stale-settings.ts';
import { findSubscriber } from '../../../subscribers/repository.ts';

export type Observed = ObservedSettings;

export interface Staleness {
  stale: boolean;
  /** Why, for the provisioning's reason. */
  why: string;
  /** The subscriber it is about. */
  subscriberId: string;
}

/**
 * The stale-config trigger's question, answered by the comparison device reports use too
 * (src/provisioning/stale-settings.ts): stale when a value the handset used is not in the latest version
 * of the profile it last received, or when it never received any settings. Undefined when there is no
 * such subscriber (found as a provisioning request finds it: by IMSI when given, else by MSISDN).
 */
export async function findStaleness(
  db: Db,
  who: { imsi?: string; msisdn?: string },
  observed: Observed,
): Promise<Staleness | undefined> {
  const subscriber = await findSubscriber(db, who);
  if (!subscriber) return undefined;
  const { verdict, why } = await judgeSettings(db, subscriber.id, observed);
  return { stale: verdict !== 'current', why, subscriberId: subscriber.id };
}
