import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  listEvents,
  listSegments,
  transitionMany,
  type TransitionInput,
} from '../../src/provisioning/repository.ts';
import { isolatingFailures } from '../../src/provisioning/group-commit.ts';
import { WorkerBatches } from '../../src/provisioning/worker-batches.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import type { Db } from '../../src/store/db.ts';
import { forEachStore } from '../support/stores.ts';
import { queuedProvisioning } from './harness.ts';

const WORKER = { name: 'worker', role: 'system' };

function newProvisioning(db: Db): Promise<string> {
  return queuedProvisioning(db, WORKER, 'first-use');
}

describe('isolatingFailures', () => {
  it('passes a batch through, and writes a failed batch again one item at a time', async () => {
    const calls: number[][] = [];
    const write = isolatingFailures(async (items: number[]) => {
      calls.push(items);
      if (items.includes(3)) throw new Error(`bad item in ${items.join(',')}`);
      return items.map((item) => item * 10);
    });
    expect(await write([1, 2])).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'fulfilled', value: 20 },
    ]);
    const outcomes = await write([4, 3, 5]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 40 });
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(calls.slice(1)).toEqual([[4, 3, 5], [4], [3], [5]]);
  });
});

forEachStore(({ db }) => {
  describe('transitions in a batch', () => {
    it('moves only the rows in their own allowed states, each with its own patch, event and audit entry', async () => {
      const [a, b, c] = await Promise.all([
        newProvisioning(db()),
        newProvisioning(db()),
        newProvisioning(db()),
      ]);
      const notBefore = new Date('2030-01-02T03:04:05.000Z');
      const inputs: TransitionInput[] = [
        {
          id: a,
          from: ['queued'],
          to: 'submitting',
          cause: 'submit',
          actor: WORKER,
          details: { attempt: 1 },
          patch: { format: 'oma-cp', segment_count: 2, security_method: 'NETWPIN', not_before: null },
          insertSegments: 2,
        },
        // not allowed from 'queued': nothing happens to b
        { id: b, from: ['submitted'], to: 'delivered', cause: 'receipts', actor: WORKER },
        {
          id: c,
          from: ['queued'],
          to: 'queued',
          cause: 'quiet-hours',
          actor: { name: 'care-agent', role: 'care', requestId: 'req-7' },
          patch: { not_before: notBefore },
        },
      ];
      const changes = await transitionMany(db(), inputs);
      expect(changes.map((change) => change?.provisioning.state)).toEqual([
        'submitting',
        undefined,
        'queued',
      ]);
      expect(changes[0]).toMatchObject({
        from: 'queued',
        provisioning: {
          id: a,
          format: 'oma-cp',
          segmentCount: 2,
          securityMethod: 'NETWPIN',
          notBefore: null,
        },
      });
      expect(changes[0]!.provisioning.imsi).toMatch(/^[0-9]{6,15}$/);
      expect(changes[2]!.provisioning.notBefore?.toISOString()).toBe(notBefore.toISOString());
      expect(changes[2]!.provisioning.format).toBeNull();

      expect((await listSegments(db(), a)).map((segment) => segment.submitStatus)).toEqual([
        'pending',
        'pending',
      ]);
      expect(await listSegments(db(), c)).toEqual([]);
      const eventsOf = async (id: string) =>
        (await listEvents(db(), id)).slice(2).map((event) => [event.fromState, event.toState, event.cause]);
      expect(await eventsOf(a)).toEqual([['queued', 'submitting', 'submit']]);
      expect(await eventsOf(b)).toEqual([]);
      expect(await eventsOf(c)).toEqual([['queued', 'queued', 'quiet-hours']]);
      const [audit] = await listAudit(db(), {
        subjectType: 'provisioning',
        subjectId: c,
        action: 'provisioning.queued',
      });
      expect(audit).toMatchObject({ actor: 'care-agent', role: 'care', requestId: 'req-7', outcome: 'ok' });
      expect(audit!.details).toMatchObject({ cause: 'quiet-hours', from: 'queued' });
    });

    it('stores submit results on the segments even when the row has left the allowed states', async () => {
      const id = await newProvisioning(db());
      await transitionMany(db(), [
        { id, from: ['queued'], to: 'submitting', cause: 'submit', actor: WORKER, insertSegments: 2 },
      ]);
      await transitionMany(db(), [
        {
          id,
          from: ['submitting'],
          to: 'failed',
          cause: 'care',
          actor: WORKER,
          patch: { finished_at: new Date() },
        },
      ]);
      const [change] = await transitionMany(db(), [
        {
          id,
          from: ['submitting'],
          to: 'submitted',
          cause: 'submitted',
          actor: WORKER,
          segmentResults: [
            { segmentNumber: 1, ok: true, smsc: 'sim', messageId: 'm-1', error: null },
            { segmentNumber: 2, ok: false, smsc: 'sim', messageId: null, error: 'ESME_RTHROTTLED' },
          ],
        },
      ]);
      expect(change).toBeUndefined();
      const segments = await listSegments(db(), id);
      expect(
        segments.map((segment) => [segment.submitStatus, segment.messageId, segment.submitError]),
      ).toEqual([
        ['submitted', 'm-1', null],
        ['rejected', null, 'ESME_RTHROTTLED'],
      ]);
    });
  });

  describe('worker batches', () => {
    it('reads and moves provisionings of jobs running side by side, each getting its own outcome', async () => {
      const ids = await Promise.all(Array.from({ length: 12 }, () => newProvisioning(db())));
      const batches = new WorkerBatches(db(), () => new Date());
      const records = await Promise.all([...ids, randomUUID(), 'not-a-uuid'].map((id) => batches.load(id)));
      expect(records.slice(0, 12).map((record) => record?.id)).toEqual(ids);
      expect(records.slice(12)).toEqual([undefined, undefined]);

      const started = await Promise.all(
        ids.map((id, index) =>
          batches.transition({
            id,
            // every third one is asked to move from a state it is not in
            from: index % 3 === 0 ? ['submitting'] : ['queued'],
            to: 'submitting',
            cause: 'submit',
            actor: WORKER,
            insertSegments: 1,
          }),
        ),
      );
      expect(started.map((change) => change?.provisioning.state)).toEqual(
        ids.map((_, index) => (index % 3 === 0 ? undefined : 'submitting')),
      );
      const submitted = await Promise.all(
        ids.map((id, index) =>
          batches.recordSubmitted({
            id,
            from: ['submitting'],
            to: 'submitted',
            cause: 'submitted',
            actor: WORKER,
            segmentResults: [
              { segmentNumber: 1, ok: true, smsc: 'sim', messageId: `id-${index}`, error: null },
            ],
          }),
        ),
      );
      expect(submitted.map((outcome) => outcome.submitted?.provisioning.state)).toEqual(
        ids.map((_, index) => (index % 3 === 0 ? undefined : 'submitted')),
      );
      expect(submitted.every((outcome) => outcome.settled === undefined)).toBe(true);
    });

    it('applies a receipt that was parked before the message id was stored, under the same lock', async () => {
      const id = await newProvisioning(db());
      const batches = new WorkerBatches(db(), () => new Date());
      await batches.transition({
        id,
        from: ['queued'],
        to: 'submitting',
        cause: 'submit',
        actor: WORKER,
        insertSegments: 1,
      });
      const messageId = `parked-${randomUUID()}`;
      await db().query(
        `INSERT INTO unmatched_receipts (smsc, message_id_normalised, receipt_state, details) VALUES ('sim', $1, 'DELIVRD', '{}')`,
        [messageId],
      );
      const outcome = await batches.recordSubmitted({
        id,
        from: ['submitting'],
        to: 'submitted',
        cause: 'submitted',
        actor: WORKER,
        segmentResults: [{ segmentNumber: 1, ok: true, smsc: 'sim', messageId, error: null }],
      });
      expect(outcome.submitted?.provisioning.state).toBe('submitted');
      expect(outcome.settled?.provisioning.state).toBe('delivered');
      expect(
        await db().query(`SELECT 1 FROM unmatched_receipts WHERE message_id_normalised = $1`, [messageId]),
      ).toHaveLength(0);
    });

    it('lets a receipt wait for its push until the outcome is stored', async () => {
      const batches = new WorkerBatches(db(), () => new Date());
      expect(batches.afterSubmitStored('p-1')).toBeUndefined();
      const stored = batches.beginSubmit('p-1');
      let released = false;
      const waiting = batches.afterSubmitStored('p-1')!.then(() => (released = true));
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(released).toBe(false);
      stored();
      await waiting;
      expect(released).toBe(true);
      expect(batches.afterSubmitStored('p-1')).toBeUndefined();
    });
  });
});
