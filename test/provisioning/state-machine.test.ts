import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { PipelineDeps } from '../../src/provisioning/pipeline.ts';
import { applyParkedReceipts, handleReceipts } from '../../src/provisioning/receipts.ts';
import { listEvents, recordSubmitResults, transition } from '../../src/provisioning/repository.ts';
import { resetResentSegments } from '../../src/provisioning/resend-repository.ts';
import { askJobIdFor, jobIdFor } from '../../src/provisioning/service.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import type { Db } from '../../src/store/db.ts';
import { forEachStore } from '../support/stores.ts';
import { queuedProvisioning } from './harness.ts';

const ACTOR = { name: 'tester', role: 'care', requestId: 'req-1' };

function newProvisioning(db: Db): Promise<string> {
  return queuedProvisioning(db, ACTOR, 'care');
}

describe('job ids', () => {
  it('never contain a colon (BullMQ refuses them) nor the key itself (an IMSI), and stay distinct', () => {
    const key = 'first-use.262011234567890.35216700000901.1700000000000';
    expect(jobIdFor(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(jobIdFor(key)).toBe(jobIdFor(key));
    expect(jobIdFor('a:b')).not.toContain(':');
    expect(jobIdFor('a%3Ab')).not.toBe(jobIdFor('a:b'));
    expect(askJobIdFor('k')).not.toBe(jobIdFor('k'));
  });
});

forEachStore(({ db }) => {
  describe('provisioning state machine', () => {
    it('records the creation as requested -> queued, with an audit entry', async () => {
      const id = await newProvisioning(db());
      const events = await listEvents(db(), id);
      expect(events.map((event) => [event.fromState, event.toState])).toEqual([
        [null, 'requested'],
        ['requested', 'queued'],
      ]);
      const audit = await listAudit(db(), { subjectType: 'provisioning', subjectId: id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: 'provisioning.request',
        actor: 'tester',
        role: 'care',
        requestId: 'req-1',
      });
    });

    it('applies a transition only from the states it is allowed from, recording event and audit', async () => {
      const id = await newProvisioning(db());
      expect(
        await transition(db(), { id, from: ['submitted'], to: 'delivered', cause: 'x', actor: ACTOR }),
      ).toBeUndefined();
      const change = await transition(db(), {
        id,
        from: ['queued'],
        to: 'submitting',
        cause: 'submit',
        actor: ACTOR,
        details: { attempt: 1 },
        patch: { segment_count: 2, format: 'oma-cp' },
      });
      expect(change?.from).toBe('queued');
      expect(change?.provisioning).toMatchObject({ state: 'submitting', segmentCount: 2, format: 'oma-cp' });
      const events = await listEvents(db(), id);
      expect(events.at(-1)).toMatchObject({
        fromState: 'queued',
        toState: 'submitting',
        cause: 'submit',
        details: { attempt: 1 },
      });
      const audit = await listAudit(db(), {
        subjectType: 'provisioning',
        subjectId: id,
        action: 'provisioning.submitting',
      });
      expect(audit).toHaveLength(1);
    });

    it('two racing transitions from one state: only one wins', async () => {
      const id = await newProvisioning(db());
      const results = await Promise.all([
        transition(db(), { id, from: ['queued'], to: 'failed', cause: 'a', actor: ACTOR }),
        transition(db(), { id, from: ['queued'], to: 'submitting', cause: 'b', actor: ACTOR }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('applies receipts that overtook the message ids once the ids are stored', async () => {
      const id = await newProvisioning(db());
      await transition(db(), { id, from: ['queued'], to: 'submitting', cause: 'submit', actor: ACTOR });
      await resetResentSegments(db(), id, 2, []);
      const ids = [`m-${randomUUID()}`, `m-${randomUUID()}`];
      for (const messageId of ids) {
        await db().query(
          `INSERT INTO unmatched_receipts (smsc, message_id_normalised, receipt_state) VALUES ('sim', $1, 'DELIVRD')`,
          [messageId],
        );
      }
      await transition(db(), { id, from: ['submitting'], to: 'submitted', cause: 'submitted', actor: ACTOR });
      await recordSubmitResults(
        db(),
        id,
        ids.map((messageId, index) => ({
          segmentNumber: index + 1,
          ok: true,
          smsc: 'sim',
          messageId,
          error: null,
        })),
      );
      const settled = await db().transaction((tx) => applyParkedReceipts(tx, id, new Date()));
      expect(settled?.provisioning.state).toBe('delivered');
      expect(
        await db().query(`SELECT 1 FROM unmatched_receipts WHERE message_id_normalised = ANY($1::text[])`, [
          ids,
        ]),
      ).toHaveLength(0);
    });

    it('applies a batch of receipts: duplicates and late intermediate states do not undo a final one', async () => {
      const id = await newProvisioning(db());
      await transition(db(), { id, from: ['queued'], to: 'submitting', cause: 'submit', actor: ACTOR });
      await resetResentSegments(db(), id, 2, []);
      const ids = [`b-${randomUUID()}`, `b-${randomUUID()}`];
      await transition(db(), { id, from: ['submitting'], to: 'submitted', cause: 'submitted', actor: ACTOR });
      await recordSubmitResults(
        db(),
        id,
        ids.map((messageId, index) => ({
          segmentNumber: index + 1,
          ok: true,
          smsc: 'sim',
          messageId,
          error: null,
        })),
      );
      const deps = {
        db: db(),
        events: createMemoryEventBus(),
        metrics: createMetrics(),
        logger: createLogger({ level: 'silent' }),
        now: () => new Date(),
      } as unknown as PipelineDeps;
      const receipt = (messageId: string, state: 'delivered' | 'enroute') => ({
        smscId: 'sim',
        messageId,
        rawMessageId: messageId,
        state,
        source: 'tlv' as const,
      });
      const stray = `stray-${randomUUID()}`;
      await handleReceipts(deps, [
        receipt(ids[0], 'delivered'),
        receipt(ids[0], 'enroute'),
        receipt(ids[1], 'delivered'),
        receipt(ids[1], 'delivered'),
        receipt(stray, 'delivered'),
      ]);
      const view = await db().query<{ state: string }>(`SELECT state FROM provisionings WHERE id = $1`, [id]);
      expect(view[0].state).toBe('delivered');
      const segments = await db().query<{ receipt_state: string }>(
        `SELECT receipt_state FROM segments WHERE provisioning_id = $1 ORDER BY segment_number`,
        [id],
      );
      expect(segments.map((segment) => segment.receipt_state)).toEqual(['DELIVRD', 'DELIVRD']);
      expect(
        await db().query(`SELECT 1 FROM unmatched_receipts WHERE message_id_normalised = $1`, [stray]),
      ).toHaveLength(1);
    });
  });
});
