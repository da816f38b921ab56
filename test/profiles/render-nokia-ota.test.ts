import { describe, expect, it } from 'vitest';
import { el } from '../../codecs/xml/element.ts';
import { ProfileError } from '../../src/profiles/errors.ts';
import { NOKIA_LIMITS, renderProfile, type DeviceCapabilities } from '../../src/profiles/render.ts';
import { parseProfileParameters, type ProfileParameters } from '../../src/profiles/schema.ts';
import { treeDifference } from '../support/tree-compare.ts';
import {
  fullParameters,
  fullParametersWith,
  typicalParameters,
  type EditableInput,
} from './sample-parameters.ts';
import { characteristics, outline, parms } from './tree-queries.ts';

const nokia = (parameters: ProfileParameters, capabilities?: DeviceCapabilities) =>
  renderProfile(parameters, { format: 'nokia-ota', capabilities });

function renderError(run: () => unknown): ProfileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

const parm = (name: string, value: string) => el('PARM', { NAME: name, VALUE: value });

describe('renderProfile for a Nokia OTA device', () => {
  it('renders ADDRESS, URL, MMSURL and NAME in the shape of docs/protocol.md §7', () => {
    const { root, omitted } = nokia(typicalParameters());
    const expected = el(
      'CHARACTERISTIC-LIST',
      [],
      [
        el('CHARACTERISTIC', { TYPE: 'ADDRESS' }, [
          parm('BEARER', 'GPRS'),
          parm('PROXY', '192.0.2.10'),
          parm('PORT', '9201'),
          parm('PPP_AUTHTYPE', 'PAP'),
          parm('PPP_AUTHNAME', 'web'),
          parm('PPP_AUTHSECRET', 'web'),
          parm('PPP_LOGINTYPE', 'AUTOMATIC'),
          parm('GPRS_ACCESSPOINTNAME', 'web.northwind.example'),
        ]),
        el('CHARACTERISTIC', { TYPE: 'URL', VALUE: 'http://wap.northwind.example/' }),
        el('CHARACTERISTIC', { TYPE: 'MMSURL', VALUE: 'http://mms.northwind.example/mms' }),
        el('CHARACTERISTIC', { TYPE: 'NAME' }, [parm('NAME', 'Northwind Mobile')]),
      ],
    );
    expect(treeDifference(expected, root)).toBeUndefined();
    expect(omitted).toEqual([]);
  });

  it('leaves out e-mail, DM, DNS and what needs a second access point, and lists them', () => {
    const { root, omitted } = nokia(fullParameters());
    expect(omitted).toEqual(['connections[0].dns', 'connections[1]', 'proxies[1]', 'mms', 'email', 'dm']);
    expect(outline(root)).toEqual(['ADDRESS', 'URL', 'NAME', 'BOOKMARK', 'BOOKMARK']);
  });

  it('renders bookmarks and proxy credentials', () => {
    const { root } = nokia(fullParameters());
    expect(characteristics(root, 'BOOKMARK').map(parms)).toEqual([
      [
        ['NAME', 'News'],
        ['URL', 'http://wap.northwind.example/news'],
      ],
      [
        ['NAME', 'Weather'],
        ['URL', 'http://wap.northwind.example/weather'],
      ],
    ]);
    expect(parms(characteristics(root, 'ADDRESS')[0]).slice(-3)).toEqual([
      ['PROXY_AUTHNAME', 'proxy-user'],
      ['PROXY_AUTHSECRET', 'proxy-secret'],
      ['PROXY_LOGINTYPE', 'AUTOMATIC'],
    ]);
  });

  it('leaves out bookmarks when the device takes none', () => {
    const { root, omitted } = nokia(fullParameters(), { supportsBookmarks: false });
    expect(characteristics(root, 'BOOKMARK')).toEqual([]);
    expect(omitted).toContain('browser.bookmarks');
  });

  it('leaves out MMS when the device has no MMS, even on a shared access point', () => {
    const { root, omitted } = nokia(typicalParameters(), { supportsMms: false });
    expect(outline(root)).toEqual(['ADDRESS', 'URL', 'NAME']);
    expect(omitted).toEqual(['mms']);
  });

  it('renders MMS settings on their own access point when there is no browser', () => {
    const parameters = fullParametersWith((input) => {
      delete input.browser;
      delete input.email;
      delete input.dm;
    });
    const { root, omitted } = nokia(parameters);
    expect(outline(root)).toEqual(['ADDRESS', 'MMSURL', 'NAME']);
    expect(parms(characteristics(root, 'ADDRESS')[0])).toEqual([
      ['BEARER', 'GPRS'],
      ['PROXY', 'mmsproxy.northwind.example'],
      ['PORT', '8080'],
      ['GPRS_ACCESSPOINTNAME', 'mms.northwind.example'],
    ]);
    expect(omitted).toEqual(['connections[0]', 'proxies[0]']);
  });

  it('renders a CSD connection with dial string, call type and speed', () => {
    const parameters = parseProfileParameters({
      name: 'Dial-up WAP',
      connections: [
        { id: 'CSD1', bearer: 'CSD', dialString: '+4930123456', callType: 'ISDN', callSpeed: '9600' },
      ],
      proxies: [{ id: 'WAP', address: '192.0.2.11', port: 9201 }],
      browser: { homePage: 'http://wap.example/' },
    });
    expect(parms(characteristics(nokia(parameters).root, 'ADDRESS')[0])).toEqual([
      ['BEARER', 'GSM/CSD'],
      ['PROXY', '192.0.2.11'],
      ['PORT', '9201'],
      ['CSD_DIALSTRING', '+4930123456'],
      ['CSD_CALLTYPE', 'ISDN'],
      ['CSD_CALLSPEED', '9600'],
    ]);
  });

  it('sends bookmarks alone without a settings NAME', () => {
    const parameters = parseProfileParameters({
      name: 'Bookmarks',
      browser: { bookmarks: [{ name: 'Wap', url: 'http://wap.dk' }] },
    });
    expect(
      treeDifference(
        el(
          'CHARACTERISTIC-LIST',
          [],
          [el('CHARACTERISTIC', { TYPE: 'BOOKMARK' }, [parm('NAME', 'Wap'), parm('URL', 'http://wap.dk')])],
        ),
        nokia(parameters).root,
      ),
    ).toBeUndefined();
  });

  it('cannot render a raw OMA CP document', () => {
    const parameters = parseProfileParameters({
      name: 'Raw',
      rawOmaCp: '<wap-provisioningdoc version="1.0"/>',
    });
    expect(renderError(() => nokia(parameters)).code).toBe('RAW_CP_NOT_RENDERABLE');
  });

  it('says so when only e-mail and DM are left', () => {
    const parameters = parseProfileParameters({
      name: 'Mail and DM',
      email: {
        name: 'Mail',
        fromAddress: 'a@example.net',
        incoming: { protocol: 'POP3', host: 'pop.example.net' },
        outgoing: { host: 'smtp.example.net' },
      },
      dm: { serverId: 'dm', name: 'DM', url: 'https://dm.example.net/' },
    });
    const error = renderError(() => nokia(parameters));
    expect(error.code).toBe('NOTHING_TO_RENDER');
    expect(error.details.omitted).toEqual(['email', 'dm']);
  });

  describe('length limits (docs/protocol.md §7)', () => {
    const cases: Array<[string, (input: EditableInput, length: number) => void, string, number]> = [
      ['settings name', (input, n) => (input.name = 'N'.repeat(n)), 'name', NOKIA_LIMITS.settingsName],
      [
        'access point name',
        (input, n) => (input.connections[0].apn = 'a'.repeat(n)),
        'connections[0].apn',
        NOKIA_LIMITS.accessPointName,
      ],
      [
        'home page URL',
        (input, n) => (input.browser.homePage = `http://e.example/${'p'.repeat(n - 17)}`),
        'browser.homePage',
        NOKIA_LIMITS.url,
      ],
      [
        'bookmark name',
        (input, n) => (input.browser.bookmarks[1].name = 'b'.repeat(n)),
        'browser.bookmarks[1].name',
        NOKIA_LIMITS.bookmarkName,
      ],
      [
        'bookmark URL',
        (input, n) => (input.browser.bookmarks[0].url = `http://e.example/${'p'.repeat(n - 17)}`),
        'browser.bookmarks[0].url',
        NOKIA_LIMITS.bookmarkUrl,
      ],
      [
        'PPP user name',
        (input, n) => (input.connections[0].auth.user = 'u'.repeat(n)),
        'connections[0].auth.user',
        NOKIA_LIMITS.pppAuthName,
      ],
      [
        'PPP password',
        (input, n) => (input.connections[0].auth.password = 's'.repeat(n)),
        'connections[0].auth.password',
        NOKIA_LIMITS.pppAuthSecret,
      ],
    ];

    for (const [what, set, path, limit] of cases) {
      it(`accepts a ${what} of ${limit} characters and rejects ${limit + 1}`, () => {
        expect(() => nokia(fullParametersWith((input) => set(input, limit)))).not.toThrow();
        const error = renderError(() => nokia(fullParametersWith((input) => set(input, limit + 1))));
        expect(error.code).toBe('NOKIA_LIMIT_EXCEEDED');
        expect(error.details).toEqual({ path, limit, length: limit + 1 });
        expect(error.message).toBe(
          `${path}: ${limit + 1} characters, a Nokia OTA handset takes at most ${limit}`,
        );
      });
    }

    it('limits the CSD dial string', () => {
      const make = (dialString: string) =>
        parseProfileParameters({ name: 'CSD', connections: [{ id: 'C', bearer: 'CSD', dialString }] });
      expect(() => nokia(make('1'.repeat(NOKIA_LIMITS.dialString)))).not.toThrow();
      expect(renderError(() => nokia(make('1'.repeat(NOKIA_LIMITS.dialString + 1)))).details.path).toBe(
        'connections[0].dialString',
      );
    });

    it('counts characters, not bytes', () => {
      expect(() => nokia(fullParametersWith((input) => (input.name = 'ö'.repeat(20))))).not.toThrow();
    });

    it('does not apply to OMA CP devices', () => {
      const parameters = fullParametersWith((input) => (input.name = 'N'.repeat(200)));
      expect(() => renderProfile(parameters, { format: 'oma-cp' })).not.toThrow();
    });
  });
});
