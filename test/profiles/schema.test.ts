import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../src/profiles/errors.ts';
import {
  parseProfileParameters,
  proxyAddressType,
  validateProfileParameters,
  type ValidationIssue,
} from '../../src/profiles/schema.ts';
import { FULL_INPUT, TYPICAL_CP_INPUT, type EditableInput } from './sample-parameters.ts';

function issuesOf(edit: (input: EditableInput) => void, base: unknown = FULL_INPUT): ValidationIssue[] {
  const input = structuredClone(base) as EditableInput;
  edit(input);
  const result = validateProfileParameters(input);
  if (result.ok) throw new Error('expected the parameter set to be rejected');
  return result.issues;
}

describe('profile parameter schema', () => {
  it('accepts a full parameter set and applies defaults', () => {
    const parameters = parseProfileParameters(structuredClone(FULL_INPUT));
    expect(parameters.connections).toHaveLength(2);
    expect(parameters.email?.incoming.ssl).toBe(false);
    expect(parameters.email?.outgoing.ssl).toBe(true);
    expect(parameters.dm?.init).toBe(true);
  });

  it('defaults the lists and the browser bookmarks', () => {
    const parameters = parseProfileParameters({
      name: 'Only DM',
      dm: { serverId: 'dm', name: 'DM', url: 'https://dm.example/' },
    });
    expect(parameters.connections).toEqual([]);
    expect(parameters.proxies).toEqual([]);
    expect(parameters.dm?.init).toBe(false);
    const withBrowser = parseProfileParameters(structuredClone(TYPICAL_CP_INPUT));
    expect(withBrowser.browser?.bookmarks).toEqual([]);
  });

  it('names a missing field by its path', () => {
    expect(issuesOf((input) => delete input.connections[0].id)).toEqual([
      { path: 'connections[0].id', message: 'is required' },
    ]);
  });

  it('reports an unknown field (a typo) at its own path', () => {
    expect(
      issuesOf((input) => {
        input.browser.homepage = input.browser.homePage;
      }),
    ).toEqual([{ path: 'browser.homepage', message: 'is not a known field' }]);
  });

  it('requires an APN for GPRS and a dial string for CSD', () => {
    expect(issuesOf((input) => delete input.connections[0].apn)).toEqual([
      { path: 'connections[0].apn', message: 'is required for a GPRS bearer' },
    ]);
    const csd = issuesOf((input) => {
      input.connections[1] = { id: 'NW_MMS', bearer: 'CSD', apn: 'x' };
    });
    expect(csd).toContainEqual({
      path: 'connections[1].dialString',
      message: 'is required for a CSD bearer',
    });
    expect(csd).toContainEqual({ path: 'connections[1].apn', message: 'applies only to a GPRS bearer' });
  });

  it('rejects CSD-only fields on a GPRS connection', () => {
    expect(issuesOf((input) => (input.connections[0].callType = 'ISDN'))).toEqual([
      { path: 'connections[0].callType', message: 'applies only to a CSD bearer' },
    ]);
  });

  it('accepts a CSD connection with call type and speed', () => {
    const parameters = parseProfileParameters({
      name: 'Dial-up',
      connections: [
        { id: 'CSD1', bearer: 'CSD', dialString: '+4930123456', callType: 'ISDN', callSpeed: '9600' },
      ],
    });
    expect(parameters.connections[0].dialString).toBe('+4930123456');
  });

  it('rejects references that name nothing, listing what exists', () => {
    const issues = issuesOf((input) => {
      input.browser.proxy = 'NO_SUCH_PROXY';
      input.proxies[1].connection = 'NO_SUCH_APN';
      input.email.connection = 'ALSO_MISSING';
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'browser.proxy', message: 'names no proxy (known: NW_PROXY, NW_MMS_PROXY)' },
        { path: 'proxies[1].connection', message: 'names no connection (known: NW_GPRS, NW_MMS)' },
        { path: 'email.connection', message: 'names no connection (known: NW_GPRS, NW_MMS)' },
      ]),
    );
  });

  it('rejects an id used twice', () => {
    expect(issuesOf((input) => (input.connections[1].id = 'NW_GPRS'))).toContainEqual({
      path: 'connections[1].id',
      message: '"NW_GPRS" is used twice',
    });
  });

  it('checks formats: URLs, IPv4 DNS, ports, e-mail, identifiers', () => {
    const issues = issuesOf((input) => {
      input.browser.homePage = 'wap.northwind.example';
      input.browser.bookmarks[1].url = 'ftp://files.example/';
      input.connections[0].dns[1] = '300.1.1.1';
      input.proxies[0].port = 70000;
      input.email.fromAddress = 'not an address';
      input.connections[1].id = 'has space';
    });
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'browser.homePage',
        'browser.bookmarks[1].url',
        'connections[0].dns[1]',
        'proxies[0].port',
        'email.fromAddress',
        'connections[1].id',
      ]),
    );
    expect(issues.find((issue) => issue.path === 'browser.homePage')?.message).toBe(
      'must be an http:// or https:// URL',
    );
  });

  it('checks a proxy address against its declared type and infers the type when left out', () => {
    expect(issuesOf((input) => (input.proxies[0].addressType = 'FQDN'))).toEqual([
      { path: 'proxies[0].address', message: 'must be a domain name (addressType FQDN)' },
    ]);
    expect(issuesOf((input) => (input.proxies[1].addressType = 'IPV4'))).toEqual([
      { path: 'proxies[1].address', message: 'must be an IPv4 address (addressType IPV4)' },
    ]);
    expect(issuesOf((input) => (input.proxies[1].address = 'not a host!'))).toEqual([
      { path: 'proxies[1].address', message: 'must be an IPv4 address or a domain name' },
    ]);
    const parameters = parseProfileParameters(structuredClone(FULL_INPUT));
    expect(proxyAddressType(parameters.proxies[0])).toBe('IPV4');
    expect(proxyAddressType(parameters.proxies[1])).toBe('FQDN');
  });

  it('rejects a proxy when there is no connection to reach it', () => {
    const issues = issuesOf(
      (input) => {
        input.connections = [];
        delete input.proxies[0].connection;
      },
      {
        name: 'x',
        connections: [{ id: 'A', bearer: 'GPRS', apn: 'a' }],
        proxies: [{ id: 'P', address: '192.0.2.1' }],
      },
    );
    expect(issues).toContainEqual({ path: 'proxies', message: 'a proxy needs a connection to reach it' });
  });

  it('rejects a parameter set with nothing to provision', () => {
    expect(issuesOf(() => {}, { name: 'empty' })).toEqual([
      { path: '', message: 'nothing to provision: give connections, browser, mms, email, dm or rawOmaCp' },
    ]);
  });

  it('accepts raw OMA CP alone and rejects it next to typed sections', () => {
    const raw = parseProfileParameters({ name: 'Raw', rawOmaCp: '<wap-provisioningdoc version="1.0"/>' });
    expect(raw.rawOmaCp).toContain('wap-provisioningdoc');
    expect(issuesOf((input) => (input.rawOmaCp = '<wap-provisioningdoc/>'))).toEqual([
      {
        path: 'rawOmaCp',
        message:
          'replaces the typed sections; remove connections, proxies, browser, mms, email, dm or rawOmaCp',
      },
    ]);
  });

  it('throws PROFILE_INVALID with every issue in the message and the details', () => {
    const input = structuredClone(FULL_INPUT) as EditableInput;
    delete input.connections[0].apn;
    input.mms.mmscUrl = 'nope';
    let caught: unknown;
    try {
      parseProfileParameters(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProfileError);
    const error = caught as ProfileError;
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.message).toContain('connections[0].apn: is required for a GPRS bearer');
    expect(error.message).toContain('mms.mmscUrl: must be an http:// or https:// URL');
    expect(error.details.issues).toHaveLength(2);
  });

  it('reports a wrong type for the whole input', () => {
    const result = validateProfileParameters('not an object');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0].path).toBe('');
  });
});
