/**
 * Issue 15 #10 and #11: rate limits are configuration (http.rateLimit per role and per key name,
 * answered 429 with Retry-After), and unauthenticated traffic has a per-address budget enforced before
 * authentication, its refusals counted and summarised per address (one audit row, not one each).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_ROLE_RATE_LIMITS, limitForKey } from '../../src/http/middleware/rate-limit.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { readJson, startApi, type ApiHarness } from './support/api-harness.ts';

const SUMMARY_MS = 300;

async function statuses(
  api: ApiHarness,
  path: string,
  key: string | undefined,
  count: number,
): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < count; i += 1) answers.push((await api.fetch(path, key ? { key } : {})).status);
  return answers;
}

describe('http.rateLimit in the configuration', () => {
  it('ships per-role defaults (care and operator 200/s, network higher), merged with what a file sets', () => {
    const shipped = loadConfig({ env: {} }).http.rateLimit;
    expect(shipped.roles).toEqual(DEFAULT_ROLE_RATE_LIMITS);
    expect(shipped.roles.care.ratePerSecond).toBe(200);
    expect(shipped.roles.operator.ratePerSecond).toBe(200);
    expect(shipped.roles.network.ratePerSecond).toBeGreaterThan(200);
    const set = loadConfig({
      env: {},
      overrides: {
        http: {
          rateLimit: {
            roles: { care: { ratePerSecond: 5, burst: 5 } },
            keys: { ivr: { ratePerSecond: 50, burst: 60 } },
          },
        },
      },
    }).http.rateLimit;
    expect(set.roles.care).toEqual({ ratePerSecond: 5, burst: 5 });
    expect(set.roles.network).toEqual(DEFAULT_ROLE_RATE_LIMITS.network);
    expect(limitForKey(set, { name: 'ivr', role: 'network' })).toEqual({ ratePerSecond: 50, burst: 60 });
    expect(limitForKey(set, { name: 'hlr', role: 'network' })).toEqual(DEFAULT_ROLE_RATE_LIMITS.network);
    // ratePerSecond/burst cap every role: a deployment that lowers them lowers all keys not named in keys
    const lowered = loadConfig({
      env: {},
      overrides: { http: { rateLimit: { ratePerSecond: 2, burst: 4 } } },
    }).http.rateLimit;
    expect(limitForKey(lowered, { name: 'agent', role: 'care' })).toEqual({ ratePerSecond: 2, burst: 4 });
  });

  it('names the field of a bad limit', () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: { http: { rateLimit: { roles: { care: { ratePerSecond: 0, burst: 1 } } } } },
      }),
    ).toThrow(/http\.rateLimit\.roles\.care\.ratePerSecond/);
    expect(() =>
      loadConfig({
        env: {},
        overrides: { http: { rateLimit: { roles: { root: { ratePerSecond: 1, burst: 1 } } } } },
      }),
    ).toThrow(/http\.rateLimit\.roles/);
  });
});

describe('rate limits over HTTP', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({
      http: {
        unauthenticatedSummaryMs: SUMMARY_MS,
        rateLimit: {
          ratePerSecond: 1000,
          burst: 1000,
          roles: { operator: { ratePerSecond: 1, burst: 3 } },
          keys: { 'roomy-operator': { ratePerSecond: 1000, burst: 1000 } },
          unauthenticated: { ratePerSecond: 1, burst: 5 },
        },
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('limits a key by its role: the burst, then 429 RATE_LIMITED with Retry-After; other roles unaffected', async () => {
    const { key } = await createApiKey(api.store.db, { name: 'tight-operator', role: 'operator' });
    const answers = await statuses(api, '/v1/smsc', key, 5);
    expect(answers).toEqual([200, 200, 200, 429, 429]);
    const limited = await api.fetch('/v1/smsc', { key });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await readJson(limited)).error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { scope: 'key' },
    });
    expect(await statuses(api, '/v1/smsc', api.keys.admin, 5)).toEqual([200, 200, 200, 200, 200]);
  });

  it('a key named in http.rateLimit.keys has its own limit, whatever its role says', async () => {
    const { key } = await createApiKey(api.store.db, { name: 'roomy-operator', role: 'operator' });
    expect(new Set(await statuses(api, '/v1/smsc', key, 10))).toEqual(new Set([200]));
  });

  it('an address that earned its 401s is answered 429 before authentication, even with a good key; one audit row per address', async () => {
    await new Promise((resolve) => setTimeout(resolve, SUMMARY_MS * 2)); // earlier windows closed
    const before = await listAudit(api.store.db, { actor: 'anonymous', limit: 1000 });
    const anonymous = await statuses(api, '/v1/smsc', undefined, 5);
    expect(anonymous).toEqual([401, 401, 401, 401, 401]);
    const flood = await statuses(api, '/v1/smsc', 'otagw_' + 'x'.repeat(43), 20);
    expect(flood.every((status) => status === 429)).toBe(true);
    const refused = await api.fetch('/v1/smsc', { key: api.keys.admin });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await readJson(refused)).error.details.scope).toBe('address');

    const metrics = await (await api.fetch('/metrics')).text();
    expect(
      Number(/otagw_http_unauthenticated_total\{code="RATE_LIMITED"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(21);

    await new Promise((resolve) => setTimeout(resolve, SUMMARY_MS * 3));
    const after = await listAudit(api.store.db, { actor: 'anonymous', limit: 1000 });
    const rows = after.slice(0, after.length - before.length);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'http.unauthenticated',
      subjectType: 'remote-address',
      subjectId: expect.stringMatching(/127\.0\.0\.1$/),
      details: { count: 26, codes: { UNAUTHENTICATED: 5, RATE_LIMITED: 21 } },
    });

    // The bucket refills: after a second one more request is let through to authentication.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await api.fetch('/v1/smsc', { key: api.keys.admin })).status).toBe(200);
  });
});
