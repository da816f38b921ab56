import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter, auditWriteFailuresCounter } from '../../src/http/audit-writer.ts';
import type { Db } from '../../src/store/db.ts';
import { appendAuditEntries, listAudit, type AuditEntryInput } from '../../src/store/repositories/audit.ts';
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.ts';

/** The writer's failure counter by stage, read from its registry. */
async function failures(registry: Registry): Promise<Record<string, number>> {
  const metric = await auditWriteFailuresCounter(registry).get();
  return Object.fromEntries(metric.values.map((value) => [String(value.labels.stage), value.value]));
}

/** The store with its first `count` statements failing as a dropped connection would. */
function flakyDb(db: Db, count: number): Db {
  let left = count;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') {
        return async (...args: Parameters<Db['query']>) => {
          if (left > 0) {
            left -= 1;
            throw new Error('Connection terminated unexpectedly');
          }
          return target.query(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function entry(actor: string, index: number, details: Record<string, unknown> = {}): AuditEntryInput {
  return {
    actor,
    action: 'provisionings.resend',
    subjectType: 'subscriber',
    subjectId: `s-${index}`,
    details,
  };
}

describeEachStore('the audit writer keeps every caller entry when one is poisoned (%s store)', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('the store itself refuses a multi-row insert with one NUL: the whole statement is lost', async () => {
    const batch = [entry('raw', 1), entry('raw', 2, { reason: 'bad\u0000reason' }), entry('raw', 3)];
    await expect(appendAuditEntries(store.db, batch)).rejects.toThrow();
    expect(await listAudit(store.db, { actor: 'raw' })).toHaveLength(0);
  });

  it('400 callers and 10 poisoned entries in one batch: all 410 stored, those the store refuses sanitised and counted', async () => {
    const registry = new Registry();
    const writer = new AuditWriter(store.db, { metrics: registry, retryDelaysMs: [1, 1, 1] });
    const poisons = ['NUL \u0000 in a reason', 'lone \ud800 surrogate', 'low \udc00 first', 'bell \u0007'];
    const writes = Array.from({ length: 410 }, (_, index) =>
      index % 41 === 40
        ? writer.write(entry('mixed', index, { reason: poisons[index % poisons.length], poisoned: true }))
        : writer.write(entry('mixed', index, { reason: 'customer called' })),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);

    const stored = await listAudit(store.db, { actor: 'mixed', limit: 1000 });
    expect(stored).toHaveLength(410);
    const poisoned = stored.filter((row) => row.details.poisoned === true);
    expect(poisoned).toHaveLength(10);
    // The store refuses NUL and lone surrogates (a bell it takes as given): those 8 are kept with U+FFFD.
    const sanitised = poisoned.filter((row) => row.details.auditSanitised === true);
    expect(sanitised.map((row) => row.details.reason).sort()).toEqual(
      [
        ...Array(3).fill('NUL \ufffd in a reason'),
        ...Array(3).fill('lone \ufffd surrogate'),
        'low \ufffd first',
        'low \ufffd first',
      ].sort(),
    );
    expect(stored.filter((row) => row.details.auditSanitised === true)).toHaveLength(8);
    const counted = await failures(registry);
    expect(counted.batch).toBeGreaterThanOrEqual(1);
    expect(counted.sanitised).toBe(8);
    expect(counted.lost ?? 0).toBe(0);
  });

  it('an entry no store takes is retried, counted lost and rejected; its batch neighbours are kept', async () => {
    const registry = new Registry();
    const writer = new AuditWriter(store.db, { metrics: registry, retryDelaysMs: [1, 1, 1] });
    const writes = Array.from({ length: 50 }, (_, index) =>
      // An invalid time makes the row fail whatever its text holds: nothing to sanitise.
      writer.write(
        index === 25
          ? { ...entry('unstorable', index), at: new Date(Number.NaN) }
          : entry('unstorable', index),
      ),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => outcome.status).filter((status) => status === 'rejected')).toHaveLength(
      1,
    );
    expect(outcomes[25]!.status).toBe('rejected');
    expect(await listAudit(store.db, { actor: 'unstorable', limit: 100 })).toHaveLength(49);
    expect(await failures(registry)).toMatchObject({ batch: 1, retry: 3, lost: 1 });
  });

  it('a store that fails twice: the entry is retried until stored, and the retries counted', async () => {
    const registry = new Registry();
    const writer = new AuditWriter(flakyDb(store.db, 2), { metrics: registry, retryDelaysMs: [1, 5, 5] });
    await writer.write(entry('flaky', 1, { reason: 'store blinked' }));
    expect(await listAudit(store.db, { actor: 'flaky' })).toHaveLength(1);
    expect(await failures(registry)).toEqual({ retry: 2 });
  });
});

describe('sanitising leaves well-formed text alone', () => {
  it('pairs, tabs and line breaks stay; an entry without unstorable text is not rewritten', async () => {
    const { sanitisedEntry } = await import('../../src/http/audit-writer.ts');
    expect(sanitisedEntry(entry('x', 1, { reason: 'emoji \ud83d\ude00\tand\nlines' }))).toBeUndefined();
    expect(sanitisedEntry(entry('x', 1, { 'k\u0000': ['a\ud800'] }))?.details).toEqual({
      'k\ufffd': ['a\ufffd'],
      auditSanitised: true,
    });
  });
});
