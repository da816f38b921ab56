import { describe, expect, it } from 'vitest';
import { el, type XmlElement } from '../../codecs/xml/element.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { ProfileError } from '../../src/profiles/errors.ts';
import { renderProfile, type DeviceCapabilities } from '../../src/profiles/render.ts';
import { parseProfileParameters, type ProfileParameters } from '../../src/profiles/schema.ts';
import { readFixture } from '../support/fixtures.ts';
import { treeDifference } from '../support/tree-compare.ts';
import { fullParameters, fullParametersWith, typicalParameters } from './sample-parameters.ts';
import {
  allParmValues,
  application,
  characteristics,
  hasParm,
  outline,
  parms,
  parmValue,
} from './tree-queries.ts';

const omaCp = (parameters: ProfileParameters, capabilities?: DeviceCapabilities) =>
  renderProfile(parameters, { format: 'oma-cp', capabilities });

function renderError(run: () => unknown): ProfileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

/** Every TO-NAPID and TO-PROXY in the document names a NAPDEF / PXLOGICAL that is in it. */
function expectReferencesResolve(root: XmlElement): void {
  const napIds = new Set(characteristics(root, 'NAPDEF').map((nap) => parmValue(nap, 'NAPID')));
  const proxyIds = new Set(characteristics(root, 'PXLOGICAL').map((proxy) => parmValue(proxy, 'PROXY-ID')));
  for (const napId of allParmValues(root, 'TO-NAPID')) expect(napIds).toContain(napId);
  for (const proxyId of allParmValues(root, 'TO-PROXY')) expect(proxyIds).toContain(proxyId);
}

