import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DeliveryReport } from '../../src/connectors/types.ts';
import { createMemoryEventBus } from '../../src/events/bus.ts';
import type { GatewayEvent } from '../../src/events/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { PipelineDeps } from '../../src/provisioning/pipeline.ts';
import { handleReceipts } from '../../src/provisioning/receipts.ts';
import { transition } from '../../src/provisioning/repository.ts';
import type { Db } from '../../src/store/db.ts';
import { forEachStore } from '../support/stores.ts';
import { queuedProvisioning } from './harness.ts';

const WORKER = { name: 'worker', role: 'system' };

function pipeline(db: Db, seen: GatewayEvent[]): PipelineDeps {
  const events = createMemoryEventBus();
  events.subscribe((event) => seen.push(event));
  return {
    db,
    events,
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(),
  } as unknown as PipelineDeps;
}

function receipt(messageId: string, pushId?: string): DeliveryReport {
  return { smscId: 'sim', messageId, rawMessageId: messageId, state: 'delivered', source: 'tlv', pushId };
}

/** A provisioning being submitted: one pending segment without a message id yet. */
async function submitting(db: Db): Promise<string> {
  const id = await queuedProvisioning(db, WORKER, 'first-use');
  await transition(db, { id, to: 'submitting', cause: 'submit', actor: WORKER, insertSegments: 1 });
  return id;
}

forEachStore(({ db }) => {
  describe('a batch of receipts', () => {
    it("waits for the push it names when it overtook the write of the push's message id", async () => {
      const id = await submitting(db());
      const messageId = `overtaking-${randomUUID()}`;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      // The processor's transaction: the row locked, the id written, not yet committed.
      const processor = db().transaction(async (tx) => {
        await transition(tx, {
          id,
          to: 'submitted',
          cause: 'submitted',
          actor: WORKER,
          segmentResults: [{ segmentNumber: 1, ok: true, smsc: 'sim', messageId, error: null }],
        });
        locked();
        await released;
      });
      await isLocked;
      const seen: GatewayEvent[] = [];
      const handled = handleReceipts(pipeline(db(), seen), [receipt(messageId, id)]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await Promise.all([processor, handled]);

      const row = await db().one<{ state: string }>(`SELECT state FROM provisionings WHERE id = $1`, [id]);
      expect(row?.state).toBe('delivered');
      expect(seen.map((event) => event.type)).toEqual(['segment.receipt', 'provisioning.state']);
      expect(
        await db().query(`SELECT 1 FROM unmatched_receipts WHERE message_id_normalised = $1`, [messageId]),
      ).toHaveLength(0);
    });

    it('parks a receipt that matches nothing, once, with its push and counts it unmatched', async () => {
      const id = await submitting(db());
      const strays = [`stray-${randomUUID()}`, `stray-${randomUUID()}`];
      const deps = pipeline(db(), []);
      await handleReceipts(deps, [receipt(strays[0], id), receipt(strays[1])]);
      const parked = await db().query<{ message_id_normalised: string; details: Record<string, unknown> }>(
        `SELECT message_id_normalised, details FROM unmatched_receipts
         WHERE message_id_normalised = ANY($1::text[]) ORDER BY id`,
        [strays],
      );
      expect(parked.map((row) => [row.message_id_normalised, row.details.pushId])).toEqual([
        [strays[1], undefined],
        [strays[0], id],
      ]);
      const counted = await deps.metrics.receipts.get();
      expect(counted.values).toEqual([
        expect.objectContaining({ labels: { state: 'DELIVRD', matched: 'false' }, value: 2 }),
      ]);
    });
  });
});
