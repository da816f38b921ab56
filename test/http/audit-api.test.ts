import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appendAuditEntries, listAudit, type AuditEntryInput } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, type ApiHarness, type LooseJson } from './support/api-harness.ts';

const SUMMARY_MS = 300;

describeEachStore('the audit trail over HTTP (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind, http: { unauthenticatedSummaryMs: SUMMARY_MS } });
  });
  afterAll(async () => {
    await api?.close();
  });

  /** Entries of one actor of their own, an hour apart, oldest first (so newest first is the reverse). */
  async function seed(actor: string, count: number, extra: Partial<AuditEntryInput> = {}): Promise<Date[]> {
    const start = Date.parse('2024-03-01T00:00:00Z');
    const times = Array.from({ length: count }, (_, index) => new Date(start + index * 3600_000));
    await appendAuditEntries(
      api.store.db,
      times.map((at, index) => ({
        actor,
        action: index % 2 === 0 ? 'provisionings.request' : 'provisionings.resend',
        subjectType: 'subscriber',
        subjectId: `4917000${index % 3}`,
        outcome: index % 4 === 3 ? 'denied' : 'ok',
        details: { index },
        at,
        ...extra,
      })),
    );
    return times;
  }

  const getAudit = (query: string, key = api.keys.admin) => api.fetch(`/v1/audit?${query}`, { key });

  it('lists entries newest first and pages with the cursor until there is none', async () => {
    const actor = `pager-${randomUUID()}`;
    await seed(actor, 7);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await getAudit(
        `actor=${actor}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(response.status).toBe(200);
      const body = await readJson(response);
      seen.push(...body.entries.map((entry: LooseJson) => entry.details.index));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(pages).toBe(3);
  });

  it('narrows by action, subject, subject type, outcome and the time range (since inclusive, until exclusive)', async () => {
    const actor = `filter-${randomUUID()}`;
    const times = await seed(actor, 8);
    const indexes = async (query: string): Promise<number[]> => {
      const response = await getAudit(`actor=${actor}&${query}`);
      expect(response.status, query).toBe(200);
      return (await readJson(response)).entries.map((entry: LooseJson) => entry.details.index);
    };
    expect(await indexes('action=provisionings.resend')).toEqual([7, 5, 3, 1]);
    expect(await indexes('subject=49170001')).toEqual([7, 4, 1]);
    expect(await indexes('subject=49170001&subjectType=provisioning')).toEqual([]);
    expect(await indexes('outcome=denied')).toEqual([7, 3]);
    expect(
      await indexes(`since=${times[2].toISOString()}&until=${encodeURIComponent(times[5].toISOString())}`),
    ).toEqual([4, 3, 2]);
    const [entry] = (await readJson(await getAudit(`actor=${actor}&limit=1`))).entries;
    expect(entry).toMatchObject({ actor, role: null, subjectType: 'subscriber', at: times[7].toISOString() });
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const field = async (query: string): Promise<string[]> => {
      const response = await getAudit(query);
      expect(response.status, query).toBe(400);
      const body = await readJson(response);
      expect(body.error.code).toBe('VALIDATION_FAILED');
      return body.error.details.issues.map((issue: LooseJson) => issue.field);
    };
    expect(await field('cursor=not-a-cursor')).toEqual(['query.cursor']);
    // a cursor of another list is not one of this list
    const unmatched = Buffer.from('unmatched:5').toString('base64url');
    expect(await field(`cursor=${unmatched}`)).toEqual(['query.cursor']);
    expect(await field('outcome=maybe')).toEqual(['query.outcome']);
    expect(await field('since=yesterday')).toEqual(['query.since']);
    expect(await field('since=2024-03-02T00:00:00Z&until=2024-03-01T00:00:00Z')).toEqual(['query.until']);
    expect(await field('limit=0')).toEqual(['query.limit']);
    expect(await field('who=me')).toEqual(['query.who']);
  });

  it('is for admins only', async () => {
    for (const role of ['network', 'care', 'operator'] as const) {
      expect((await getAudit('', api.keys[role])).status, role).toBe(403);
      expect((await api.fetch('/v1/audit/export', { key: api.keys[role] })).status, role).toBe(403);
    }
    expect((await api.fetch('/v1/audit')).status).toBe(401);
  });

  it('exports every matching entry as JSON lines, newest first, streamed past one page, and audits the export', async () => {
    const actor = `export-${randomUUID()}`;
    await seed(actor, 1_205);
    const response = await api.fetch(`/v1/audit/export?actor=${actor}`, { key: api.keys.admin });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1_205);
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries[0].details.index).toBe(1_204);
    expect(entries.at(-1).details.index).toBe(0);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(1_205);

    const filtered = await api.fetch(`/v1/audit/export?actor=${actor}&outcome=denied&subject=49170000`, {
      key: api.keys.admin,
    });
    const denied = (await filtered.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(denied.every((entry) => entry.outcome === 'denied' && entry.subjectId === '49170000')).toBe(true);
    expect(denied).toHaveLength(101); // indexes 3, 15, 27, ... 1203: every 12th

    const [exportEntry] = await listAudit(api.store.db, { action: 'audit.export', actor: 'test-admin' });
    expect(exportEntry).toMatchObject({ role: 'admin', outcome: 'ok', subjectType: 'audit-log' });
    expect(exportEntry.details.filters).toMatchObject({ actor });
  });

  it('counts anonymous 401s in /metrics and writes one summary entry per interval, not one each', async () => {
    await new Promise((resolve) => setTimeout(resolve, SUMMARY_MS * 2)); // earlier tests' window closes
    const before = await listAudit(api.store.db, { actor: 'anonymous', limit: 1000 });
    const trigger = { imsi: '001010000000901', msisdn: '491700000901', imei: '35216700000901' };
    for (let i = 0; i < 5; i += 1) {
      const response = await api.fetch('/v1/triggers/first-use', { method: 'POST', json: trigger });
      expect(response.status).toBe(401);
    }
    for (let i = 0; i < 3; i += 1) {
      const response = await api.fetch('/v1/provisionings', {
        method: 'POST',
        key: 'otagw_' + 'x'.repeat(43),
        json: { msisdn: '491700000901', reason: 'test' },
      });
      expect(response.status).toBe(401);
    }
    expect((await api.fetch('/v1/messages')).status).toBe(401);
    // Nothing written per request.
    expect(await listAudit(api.store.db, { actor: 'anonymous', limit: 1000 })).toHaveLength(before.length);

    const metrics = await (await api.fetch('/metrics')).text();
    expect(metrics).toMatch(/otagw_http_unauthenticated_total\{code="UNAUTHENTICATED"\} (\d+)/);
    expect(
      Number(/otagw_http_unauthenticated_total\{code="INVALID_API_KEY"\} (\d+)/.exec(metrics)?.[1]),
    ).toBe(3);

    await new Promise((resolve) => setTimeout(resolve, SUMMARY_MS * 3));
    const after = await listAudit(api.store.db, { actor: 'anonymous', limit: 1000 });
    expect(after).toHaveLength(before.length + 1);
    const [summary] = after;
    expect(summary).toMatchObject({
      action: 'http.unauthenticated',
      outcome: 'denied',
      details: {
        count: 9,
        codes: { UNAUTHENTICATED: 6, INVALID_API_KEY: 3 },
        remoteAddresses: [{ address: expect.stringMatching(/127\.0\.0\.1$/), count: 9 }],
      },
    });
    expect(Date.parse(summary.details.until as string)).toBeGreaterThanOrEqual(
      Date.parse(summary.details.since as string),
    );
  });

  it('still audits each call made with a key that fails: 403 as denied, a bad body as failed', async () => {
    const forbidden = await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.network,
      json: { msisdn: '491700000902', reason: 'wrong role' },
    });
    expect(forbidden.status).toBe(403);
    const invalid = await api.fetch('/v1/provisionings', {
      method: 'POST',
      key: api.keys.care,
      json: { msisdn: 'not-a-number', reason: 'bad body' },
    });
    expect(invalid.status).toBe(400);
    const entries = await listAudit(api.store.db, { action: 'provisionings.request', limit: 10 });
    expect(entries.find((entry) => entry.actor === 'test-network')).toMatchObject({
      outcome: 'denied',
      role: 'network',
      details: { status: 403, error: 'FORBIDDEN' },
    });
    expect(entries.find((entry) => entry.actor === 'test-care')).toMatchObject({
      outcome: 'failed',
      details: { status: 400, error: 'VALIDATION_FAILED' },
    });
  });
});
