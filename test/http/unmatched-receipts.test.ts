import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryReport } from '../../src/connectors/types.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { PipelineDeps } from '../../src/provisioning/pipeline.ts';
import { parkReceipts } from '../../src/provisioning/receipt-repository.ts';
import { handleReceipts } from '../../src/provisioning/receipts.ts';
import { dropStaleUnmatchedReceipts, startSweeps } from '../../src/provisioning/sweeps.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, type ApiHarness, type LooseJson } from './support/api-harness.ts';

describeEachStore('unmatched receipts: listed, counted and swept (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind });
  });
  afterAll(async () => {
    await api?.close();
  });

  function pipeline(): PipelineDeps {
    const metrics = createMetrics();
    return {
      db: api.store.db,
      config: api.context.config,
      events: api.context.events,
      metrics,
      logger: api.context.logger,
      now: () => new Date(),
    } as unknown as PipelineDeps;
  }

  const receipt = (smscId: string, messageId: string): DeliveryReport => ({
    smscId,
    messageId,
    rawMessageId: messageId,
    state: 'delivered',
    stat: 'DELIVRD',
    source: 'text',
    doneAt: new Date('2024-03-01T10:15:00Z'),
    receivedAt: new Date(),
  });

  const list = (query: string, key = api.keys.operator) =>
    api.fetch(`/v1/messages/unmatched?${query}`, { key });

  it('lists the receipts that matched no segment, newest first, paged with the cursor, by SMSC', async () => {
    const smsc = `stray-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: 5 }, (_, index) => `m${index}-${randomUUID()}`);
    for (const id of ids) await handleReceipts(pipeline(), [receipt(smsc, id)]);

    const first = await list(`smsc=${smsc}&limit=3`);
    expect(first.status).toBe(200);
    const page = await readJson(first);
    expect(page.receipts.map((r: LooseJson) => r.messageId)).toEqual([ids[4], ids[3], ids[2]]);
    expect(page.receipts[0]).toMatchObject({
      smsc,
      stat: 'DELIVRD',
      error: null,
      smscDoneDate: '2024-03-01T10:15:00.000Z',
      smscSubmitDate: null,
    });
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await readJson(await list(`smsc=${smsc}&limit=3&cursor=${page.nextCursor}`));
    expect(second.receipts.map((r: LooseJson) => r.messageId)).toEqual([ids[1], ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('is for operators: 401 without a key, 403 for care, 400 naming a bad cursor', async () => {
    expect((await api.fetch('/v1/messages/unmatched')).status).toBe(401);
    expect((await list('', api.keys.care)).status).toBe(403);
    expect((await list('', api.keys.admin)).status).toBe(200);
    const bad = await list(`cursor=${Buffer.from('audit:3').toString('base64url')}`);
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error.details.issues[0].field).toBe('query.cursor');
  });

  it('counts them in /metrics by SMSC, as the store holds them', async () => {
    const smsc = `counted-${randomUUID().slice(0, 8)}`;
    await handleReceipts(pipeline(), [
      receipt(smsc, `a-${randomUUID()}`),
      receipt(smsc, `b-${randomUUID()}`),
    ]);
    const metrics = await (await api.fetch('/metrics')).text();
    expect(metrics).toContain(`otagw_unmatched_receipts{smsc="${smsc}"} 2`);
  });

  it('drops those older than the receipt timeout in a sweep, counting them, and keeps the rest', async () => {
    const smsc = `old-${randomUUID().slice(0, 8)}`;
    const timeoutMs = api.context.config.provisioning.receiptTimeoutMs;
    const parked = (messageId: string, ageMs: number) => ({
      smsc,
      messageId,
      stat: 'DELIVRD',
      error: null,
      details: {},
      receivedAt: new Date(Date.now() - ageMs),
      smscSubmitDate: null,
      smscDoneDate: null,
    });
    await parkReceipts(api.store.db, [
      parked('stale-1', timeoutMs + 60_000),
      parked('stale-2', timeoutMs + 1_000),
      parked('fresh', timeoutMs - 60_000),
    ]);
    const deps = pipeline();
    expect(await dropStaleUnmatchedReceipts(deps)).toBeGreaterThanOrEqual(2);
    const left = await readJson(await list(`smsc=${smsc}`));
    expect(left.receipts.map((r: LooseJson) => r.messageId)).toEqual(['fresh']);
    expect((await deps.metrics.unmatchedReceiptsDropped.get()).values).toContainEqual(
      expect.objectContaining({ labels: { smsc }, value: 2 }),
    );
    // Nothing is old enough a second time.
    const again = pipeline();
    await dropStaleUnmatchedReceipts(again);
    expect(
      (await again.metrics.unmatchedReceiptsDropped.get()).values.some((v) => v.labels.smsc === smsc),
    ).toBe(false);
  });

  it('runs the drop with the other sweeps, on the expiry interval', async () => {
    const smsc = `swept-${randomUUID().slice(0, 8)}`;
    const provisioning = api.context.config.provisioning;
    await parkReceipts(api.store.db, [
      {
        smsc,
        messageId: 'stale',
        stat: 'UNDELIV',
        error: '001',
        details: {},
        receivedAt: new Date(Date.now() - provisioning.receiptTimeoutMs - 1_000),
        smscSubmitDate: null,
        smscDoneDate: null,
      },
    ]);
    const deps = {
      ...pipeline(),
      // the recovery sweep (which needs the queue) does not come round in this test
      config: {
        ...api.context.config,
        provisioning: { ...provisioning, expirySweepIntervalMs: 50, recoverySweepIntervalMs: 3_600_000 },
      },
    } as PipelineDeps;
    const sweeps = startSweeps(deps);
    try {
      const deadline = Date.now() + 5_000;
      while ((await readJson(await list(`smsc=${smsc}`))).receipts.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await sweeps.stop();
    }
    expect((await readJson(await list(`smsc=${smsc}`))).receipts).toEqual([]);
    expect((await deps.metrics.unmatchedReceiptsDropped.get()).values).toContainEqual(
      expect.objectContaining({ labels: { smsc }, value: 1 }),
    );
  });
});
