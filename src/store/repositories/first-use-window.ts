/**
 * The debounce window of first-use detection (src/subscribers/first-use.ts): the provisioning a window
 * holds until it closes, and the handset the SIM is in meanwhile. A later trigger inside the window
 * makes its handset the one that provisioning will push to (the last handset wins).
 */
import type { Db } from '../db.ts';
import type { ProvisioningState } from '../../provisioning/types.ts';

export interface OpenFirstUse {
  id: string;
  state: Extract<ProvisioningState, 'queued' | 'awaiting-confirmation'>;
  imei: string | null;
}

/**
 * The subscriber's newest provisioning started by a first-use trigger (its idempotency key says so:
 * service.ts) that has not started sending: the one a trigger inside the window replaces the handset of.
 */
export async function findOpenFirstUse(tx: Db, subscriberId: string): Promise<OpenFirstUse | undefined> {
  return tx.one<OpenFirstUse>(
    `SELECT id, state, imei FROM provisionings
     WHERE subscriber_id = $1 AND state IN ('queued', 'awaiting-confirmation')
       AND idempotency_key LIKE 'first-use.%'
     ORDER BY created_at DESC LIMIT 1`,
    [subscriberId],
  );
}

/**
 * The handset the SIM is in now, for triggers inside the window: current_imei moves, imei_changed_at
 * (the window's start) stays, so a SIM that keeps changing handsets cannot hold its window open.
 */
export async function recordHandsetsInWindow(
  tx: Db,
  entries: ReadonlyArray<{ subscriberId: string; imei: string }>,
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `UPDATE subscribers s SET current_imei = x.imei, updated_at = now()
     FROM unnest($1::uuid[], $2::text[]) AS x(subscriber_id, imei) WHERE s.id = x.subscriber_id`,
    [entries.map((entry) => entry.subscriberId), entries.map((entry) => entry.imei)],
  );
}
