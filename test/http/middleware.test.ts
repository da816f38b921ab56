import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { TokenBucketLimiter } from '../../src/http/middleware/rate-limit.ts';
import { readJson, startApi, type ApiHarness } from './support/api-harness.ts';

describe('token bucket', () => {
  it('allows a burst, then one request per refill interval', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 0]);
    expect(limiter.take('k')).toBeCloseTo(0.5);
    now += 500;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('other')).toBe(0);
  });
});

describe('middleware', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ http: { rateLimit: { ratePerSecond: 1, burst: 2 } } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('renders unknown routes and methods in the error envelope', async () => {
    const missing = await api.fetch('/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).error.code).toBe('NOT_FOUND');
    const wrongMethod = await api.fetch('/healthz', { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect((await readJson(wrongMethod)).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('echoes a sane request id and makes one up otherwise', async () => {
    const given = await api.fetch('/healthz', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await api.fetch('/healthz', { headers: { 'X-Request-Id': 'bad id\twith spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rate-limits per key with 429 and Retry-After, other keys unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await api.fetch('/v1/smsc', { key: api.keys.operator })).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.slice(2)).toContain(429);
    const limited = await api.fetch('/v1/smsc', { key: api.keys.operator });
    if (limited.status === 429) {
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await readJson(limited)).error.code).toBe('RATE_LIMITED');
    }
    expect((await api.fetch('/v1/smsc', { key: api.keys.admin })).status).toBe(200);
  });

  it('refuses unknown query parameters and a wrong content type', async () => {
    // A key of its own: the shared ones may have used up this suite's tiny burst.
    const { key } = await createApiKey(api.store.db, { name: 'fresh-admin', role: 'admin' });
    const unknown = await api.fetch('/v1/groups?color=blue', { key });
    expect(unknown.status).toBe(400);
    expect((await readJson(unknown)).error.details.issues[0].field).toBe('query.color');
    const text = await api.fetch('/v1/keys', {
      method: 'POST',
      key,
      headers: { 'Content-Type': 'text/plain' },
      body: '{"name":"x","role":"care"}',
    });
    expect(text.status).toBe(415);
  });
});

describe('body limit', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ http: { bodyLimitBytes: 1024 } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++)
          controller.enqueue(new TextEncoder().encode('{"a":"' + 'x'.repeat(100) + '"}'));
        controller.close();
      },
    });
    const response = await api.fetch('/v1/keys', {
      method: 'POST',
      key: api.keys.admin,
      headers: { 'Content-Type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect((await readJson(response)).error.code).toBe('BODY_TOO_LARGE');
  });
});
