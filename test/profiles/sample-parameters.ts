/** Parameter sets the profile tests share (documentation addresses only: *.example, 192.0.2.0/24). */
import {
  parseProfileParameters,
  type ProfileParameters,
  type ProfileParametersInput,
} from '../../src/profiles/schema.ts';

/** The typed equivalent of test/fixtures/typical-cp.xml. */
export const TYPICAL_CP_INPUT: ProfileParametersInput = {
  name: 'Northwind Mobile',
  connections: [
    {
      id: 'NW_GPRS',
      name: 'Northwind Internet',
      bearer: 'GPRS',
      apn: 'web.northwind.example',
      auth: { type: 'PAP', user: 'web', password: 'web' },
    },
  ],
  proxies: [
    {
      id: 'NW_PROXY',
      name: 'Northwind WAP',
      physicalProxyId: 'NW_PX1',
      address: '192.0.2.10',
      port: 9201,
      service: 'CO-WSP',
      connection: 'NW_GPRS',
    },
  ],
  browser: {
    name: 'Northwind Browser',
    proxy: 'NW_PROXY',
    homePage: 'http://wap.northwind.example/',
    homePageName: 'Northwind Home',
  },
  mms: { name: 'Northwind MMS', proxy: 'NW_PROXY', mmscUrl: 'http://mms.northwind.example/mms' },
};

/** Everything the schema can say: two APNs and proxies, bookmarks, MMS on its own APN, e-mail, DM. */
export const FULL_INPUT: ProfileParametersInput = {
  name: 'Northwind Mobile',
  connections: [
    {
      id: 'NW_GPRS',
      name: 'Northwind Internet',
      bearer: 'GPRS',
      apn: 'web.northwind.example',
      auth: { type: 'CHAP', user: 'web', password: 'web-secret' },
      dns: ['192.0.2.53', '192.0.2.54'],
    },
    { id: 'NW_MMS', name: 'Northwind MMS', bearer: 'GPRS', apn: 'mms.northwind.example' },
  ],
  proxies: [
    {
      id: 'NW_PROXY',
      name: 'Northwind WAP',
      address: '192.0.2.10',
      port: 9201,
      service: 'CO-WSP',
      connection: 'NW_GPRS',
      auth: { type: 'HTTP-BASIC', user: 'proxy-user', password: 'proxy-secret' },
    },
    { id: 'NW_MMS_PROXY', address: 'mmsproxy.northwind.example', port: 8080, connection: 'NW_MMS' },
  ],
  browser: {
    name: 'Northwind Browser',
    proxy: 'NW_PROXY',
    homePage: 'http://wap.northwind.example/',
    bookmarks: [
      { name: 'News', url: 'http://wap.northwind.example/news' },
      { name: 'Weather', url: 'http://wap.northwind.example/weather' },
    ],
  },
  mms: { name: 'Northwind MMS', proxy: 'NW_MMS_PROXY', mmscUrl: 'http://mms.northwind.example/mms' },
  email: {
    name: 'Northwind Mail',
    providerId: 'nw-mail',
    fromAddress: 'someone@northwind.example',
    connection: 'NW_GPRS',
    incoming: { protocol: 'POP3', host: 'pop.northwind.example', user: 'someone', password: 'mail-secret' },
    outgoing: { host: 'smtp.northwind.example', ssl: true, user: 'someone', password: 'mail-secret' },
  },
  dm: {
    serverId: 'dm.northwind.example',
    name: 'Northwind DM',
    url: 'https://dm.northwind.example/dm',
    connection: 'NW_GPRS',
    init: true,
    serverAuth: { type: 'DIGEST', name: 'handset', secret: 'client-secret' },
    clientAuth: { type: 'HMAC', name: 'dm.northwind.example', secret: 'server-secret', nonce: 'AAECAw==' },
  },
};

export const typicalParameters = (): ProfileParameters =>
  parseProfileParameters(structuredClone(TYPICAL_CP_INPUT));
export const fullParameters = (): ProfileParameters => parseProfileParameters(structuredClone(FULL_INPUT));

/** Loosely typed input, for tests that change or break fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EditableInput = Record<string, any>;

/** A deep copy of FULL_INPUT changed by `edit`, parsed. */
export function fullParametersWith(edit: (input: EditableInput) => void): ProfileParameters {
  const input = structuredClone(FULL_INPUT) as EditableInput;
  edit(input);
  return parseProfileParameters(input);
}
