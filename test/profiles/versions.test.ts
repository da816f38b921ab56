import { describe, expect, it } from 'vitest';
import { parseProfileParameters } from '../../src/profiles/schema.ts';
import {
  canonicalJson,
  contentHash,
  diffParameters,
  MASK,
  maskParameters,
  maskRawOmaCpSecrets,
} from '../../src/profiles/versions.ts';
import { FULL_INPUT, fullParameters, fullParametersWith } from './sample-parameters.ts';

describe('diffParameters', () => {
  it('finds no change between equal parameter sets', () => {
    expect(diffParameters(fullParameters(), fullParameters())).toEqual([]);
  });

  it('lists changed leaves by path with old and new values', () => {
    const after = fullParametersWith((input) => {
      input.connections[0].apn = 'internet.northwind.example';
      input.proxies[0].port = 9203;
      input.dm.init = false;
    });
    expect(diffParameters(fullParameters(), after)).toEqual([
      { path: 'connections[0].apn', old: 'web.northwind.example', new: 'internet.northwind.example' },
      { path: 'proxies[0].port', old: 9201, new: 9203 },
      { path: 'dm.init', old: true, new: false },
    ]);
  });

  it('reports added and removed fields and list items', () => {
    const after = fullParametersWith((input) => {
      input.browser.bookmarks.pop();
      input.browser.bookmarks.push({ name: 'Sport', url: 'http://wap.northwind.example/sport' });
      input.browser.bookmarks.push({ name: 'Games', url: 'http://wap.northwind.example/games' });
      delete input.mms.name;
      input.connections[1].dns = ['192.0.2.99'];
    });
    // Paths of the old set first (in its order), then the ones only the new set has.
    expect(diffParameters(fullParameters(), after)).toEqual([
      { path: 'browser.bookmarks[1].name', old: 'Weather', new: 'Sport' },
      {
        path: 'browser.bookmarks[1].url',
        old: 'http://wap.northwind.example/weather',
        new: 'http://wap.northwind.example/sport',
      },
      { path: 'mms.name', old: 'Northwind MMS', new: undefined },
      { path: 'connections[1].dns[0]', old: undefined, new: '192.0.2.99' },
      { path: 'browser.bookmarks[2].name', old: undefined, new: 'Games' },
      { path: 'browser.bookmarks[2].url', old: undefined, new: 'http://wap.northwind.example/games' },
    ]);
  });

  it('masks passwords, secrets and nonces, showing only that they changed', () => {
    const after = fullParametersWith((input) => {
      input.connections[0].auth.password = 'new-web-secret';
      input.email.incoming.password = 'new-mail-secret';
      input.dm.clientAuth.secret = 'new-server-secret';
      input.dm.clientAuth.nonce = 'BBBB';
      delete input.dm.serverAuth;
    });
    const changes = diffParameters(fullParameters(), after);
    expect(changes).toContainEqual({
      path: 'connections[0].auth.password',
      old: MASK,
      new: MASK,
      masked: true,
    });
    expect(changes).toContainEqual({ path: 'email.incoming.password', old: MASK, new: MASK, masked: true });
    expect(changes).toContainEqual({ path: 'dm.clientAuth.secret', old: MASK, new: MASK, masked: true });
    expect(changes).toContainEqual({ path: 'dm.clientAuth.nonce', old: MASK, new: MASK, masked: true });
    expect(changes).toContainEqual({ path: 'dm.serverAuth.secret', old: MASK, new: undefined, masked: true });
    expect(changes).toContainEqual({ path: 'dm.serverAuth.name', old: 'handset', new: undefined });
    expect(JSON.stringify(changes)).not.toMatch(/secret-|mail-secret|BBBB|AAECAw/);
  });

  it('masks secret parm values inside raw OMA CP', () => {
    const raw = (secret: string) =>
      parseProfileParameters({
        name: 'Raw',
        rawOmaCp: `<wap-provisioningdoc version="1.0"><characteristic type="NAPDEF"><parm name="NAPID" value="N"/><parm name="AUTHSECRET" value="${secret}"/></characteristic></wap-provisioningdoc>`,
      });
    const [change] = diffParameters(raw('old-secret'), raw('new-secret'));
    expect(change.path).toBe('rawOmaCp');
    expect(change.old).toContain('<parm name="AUTHSECRET" value="***"/>');
    expect(JSON.stringify(change)).not.toContain('secret"');
    expect(JSON.stringify(change)).not.toMatch(/old-secret|new-secret/);
  });
});

describe('maskRawOmaCpSecrets', () => {
  it('masks AUTHSECRET, AAUTHSECRET, AAUTHDATA, PXAUTH-PW in either attribute order and quote style', () => {
    const xml =
      `<parm name="AUTHSECRET" value="a"/><parm value='b' name='AAUTHSECRET'/>` +
      `<parm name="AAUTHDATA" value="c"/><parm name="PXAUTH-PW" value="d"/><parm name="AUTHNAME" value="user"/>`;
    expect(maskRawOmaCpSecrets(xml)).toBe(
      `<parm name="AUTHSECRET" value="***"/><parm value='***' name='AAUTHSECRET'/>` +
        `<parm name="AAUTHDATA" value="***"/><parm name="PXAUTH-PW" value="***"/><parm name="AUTHNAME" value="user"/>`,
    );
  });
});

describe('maskParameters', () => {
  it('replaces every secret and leaves the rest', () => {
    const masked = maskParameters(fullParameters());
    expect(masked.connections[0].auth).toEqual({ type: 'CHAP', user: 'web', password: MASK });
    expect(masked.proxies[0].auth?.password).toBe(MASK);
    expect(masked.dm?.clientAuth).toEqual({
      type: 'HMAC',
      name: 'dm.northwind.example',
      secret: MASK,
      nonce: MASK,
    });
    expect(masked.browser).toEqual(fullParameters().browser);
  });
});

describe('contentHash', () => {
  it('is a SHA-256 hex digest, equal for equal content whatever the key order', () => {
    const hash = contentHash(fullParameters());
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(structuredClone(FULL_INPUT)).reverse());
    expect(contentHash(parseProfileParameters(reordered))).toBe(hash);
  });

  it('changes with any field, secrets included', () => {
    const hash = contentHash(fullParameters());
    expect(contentHash(fullParametersWith((input) => (input.connections[0].auth.password = 'x')))).not.toBe(
      hash,
    );
    expect(contentHash(fullParametersWith((input) => (input.browser.bookmarks[0].name = 'x')))).not.toBe(
      hash,
    );
  });

  it('does not distinguish an absent list from the empty default', () => {
    const base = { name: 'x', connections: [{ id: 'A', bearer: 'GPRS', apn: 'a' }] };
    expect(contentHash(parseProfileParameters(base))).toBe(
      contentHash(parseProfileParameters({ ...base, proxies: [] })),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"f":2}]},"b":1}',
    );
  });
});
