import { describe, expect, it } from 'vitest';
import {
  parseSmscConfig,
  parseSmscUrl,
  SmscConfigError,
  smscRoutingSchema,
} from '../../src/connectors/config.ts';

describe('SMSC configuration', () => {
  it('fills the defaults around host and credentials', () => {
    const config = parseSmscConfig({ host: 'smsc.example', systemId: 'otagw', password: 's3cret' });
    expect(config).toMatchObject({
      id: 'smsc',
      port: 2775,
      tls: false,
      bindMode: 'trx',
      binds: 1,
      dataCoding: 0x04,
      segmentMode: 'udh',
      registeredDelivery: 1,
      window: 10,
      tps: 0,
      msgIdResp: 'opaque',
    });
  });

  it('has no default password', () => {
    expect(() => parseSmscConfig({ host: 'smsc.example', systemId: 'otagw' })).toThrow(SmscConfigError);
  });

  it('rejects system ids and passwords longer than SMPP allows', () => {
    expect(() => parseSmscConfig({ host: 'h', systemId: 'x'.repeat(16), password: 'p' })).toThrow(/systemId/);
    expect(() => parseSmscConfig({ host: 'h', systemId: 's', password: 'p'.repeat(9) })).toThrow(/password/);
  });

  it('accepts status overrides by name or number only', () => {
    const config = parseSmscConfig({
      host: 'h',
      systemId: 's',
      password: 'p',
      statusOverrides: { '0x0401': 'transient' },
    });
    expect(config.statusOverrides).toEqual({ '0x0401': 'transient' });
    expect(() =>
      parseSmscConfig({ host: 'h', systemId: 's', password: 'p', statusOverrides: { bogus: 'transient' } }),
    ).toThrow(SmscConfigError);
  });

  it('checks that routes name known SMSCs', () => {
    const smsc = { host: 'h', systemId: 's', password: 'p' };
    expect(
      smscRoutingSchema.safeParse({
        smscs: [{ ...smsc, id: 'a' }],
        routes: [{ prefix: '44', smscIds: ['b'] }],
      }).success,
    ).toBe(false);
    expect(
      smscRoutingSchema.safeParse({
        smscs: [
          { ...smsc, id: 'a' },
          { ...smsc, id: 'a' },
        ],
      }).success,
    ).toBe(false);
  });
});

describe('parseSmscUrl', () => {
  it('reads credentials, host, port and the documented query options', () => {
    const config = parseSmscUrl(
      'smpp://otagw:s%40cret@10.0.0.5:2776?window=10&tps=100&msgIdResp=hex&msgIdReceipt=dec&dcs=4&mode=tlv&binds=2&bindMode=tx-rx',
    );
    expect(config).toMatchObject({
      host: '10.0.0.5',
      port: 2776,
      tls: false,
      systemId: 'otagw',
      password: 's@cret',
      window: 10,
      tps: 100,
      msgIdResp: 'hex',
      msgIdReceipt: 'dec',
      dataCoding: 4,
      segmentMode: 'tlv',
      binds: 2,
      bindMode: 'tx-rx',
    });
  });

  it('uses TLS for ssmpp:// and defaults the port per scheme', () => {
    expect(parseSmscUrl('smpp://a:b@smsc.example?querySm=false&statusQueryAfterMs=60000')).toMatchObject({
      querySm: false,
      statusQueryAfterMs: 60_000,
    });
    expect(parseSmscUrl('ssmpp://a:b@smsc.example')).toMatchObject({ tls: true, port: 3550 });
    expect(parseSmscUrl('smpp://a:b@smsc.example')).toMatchObject({ tls: false, port: 2775 });
  });

  it('takes any option by its own name, with hex numbers and booleans', () => {
    const config = parseSmscUrl(
      'smpp://a:b@h?esmClass=0x43&enquireLinkIntervalMs=5000&tlsRejectUnauthorized=false&id=main',
    );
    expect(config).toMatchObject({
      esmClass: 0x43,
      enquireLinkIntervalMs: 5000,
      tlsRejectUnauthorized: false,
      id: 'main',
    });
  });

  it('takes the password from SMSC_PASSWORD when the URL has none', () => {
    expect(parseSmscUrl('smpp://otagw@h', { SMSC_PASSWORD: 'pw' }).password).toBe('pw');
    expect(() => parseSmscUrl('smpp://otagw@h', {})).toThrow(/no password/);
  });

  it('rejects unknown parameters, bad values and other schemes without echoing the password', () => {
    for (const url of [
      'smpp://a:hunter2@h?windw=10',
      'smpp://a:hunter2@h?window=ten',
      'smpp://a:hunter2@h?mode=both',
      'http://a:hunter2@h',
      'smpp://a:hunter2@h?password=x',
    ]) {
      let caught: unknown;
      try {
        parseSmscUrl(url);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SmscConfigError);
      expect((caught as SmscConfigError).code).toBe('SMSC_CONFIG_INVALID');
      expect((caught as Error).message).not.toContain('hunter2');
    }
  });
});
