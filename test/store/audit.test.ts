import { expect, it } from 'vitest';
import { appendAudit, listAudit } from '../../src/store/repositories/audit.ts';
import { forEachStore } from '../support/stores.ts';

forEachStore(({ db }) => {
  it('appends an entry and returns it with its id and time', async () => {
    const entry = await appendAudit(db(), {
      actor: 'care:bob',
      role: 'care',
      action: 'provisioning.resend',
      subjectType: 'subscriber',
      subjectId: 'sub-append',
      details: { reason: 'customer called', attempt: 2 },
      requestId: 'req-1',
    });
    expect(entry).toEqual({
      id: expect.any(Number),
      at: expect.any(Date),
      actor: 'care:bob',
      role: 'care',
      action: 'provisioning.resend',
      subjectType: 'subscriber',
      subjectId: 'sub-append',
      outcome: 'ok',
      details: { reason: 'customer called', attempt: 2 },
      requestId: 'req-1',
    });
  });

  it('lists the entries of one subject, newest first, and pages with beforeId', async () => {
    for (const action of ['first', 'second', 'third']) {
      await appendAudit(db(), { actor: 'worker', action, subjectType: 'provisioning', subjectId: 'p-list' });
    }
    await appendAudit(db(), {
      actor: 'worker',
      action: 'other',
      subjectType: 'provisioning',
      subjectId: 'p-other',
    });
    const page = await listAudit(db(), { subjectType: 'provisioning', subjectId: 'p-list', limit: 2 });
    expect(page.map((entry) => entry.action)).toEqual(['third', 'second']);
    const next = await listAudit(db(), {
      subjectType: 'provisioning',
      subjectId: 'p-list',
      beforeId: page[1].id,
    });
    expect(next.map((entry) => entry.action)).toEqual(['first']);
  });

  it('records refusals and failures with their outcome, and keeps a given time', async () => {
    const at = new Date('2024-01-02T03:04:05.678Z');
    await appendAudit(db(), {
      actor: 'key:unknown',
      action: 'api.call',
      outcome: 'denied',
      subjectId: 'o-1',
      at,
    });
    const [entry] = await listAudit(db(), { actor: 'key:unknown' });
    expect(entry).toMatchObject({ outcome: 'denied', at, subjectType: null, role: null, details: {} });
  });

  it('refuses an outcome it does not know', async () => {
    await expect(
      appendAudit(db(), { actor: 'x', action: 'y', outcome: 'maybe' as never, subjectId: 'o-2' }),
    ).rejects.toThrow();
  });

  it('belongs to the transaction it is written in', async () => {
    await expect(
      db().transaction(async (tx) => {
        await appendAudit(tx, { actor: 'tx', action: 'rolled-back', subjectId: 'tx-1' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await listAudit(db(), { subjectId: 'tx-1' })).toEqual([]);
  });
});
