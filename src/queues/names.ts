/** Queue and job names: the one place they are spelled. */

/** Provisioning work: compose, submit and follow a push (one job per provisioning). */
export const PROVISION_QUEUE = 'provision';

/** Job names within PROVISION_QUEUE. */
export const JOB_PROVISION = 'provision';
/** Ask-first groups: send the confirmation text. */
export const JOB_ASK_CONFIRMATION = 'ask-confirmation';

export type ProvisionJobName = typeof JOB_PROVISION | typeof JOB_ASK_CONFIRMATION;

export interface ProvisionJobData {
  provisioningId: string;
}

/** Redis pub/sub channel of gateway events (src/events), under the BullMQ prefix. */
export const eventsChannel = (prefix: string): string => `${prefix}:events`;

/**
 * BullMQ priority of a job (1 = first): care before first-use/dial/network before campaigns, and within
 * one source the group's priority (1..100, lower first; src/subscribers/policy.ts).
 */
const SOURCE_RANK: Readonly<Record<string, number>> = {
  care: 0,
  'first-use': 1,
  dial: 1,
  sms: 1,
  ussd: 1,
  network: 1,
  api: 1,
  'stale-config': 1,
  resend: 0,
  campaign: 2,
};
const RANK_WIDTH = 200;

export function jobPriority(source: string, groupPriority: number): number {
  const rank = SOURCE_RANK[source] ?? 1;
  return rank * RANK_WIDTH + Math.min(Math.max(groupPriority, 1), RANK_WIDTH - 1);
}
