/**
 * The state machine's table (src/provisioning/state-machine.ts) walked against a real store: every
 * transition it lists works, every other pair of states is refused and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  insertProvisioning,
  listEvents,
  transition,
  transitionMany,
} from '../../src/provisioning/repository.ts';
import {
  isAllowed,
  statesEntering,
  TRANSITIONS,
  TransitionNotAllowed,
} from '../../src/provisioning/state-machine.ts';
import { FINAL_STATES, PROVISIONING_STATES, type ProvisioningState } from '../../src/provisioning/types.ts';
import type { Db } from '../../src/store/db.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { forEachStore } from '../support/stores.ts';
import { queuedProvisioning, uniqueSubscriber } from './harness.ts';

const ACTOR = { name: 'table-walker', role: 'system' };

const PAIRS = PROVISIONING_STATES.flatMap((from) => PROVISIONING_STATES.map((to) => ({ from, to })));
const ALLOWED = PAIRS.filter(({ from, to }) => isAllowed(from, to));
const REFUSED = PAIRS.filter(({ from, to }) => !isAllowed(from, to));

/** A provisioning put straight into `state` (the walk starts from every state, reachable or not). */
async function provisioningIn(db: Db, state: ProvisioningState): Promise<string> {
  const id = await queuedProvisioning(db, ACTOR, 'care');
  await db.query(`UPDATE provisionings SET state = $2 WHERE id = $1`, [id, state]);
  return id;
}

async function stateAndEventCount(db: Db, id: string): Promise<[string, number]> {
  const row = await db.one<{ state: string }>(`SELECT state FROM provisionings WHERE id = $1`, [id]);
  return [row!.state, (await listEvents(db, id)).length];
}

describe('the transition table', () => {
  it('lists each pair of states once, nothing leaves a final state, every state is reached', () => {
    const keys = TRANSITIONS.map(({ from, to }) => `${from}->${to}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(TRANSITIONS.filter(({ from }) => from !== null && FINAL_STATES.has(from))).toEqual([]);
    const reached = new Set<ProvisioningState | null>([null]);
    for (let grown = true; grown;) {
      grown = false;
      for (const { from, to } of TRANSITIONS) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grown = true;
        }
      }
    }
    expect([...reached].filter((state) => state !== null).sort()).toEqual([...PROVISIONING_STATES].sort());
    expect(TRANSITIONS.every(({ causes }) => causes.length > 0)).toBe(true);
  });

  it('takes a narrowing only when it is a subset of the table', () => {
    expect(statesEntering('submitting', ['queued'])).toEqual(['queued']);
    expect([...statesEntering('delivered')]).toEqual(['submitted']);
    expect(() => statesEntering('submitting', ['queued', 'submitted'])).toThrow(TransitionNotAllowed);
    // nothing enters 'requested' but the creation of a provisioning
    expect(() => statesEntering('requested')).toThrow(TransitionNotAllowed);
    for (const { from, to } of REFUSED)
      expect(() => statesEntering(to, [from])).toThrow(TransitionNotAllowed);
  });
});

forEachStore(({ db }) => {
  describe('the transition table against the store', () => {
    it.each(ALLOWED)('allows $from -> $to, with its event and audit entry', async ({ from, to }) => {
      const id = await provisioningIn(db(), from);
      const change = await transition(db(), { id, to, cause: 'walk', actor: ACTOR });
      expect(change).toMatchObject({ from, provisioning: { id, state: to } });
      expect((await listEvents(db(), id)).at(-1)).toMatchObject({
        fromState: from,
        toState: to,
        cause: 'walk',
      });
      const audit = await listAudit(db(), { subjectType: 'provisioning', subjectId: id });
      expect(audit[0]).toMatchObject({ action: `provisioning.${to}`, actor: ACTOR.name });
    });

    it('moves a batch of every allowed transition in one statement', async () => {
      const ids = await Promise.all(ALLOWED.map(({ from }) => provisioningIn(db(), from)));
      const changes = await transitionMany(
        db(),
        ALLOWED.map(({ from, to }, index) => ({
          id: ids[index],
          from: [from],
          to,
          cause: 'walk',
          actor: ACTOR,
        })),
      );
      expect(changes.map((change) => [change?.from, change?.provisioning.state])).toEqual(
        ALLOWED.map(({ from, to }) => [from, to]),
      );
    });

    it('refuses every other pair: asked for, it throws; left to the table, it does nothing', async () => {
      const rows = new Map<ProvisioningState, string>();
      for (const state of PROVISIONING_STATES) rows.set(state, await provisioningIn(db(), state));
      const before = new Map<string, [string, number]>();
      for (const id of rows.values()) before.set(id, await stateAndEventCount(db(), id));

      for (const { from, to } of REFUSED) {
        const id = rows.get(from)!;
        await expect(
          transition(db(), { id, from: [from], to, cause: 'walk', actor: ACTOR }),
        ).rejects.toBeInstanceOf(TransitionNotAllowed);
        if (to === 'requested') continue; // nothing enters it: refused before any row is read
        expect(await transition(db(), { id, to, cause: 'walk', actor: ACTOR })).toBeUndefined();
      }
      // A batch with one refused transition is refused whole.
      await expect(
        transitionMany(db(), [
          { id: rows.get('queued')!, to: 'submitting', cause: 'walk', actor: ACTOR },
          { id: rows.get('delivered')!, from: ['delivered'], to: 'queued', cause: 'walk', actor: ACTOR },
        ]),
      ).rejects.toBeInstanceOf(TransitionNotAllowed);

      for (const id of rows.values()) expect(await stateAndEventCount(db(), id)).toEqual(before.get(id));
    });

    it.each(PROVISIONING_STATES)(
      'creates a provisioning in %s only when the table allows it',
      async (state) => {
        const subscriber = uniqueSubscriber();
        const row = await db().one<{ id: string }>(
          `INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2) RETURNING id`,
          [subscriber.imsi, subscriber.msisdn],
        );
        const id = randomUUID();
        const insert = insertProvisioning(db(), {
          id,
          subscriberId: row!.id,
          source: 'care',
          reason: 'walk',
          actor: ACTOR,
          state,
          priority: 1,
          idempotencyKey: `walk.${id}`,
          cause: 'walk',
        });
        if (state === 'requested' || isAllowed('requested', state)) {
          expect((await insert)?.state).toBe(state);
          const events = await listEvents(db(), id);
          expect(events.map((event) => [event.fromState, event.toState])).toEqual(
            state === 'requested'
              ? [[null, 'requested']]
              : [
                  [null, 'requested'],
                  ['requested', state],
                ],
          );
        } else {
          await expect(insert).rejects.toBeInstanceOf(TransitionNotAllowed);
          expect(await db().query(`SELECT 1 FROM provisionings WHERE id = $1`, [id])).toHaveLength(0);
        }
      },
    );
  });
});
