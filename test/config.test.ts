import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has embedded defaults: HTTP on 127.0.0.1:8080, PGlite under ./var/db, the simulator when no SMSC is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      tls: undefined,
      rateLimit: expect.objectContaining({ ratePerSecond: 5000, burst: 10_000 }),
      metricsAccess: 'open',
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
    });
    expect(config.store.url).toBeUndefined();
    expect(config.store.dataDir).toBe('./var/db');
    expect(config.redis.url).toBeUndefined();
    expect(config.smsc.routing).toBeUndefined();
    expect(config.smsc.simulator.port).toBe(2775);
    expect(Object.keys(config.groups)).toContain('default');
  });

  it('takes PORT, REDIS_URL, DATABASE_URL and SMSC_URL from the environment', () => {
    const config = loadConfig({
      env: {
        PORT: '9090',
        REDIS_URL: 'redis://cache:6379',
        DATABASE_URL: 'postgres://otagw@db/otagw',
        SMSC_URL: 'smpp://esme:pw@smsc.example:2775?window=20',
      },
    });
    expect(config.http.port).toBe(9090);
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.store.url).toBe('postgres://otagw@db/otagw');
    expect(config.smsc.routing?.smscs[0]).toMatchObject({
      host: 'smsc.example',
      systemId: 'esme',
      window: 20,
    });
  });

  it("takes the simulator's control token from OTAGW_SMSC_SIM_CONTROL_TOKEN or smsc.simulator.controlToken; none by default", () => {
    expect(loadConfig({ env: {} }).smsc.simulator.controlToken).toBeUndefined();
    expect(
      loadConfig({ env: { OTAGW_SMSC_SIM_CONTROL_TOKEN: '' } }).smsc.simulator.controlToken,
    ).toBeUndefined();
    const fromFile = loadConfig({
      env: {},
      overrides: { smsc: { simulator: { controlToken: 'from-file' } } },
    });
    expect(fromFile.smsc.simulator.controlToken).toBe('from-file');
    const fromEnv = loadConfig({
      env: { OTAGW_SMSC_SIM_CONTROL_TOKEN: 'from-env' },
      overrides: { smsc: { simulator: { controlToken: 'from-file' } } },
    });
    expect(fromEnv.smsc.simulator.controlToken).toBe('from-env');
    expect(() => loadConfig({ env: {}, overrides: { smsc: { simulator: { controlToken: '' } } } })).toThrow(
      /smsc\.simulator\.controlToken/,
    );
  });

  it('is frozen', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.provisioning)).toBe(true);
  });

  it('refuses invalid values with CONFIG_INVALID naming the field', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(ConfigError);
    const error = (() => {
      try {
        loadConfig({ env: {}, overrides: { provisioning: { receiptTimeoutMs: -1 } } });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.message).toMatch(/provisioning\.receiptTimeoutMs/);
  });

  it('has no default for the SMSC password', () => {
    expect(() => loadConfig({ env: { SMSC_URL: 'smpp://esme@smsc.example:2775' } })).toThrow(/SMSC_PASSWORD/);
  });
});