describe('renderProfile for an OMA CP device', () => {
  it('renders the typed equivalent of typical-cp.xml as exactly that document', () => {
    const { root, omitted } = omaCp(typicalParameters());
    const expected = parseXml(readFixture('typical-cp.xml'));
    expect(treeDifference(expected, root)).toBeUndefined();
    expect(omitted).toEqual([]);
  });

  it('renders NAPDEF, PXLOGICAL, e-mail and w7 in the shapes of reference-cp.xml', () => {
    const reference = parseXml(readFixture('reference-cp.xml'));
    const parameters = parseProfileParameters({
      name: 'Example Operator',
      connections: [
        {
          id: 'NAP_0',
          name: 'Example Internet 0',
          bearer: 'GPRS',
          apn: 'internet0.example.net',
          dns: ['10.20.30.40'],
          auth: { type: 'CHAP', user: 'user0', password: 'secret-0' },
        },
      ],
      proxies: [
        {
          id: 'proxy.example.net',
          name: 'Example WAP proxy',
          physicalProxyId: 'PX1',
          address: '10.20.30.1',
          port: 8080,
          connection: 'NAP_0',
        },
      ],
      browser: { name: 'Browser', proxy: 'proxy.example.net', homePage: 'http://portal.example.net/' },
      email: {
        name: 'Example Mail',
        providerId: 'mail.example.net',
        fromAddress: 'me@example.net',
        incoming: { protocol: 'POP3', host: 'pop.example.net' },
        outgoing: { host: 'smtp.example.net' },
      },
      dm: {
        serverId: 'dm.example.net',
        name: 'Device Management',
        url: 'https://dm.example.net:443/dm',
        serverAuth: { name: 'server-id', secret: 's3cr3t-server' },
        clientAuth: { name: 'client-id', secret: 's3cr3t-client' },
      },
    });
    const { root } = omaCp(parameters);
    const pairs: Array<[XmlElement | undefined, XmlElement | undefined]> = [
      [characteristics(reference, 'NAPDEF')[0], characteristics(root, 'NAPDEF')[0]],
      [characteristics(reference, 'PXLOGICAL')[0], characteristics(root, 'PXLOGICAL')[0]],
      [application(reference, '110'), application(root, '110')],
      [application(reference, 'w7'), application(root, 'w7')],
    ];
    for (const [expected, actual] of pairs) {
      expect(expected).toBeDefined();
      expect(actual).toBeDefined();
      expect(treeDifference(expected as XmlElement, actual as XmlElement)).toBeUndefined();
    }
  });

  it('lays the document out as BOOTSTRAP, NAPDEFs, PXLOGICALs, then the applications', () => {
    const { root, omitted } = omaCp(fullParameters());
    expect(root.name).toBe('wap-provisioningdoc');
    expect(root.attributes).toEqual([['version', '1.0']]);
    expect(outline(root)).toEqual([
      'BOOTSTRAP',
      'NAPDEF',
      'NAPDEF',
      'PXLOGICAL',
      'PXLOGICAL',
      'APPLICATION:w2',
      'APPLICATION:w4',
      'APPLICATION:110',
      'APPLICATION:25',
      'APPLICATION:w7',
    ]);
    expect(omitted).toEqual([]);
    expectReferencesResolve(root);
  });

  it('links each proxy to its connection and each application to its proxy or connection', () => {
    const { root } = omaCp(fullParameters());
    const [webProxy, mmsProxy] = characteristics(root, 'PXLOGICAL');
    expect(parmValue(characteristics(webProxy, 'PXPHYSICAL')[0], 'TO-NAPID')).toBe('NW_GPRS');
    expect(parmValue(characteristics(mmsProxy, 'PXPHYSICAL')[0], 'TO-NAPID')).toBe('NW_MMS');
    expect(parmValue(application(root, 'w2')!, 'TO-PROXY')).toBe('NW_PROXY');
    expect(parmValue(application(root, 'w4')!, 'TO-PROXY')).toBe('NW_MMS_PROXY');
    expect(parmValue(application(root, '110')!, 'TO-NAPID')).toBe('NW_GPRS');
    expect(parmValue(application(root, 'w7')!, 'TO-NAPID')).toBe('NW_GPRS');
  });

  it('puts DNS servers and the PAP/CHAP credentials in the NAPDEF', () => {
    const nap = characteristics(omaCp(fullParameters()).root, 'NAPDEF')[0];
    expect(parms(nap)).toEqual([
      ['NAPID', 'NW_GPRS'],
      ['BEARER', 'GSM-GPRS'],
      ['NAME', 'Northwind Internet'],
      ['NAP-ADDRESS', 'web.northwind.example'],
      ['NAP-ADDRTYPE', 'APN'],
      ['DNS-ADDR', '192.0.2.53'],
      ['DNS-ADDR', '192.0.2.54'],
    ]);
    expect(parms(characteristics(nap, 'NAPAUTHINFO')[0])).toEqual([
      ['AUTHTYPE', 'CHAP'],
      ['AUTHNAME', 'web'],
      ['AUTHSECRET', 'web-secret'],
    ]);
  });

  it('renders a CSD connection with E164 address, call type and link speed', () => {
    const parameters = parseProfileParameters({
      name: 'Dial-up',
      connections: [
        { id: 'CSD1', bearer: 'CSD', dialString: '+4930123456', callType: 'ANALOGUE', callSpeed: 'AUTO' },
      ],
    });
    const nap = characteristics(omaCp(parameters).root, 'NAPDEF')[0];
    expect(parms(nap)).toEqual([
      ['NAPID', 'CSD1'],
      ['BEARER', 'GSM-CSD'],
      ['NAME', 'Dial-up'],
      ['NAP-ADDRESS', '+4930123456'],
      ['NAP-ADDRTYPE', 'E164'],
      ['CALLTYPE', 'ANALOG-MODEM'],
      ['LINKSPEED', 'AUTOBAUDING'],
    ]);
    const isdn = parseProfileParameters({
      name: 'Dial-up',
      connections: [
        { id: 'CSD1', bearer: 'CSD', dialString: '0301234', callType: 'ISDN', callSpeed: '9600' },
      ],
    });
    const isdnNap = characteristics(omaCp(isdn).root, 'NAPDEF')[0];
    expect(parmValue(isdnNap, 'CALLTYPE')).toBe('V.110');
    expect(parmValue(isdnNap, 'LINKSPEED')).toBe('9600');
  });

  it('marks a proxy given by domain name with PXADDR-FQDN instead of PXADDRTYPE', () => {
    const [, mmsProxy] = characteristics(omaCp(fullParameters()).root, 'PXLOGICAL');
    const physical = characteristics(mmsProxy, 'PXPHYSICAL')[0];
    expect(parms(physical)).toEqual([
      ['PHYSICAL-PROXY-ID', 'NW_MMS_PROXY-PX'],
      ['PXADDR', 'mmsproxy.northwind.example'],
      ['PXADDR-FQDN', 'mmsproxy.northwind.example'],
      ['TO-NAPID', 'NW_MMS'],
    ]);
    expect(parms(characteristics(physical, 'PORT')[0])).toEqual([['PORTNBR', '8080']]);
  });

  it('puts proxy authentication in a PXAUTHINFO and the home page on the browser proxy only', () => {
    const [webProxy, mmsProxy] = characteristics(omaCp(fullParameters()).root, 'PXLOGICAL');
    expect(parmValue(webProxy, 'STARTPAGE')).toBe('http://wap.northwind.example/');
    expect(hasParm(mmsProxy, 'STARTPAGE')).toBe(false);
    expect(parms(characteristics(webProxy, 'PXAUTHINFO')[0])).toEqual([
      ['PXAUTH-TYPE', 'HTTP-BASIC'],
      ['PXAUTH-ID', 'proxy-user'],
      ['PXAUTH-PW', 'proxy-secret'],
    ]);
  });

  it('renders the home page as a STARTPAGE resource followed by one resource per bookmark', () => {
    const resources = characteristics(application(omaCp(fullParameters()).root, 'w2')!, 'RESOURCE');
    expect(resources.map(parms)).toEqual([
      [
        ['URI', 'http://wap.northwind.example/'],
        ['NAME', 'Northwind Browser'],
        ['STARTPAGE', ''],
      ],
      [
        ['URI', 'http://wap.northwind.example/news'],
        ['NAME', 'News'],
      ],
      [
        ['URI', 'http://wap.northwind.example/weather'],
        ['NAME', 'Weather'],
      ],
    ]);
    const startPage = characteristics(application(omaCp(fullParameters()).root, 'w2')!, 'RESOURCE')[0]
      .children[2];
    expect(startPage).toEqual(el('parm', { name: 'STARTPAGE' }));
  });

  it('renders the e-mail account as incoming and SMTP applications tied by PROVIDER-ID, SSL as SERVICE', () => {
    const root = omaCp(fullParameters()).root;
    const pop = application(root, '110')!;
    const smtp = application(root, '25')!;
    expect(parms(pop)).toEqual([
      ['APPID', '110'],
      ['PROVIDER-ID', 'nw-mail'],
      ['NAME', 'Northwind Mail'],
      ['TO-NAPID', 'NW_GPRS'],
    ]);
    expect(parms(characteristics(characteristics(pop, 'APPADDR')[0], 'PORT')[0])).toEqual([
      ['PORTNBR', '110'],
    ]);
    expect(parms(characteristics(pop, 'APPAUTH')[0])).toEqual([
      ['AAUTHNAME', 'someone'],
      ['AAUTHSECRET', 'mail-secret'],
    ]);
    expect(parmValue(smtp, 'PROVIDER-ID')).toBe('nw-mail');
    expect(parmValue(smtp, 'FROM')).toBe('someone@northwind.example');
    const smtpAddress = characteristics(smtp, 'APPADDR')[0];
    expect(parmValue(smtpAddress, 'ADDR')).toBe('smtp.northwind.example');
    expect(parms(characteristics(smtpAddress, 'PORT')[0])).toEqual([
      ['PORTNBR', '465'],
      ['SERVICE', '465'],
    ]);
  });

  it('uses APPID 143 and the IMAP ports for an IMAP4 account, and the provider id defaults to the host', () => {
    const parameters = fullParametersWith((input) => {
      input.email.incoming = { protocol: 'IMAP4', host: 'imap.northwind.example', ssl: true };
      delete input.email.providerId;
    });
    const root = omaCp(parameters).root;
    const imap = application(root, '143')!;
    expect(application(root, '110')).toBeUndefined();
    expect(parmValue(imap, 'PROVIDER-ID')).toBe('imap.northwind.example');
    expect(parmValue(application(root, '25')!, 'PROVIDER-ID')).toBe('imap.northwind.example');
    expect(parms(characteristics(characteristics(imap, 'APPADDR')[0], 'PORT')[0])).toEqual([
      ['PORTNBR', '993'],
      ['SERVICE', '993'],
    ]);
    expect(characteristics(imap, 'APPAUTH')).toEqual([]);
  });

  it('renders the DM bootstrap as w7 with INIT and one APPAUTH per direction', () => {
    const w7 = application(omaCp(fullParameters()).root, 'w7')!;
    expect(parms(w7)).toEqual([
      ['APPID', 'w7'],
      ['PROVIDER-ID', 'dm.northwind.example'],
      ['NAME', 'Northwind DM'],
      ['TO-NAPID', 'NW_GPRS'],
      ['ADDR', 'https://dm.northwind.example/dm'],
      ['INIT', ''],
    ]);
    expect(characteristics(w7, 'APPAUTH').map(parms)).toEqual([
      [
        ['AAUTHLEVEL', 'APPSRV'],
        ['AAUTHTYPE', 'DIGEST'],
        ['AAUTHNAME', 'handset'],
        ['AAUTHSECRET', 'client-secret'],
      ],
      [
        ['AAUTHLEVEL', 'CLIENT'],
        ['AAUTHTYPE', 'HMAC'],
        ['AAUTHNAME', 'dm.northwind.example'],
        ['AAUTHSECRET', 'server-secret'],
        ['AAUTHDATA', 'AAECAw=='],
      ],
    ]);
  });

  it('puts the DM address in an APPADDR with a PORT when a port is given', () => {
    const parameters = fullParametersWith((input) => {
      input.dm.port = 8443;
      input.dm.init = false;
    });
    const w7 = application(omaCp(parameters).root, 'w7')!;
    expect(hasParm(w7, 'ADDR')).toBe(false);
    expect(hasParm(w7, 'INIT')).toBe(false);
    const address = characteristics(w7, 'APPADDR')[0];
    expect(parmValue(address, 'ADDR')).toBe('https://dm.northwind.example/dm');
    expect(parms(characteristics(address, 'PORT')[0])).toEqual([['PORTNBR', '8443']]);
  });

  it('falls back to the first proxy for a browser that names no proxy or connection', () => {
    const parameters = fullParametersWith((input) => delete input.browser.proxy);
    expect(parmValue(application(omaCp(parameters).root, 'w2')!, 'TO-PROXY')).toBe('NW_PROXY');
  });

  it('uses TO-NAPID for a browser reached directly through a connection', () => {
    const parameters = fullParametersWith((input) => {
      delete input.browser.proxy;
      input.browser.connection = 'NW_GPRS';
    });
    const { root } = omaCp(parameters);
    const w2 = application(root, 'w2')!;
    expect(parmValue(w2, 'TO-NAPID')).toBe('NW_GPRS');
    expect(hasParm(w2, 'TO-PROXY')).toBe(false);
    // The web proxy no longer serves the browser, so it carries no start page.
    expect(hasParm(characteristics(root, 'PXLOGICAL')[0], 'STARTPAGE')).toBe(false);
  });

  describe('leaves out what the device cannot take', () => {
    it('MMS, with the proxy and access point only MMS used', () => {
      const { root, omitted } = omaCp(fullParameters(), { supportsMms: false });
      expect(omitted).toEqual(['mms', 'proxies[1]', 'connections[1]']);
      expect(outline(root)).toEqual([
        'BOOTSTRAP',
        'NAPDEF',
        'PXLOGICAL',
        'APPLICATION:w2',
        'APPLICATION:110',
        'APPLICATION:25',
        'APPLICATION:w7',
      ]);
      expectReferencesResolve(root);
    });

    it('MMS, keeping a proxy the browser shares', () => {
      const { root, omitted } = omaCp(typicalParameters(), { supportsMms: false });
      expect(omitted).toEqual(['mms']);
      expect(outline(root)).toEqual(['BOOTSTRAP', 'NAPDEF', 'PXLOGICAL', 'APPLICATION:w2']);
    });

    it('e-mail, DM and bookmarks', () => {
      const { root, omitted } = omaCp(fullParameters(), {
        supportsEmail: false,
        supportsDm: false,
        supportsBookmarks: false,
      });
      expect(omitted).toEqual(['browser.bookmarks', 'email', 'dm']);
      expect(outline(root)).toEqual([
        'BOOTSTRAP',
        'NAPDEF',
        'NAPDEF',
        'PXLOGICAL',
        'PXLOGICAL',
        'APPLICATION:w2',
        'APPLICATION:w4',
      ]);
      expect(characteristics(application(root, 'w2')!, 'RESOURCE')).toHaveLength(1);
    });

    it('the browser, with its proxy', () => {
      const { root, omitted } = omaCp(fullParameters(), { supportsBrowser: false });
      expect(omitted).toEqual(['browser', 'proxies[0]']);
      expect(characteristics(root, 'PXLOGICAL').map((proxy) => parmValue(proxy, 'PROXY-ID'))).toEqual([
        'NW_MMS_PROXY',
      ]);
      // NW_GPRS stays: e-mail and DM still use it.
      expect(characteristics(root, 'NAPDEF')).toHaveLength(2);
      expectReferencesResolve(root);
    });

    it('and says so when nothing is left', () => {
      const parameters = parseProfileParameters({
        name: 'DM only',
        dm: { serverId: 'dm', name: 'DM', url: 'https://dm.example/' },
      });
      const error = renderError(() => omaCp(parameters, { supportsDm: false }));
      expect(error.code).toBe('NOTHING_TO_RENDER');
      expect(error.details.omitted).toEqual(['dm']);
    });
  });

  describe('raw OMA CP', () => {
    it('is sent as the document it is', () => {
      const text = readFixture('reference-cp.xml');
      const { root, omitted } = omaCp(parseProfileParameters({ name: 'Raw', rawOmaCp: text }));
      expect(treeDifference(parseXml(text), root)).toBeUndefined();
      expect(omitted).toEqual([]);
    });

    it('that is not well-formed fails with RAW_CP_INVALID and the line', () => {
      const text =
        '<wap-provisioningdoc version="1.0">\n<characteristic type="NAPDEF">\n</wap-provisioningdoc>';
      const error = renderError(() => omaCp(parseProfileParameters({ name: 'Raw', rawOmaCp: text })));
      expect(error.code).toBe('RAW_CP_INVALID');
      expect(error.details.line).toBe(3);
      expect(error.message).toMatch(/^rawOmaCp \(line 3\): /);
    });

    it('with another root element fails with RAW_CP_INVALID', () => {
      const parameters = parseProfileParameters({ name: 'Raw', rawOmaCp: '<si><indication href="x"/></si>' });
      const error = renderError(() => omaCp(parameters));
      expect(error.code).toBe('RAW_CP_INVALID');
      expect(error.message).toContain('expected <wap-provisioningdoc>');
    });
  });
});
