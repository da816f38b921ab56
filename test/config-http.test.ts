import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('configuration of the HTTP API (http.rateLimit, http.metricsAccess)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-http-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ships the rate limit and open /metrics in config/default.yaml', () => {
    const { http } = loadConfig({ env: {} });
    expect(http.rateLimit).toMatchObject({ ratePerSecond: 5000, burst: 10_000 });
    expect(http.rateLimit.roles.care).toEqual({ ratePerSecond: 200, burst: 1000 });
    expect(http.rateLimit.unauthenticated).toEqual({ ratePerSecond: 10, burst: 300 });
    expect([http.headersTimeoutMs, http.requestTimeoutMs]).toEqual([10_000, 30_000]);
    expect(http.metricsAccess).toBe('open');
  });

  it('reads both from a configuration directory, the defaults filling what is left out', async () => {
    await writeFile(
      join(dir, 'default.yaml'),
      'http:\n  rateLimit:\n    burst: 20\n  metricsAccess: operator\n',
    );
    const { http } = loadConfig({ env: {}, configDir: dir });
    expect(http.rateLimit).toMatchObject({ ratePerSecond: 5000, burst: 20, keys: {} });
    expect(http.metricsAccess).toBe('operator');
    expect(Object.isFrozen(http.rateLimit)).toBe(true);
  });

  it('refuses what the limiter and the /metrics guard cannot take, naming the key', () => {
    expect(() => loadConfig({ env: {}, overrides: { http: { rateLimit: { ratePerSecond: 0 } } } })).toThrow(
      /http\.rateLimit\.ratePerSecond/,
    );
    expect(() => loadConfig({ env: {}, overrides: { http: { rateLimit: { burst: 0.5 } } } })).toThrow(
      /http\.rateLimit\.burst/,
    );
    expect(() => loadConfig({ env: {}, overrides: { http: { metricsAccess: 'admin' as 'open' } } })).toThrow(
      /http\.metricsAccess/,
    );
    expect(() =>
      loadConfig({ env: {}, overrides: { http: { rateLimit: { perMinute: 5 } as object } } }),
    ).toThrow(/http\.rateLimit/);
  });
});
