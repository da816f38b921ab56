/**
 * Renders a parameter set for one device: an OMA CP `wap-provisioningdoc` (docs/protocol.md §2, ProvCont shapes as in
 * fixtures/reference-cp.xml and typical-cp.xml) or a Nokia/Ericsson OTA 7.0 `CHARACTERISTIC-LIST`
 * (docs/protocol.md §7), as an element tree for codecs/ to encode. What the device cannot take is left out and named
 * in `omitted` (schema paths: `email`, `dm`, `mms`, `browser.bookmarks`, `connections[1]`, ...).
 * Pure: no I/O, no clock.
 */
import { CodecError } from '../../codecs/errors.ts';
import { el, type XmlElement } from '../../codecs/xml/element.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { ProfileError } from './errors.ts';
import {
  proxyAddressType,
  type Bookmark,
  type Browser,
  type Connection,
  type DeviceManagement,
  type DmCredentials,
  type Email,
  type Mms,
  type ProfileParameters,
  type Proxy,
} from './schema.ts';

export type DeviceFormat = 'oma-cp' | 'nokia-ota';

/** What the handset can take beyond its format; anything left out counts as supported. */
export interface DeviceCapabilities {
  supportsBrowser?: boolean;
  supportsBookmarks?: boolean;
  supportsMms?: boolean;
  supportsEmail?: boolean;
  supportsDm?: boolean;
}

export interface RenderTarget {
  format: DeviceFormat;
  capabilities?: DeviceCapabilities;
}

export interface RenderedProfile {
  root: XmlElement;
  /** Parts of the parameter set the document does not carry, as schema paths, in document order. */
  omitted: string[];
}

export function renderProfile(parameters: ProfileParameters, device: RenderTarget): RenderedProfile {
  const capabilities = device.capabilities ?? {};
  if (device.format === 'oma-cp') return renderOmaCp(parameters, capabilities);
  if (device.format === 'nokia-ota') return renderNokiaOta(parameters, capabilities);
  throw new ProfileError('NOTHING_TO_RENDER', `no renderer for device format "${String(device.format)}"`, {
    format: device.format,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Shared: which proxy / connection a section reaches the network through.

interface Reach {
  proxy?: Proxy;
  connection?: Connection;
}

interface Section {
  proxy?: string;
  connection?: string;
}

function findConnection(parameters: ProfileParameters, id: string, path: string): Connection {
  const connection = parameters.connections.find((candidate) => candidate.id === id);
  if (!connection)
    throw new ProfileError('UNKNOWN_REFERENCE', `${path}: names no connection "${id}"`, { path });
  return connection;
}

function findProxy(parameters: ProfileParameters, id: string, path: string): Proxy {
  const proxy = parameters.proxies.find((candidate) => candidate.id === id);
  if (!proxy) throw new ProfileError('UNKNOWN_REFERENCE', `${path}: names no proxy "${id}"`, { path });
  return proxy;
}

/** The connection a proxy is reached through: its own reference, else the first connection. */
function proxyConnection(parameters: ProfileParameters, proxy: Proxy): Connection | undefined {
  const index = parameters.proxies.indexOf(proxy);
  if (proxy.connection !== undefined)
    return findConnection(parameters, proxy.connection, `proxies[${index}].connection`);
  return parameters.connections[0];
}

/**
 * Browser and MMS: the named proxy, else the named connection, else the first proxy, else the first
 * connection (schema.ts). `fallback` false (e-mail, DM): only what is named.
 */
function reachOf(parameters: ProfileParameters, section: Section, path: string, fallback: boolean): Reach {
  if (section.proxy !== undefined) {
    const proxy = findProxy(parameters, section.proxy, `${path}.proxy`);
    return { proxy, connection: proxyConnection(parameters, proxy) };
  }
  if (section.connection !== undefined)
    return { connection: findConnection(parameters, section.connection, `${path}.connection`) };
  if (!fallback) return {};
  const proxy = parameters.proxies[0];
  if (proxy) return { proxy, connection: proxyConnection(parameters, proxy) };
  return { connection: parameters.connections[0] };
}

const sameReach = (a: Reach, b: Reach): boolean => a.proxy === b.proxy && a.connection === b.connection;

// ---------------------------------------------------------------------------------------------------------
// OMA Client Provisioning (ProvCont 1.1; docs/protocol.md §2, §9.1)

const PROV_ROOT = 'wap-provisioningdoc'; // docs/protocol.md §2.1 tag 0x05
const PROV_VERSION = '1.0'; // docs/protocol.md §2.1: version="1.0" has its own token (0x46)

/** APPLICATION APPIDs (docs/protocol.md §9.1 w7; w2 browser, w4 MMS as in fixtures; IANA ports for e-mail). */
const APPID = { browser: 'w2', mms: 'w4', dm: 'w7', pop3: '110', imap4: '143', smtp: '25' } as const;

/** NAPDEF BEARER values (docs/protocol.md §2.4: GSM-GPRS 0xAB, GSM-CSD 0xAA). */
const OMA_BEARER = { GPRS: 'GSM-GPRS', CSD: 'GSM-CSD' } as const;
/** NAP-ADDRTYPE (docs/protocol.md §2.4: APN 0x89, E164 0x87). */
const OMA_NAP_ADDRESS_TYPE = { GPRS: 'APN', CSD: 'E164' } as const;
/** CALLTYPE (docs/protocol.md §2.4: ANALOG-MODEM 0x90, V.110 0x92 — the ISDN rate adaption GSM data calls use). */
const OMA_CALL_TYPE = { ANALOGUE: 'ANALOG-MODEM', ISDN: 'V.110' } as const;
/** LINKSPEED AUTO (docs/protocol.md §2.4: AUTOBAUDING 0xC5). */
const OMA_AUTO_LINK_SPEED = 'AUTOBAUDING';

/** Default mail ports, and the SERVICE value that asks for SSL (CPC email.h: 995, 993, 465). */
const MAIL_PORTS = {
  POP3: { plain: 110, ssl: 995 },
  IMAP4: { plain: 143, ssl: 993 },
  SMTP: { plain: 25, ssl: 465 },
} as const;

/** AAUTHLEVEL (docs/protocol.md §9.1: APPSRV page-1 token 0x8D; CLIENT has no token). */
const AAUTHLEVEL = { server: 'APPSRV', client: 'CLIENT' } as const;

// Attributes as arrays, not records: el() converts a record with Object.entries, ten times slower, and a
// document has dozens of parms.
const parm = (name: string, value?: string): XmlElement =>
  el(
    'parm',
    value === undefined
      ? [['name', name]]
      : [
          ['name', name],
          ['value', value],
        ],
  );
const characteristic = (type: string, children: XmlElement[]): XmlElement =>
  el('characteristic', [['type', type]], children);
const optionalParm = (name: string, value: string | undefined): XmlElement[] =>
  value === undefined ? [] : [parm(name, value)];

/** The optional sections the device takes (its capabilities); the ones it does not, named in `omitted`. */
interface OmaSections {
  browser?: Browser;
  bookmarks?: Bookmark[];
  mms?: Mms;
  email?: Email;
  dm?: DeviceManagement;
  omitted: string[];
}

function omaSections(parameters: ProfileParameters, capabilities: DeviceCapabilities): OmaSections {
  const omitted: string[] = [];
  const keep = <T>(value: T | undefined, supported: boolean | undefined, path: string): T | undefined => {
    if (value === undefined) return undefined;
    if (supported === false) {
      omitted.push(path);
      return undefined;
    }
    return value;
  };
  const browser = keep(parameters.browser, capabilities.supportsBrowser, 'browser');
  const bookmarks =
    browser && browser.bookmarks.length > 0
      ? keep(browser.bookmarks, capabilities.supportsBookmarks, 'browser.bookmarks')
      : undefined;
  const mms = keep(parameters.mms, capabilities.supportsMms, 'mms');
  const email = keep(parameters.email, capabilities.supportsEmail, 'email');
  const dm = keep(parameters.dm, capabilities.supportsDm, 'dm');
  return { browser, bookmarks, mms, email, dm, omitted };
}

const OMA_APPLICATIONS = ['browser', 'mms', 'email', 'dm'] as const;
type OmaApplication = (typeof OMA_APPLICATIONS)[number];

/** How each application the parameter set has reaches the network, whether the device takes it or not. */
function omaReaches(parameters: ProfileParameters): Record<OmaApplication, Reach | undefined> {
  return {
    browser: parameters.browser && reachOf(parameters, parameters.browser, 'browser', true),
    mms: parameters.mms && reachOf(parameters, parameters.mms, 'mms', true),
    email: parameters.email && reachOf(parameters, parameters.email, 'email', false),
    dm: parameters.dm && reachOf(parameters, parameters.dm, 'dm', false),
  };
}

/**
 * Reachability pruning: a proxy that only omitted applications reach the network through is left out, and
 * so is a connection that only omitted applications and left-out proxies use; one nothing refers to stays.
 */
function pruneUnreachable(
  parameters: ProfileParameters,
  reaches: Record<OmaApplication, Reach | undefined>,
  kept: Record<OmaApplication, boolean>,
): { proxies: Proxy[]; connections: Connection[]; omitted: string[] } {
  const omitted: string[] = [];
  // Who refers to which proxy and connection, and whether each referrer is kept.
  const proxyUsers = new Map<Proxy, boolean[]>();
  const connectionUsers = new Map<Connection, boolean[]>();
  const use = <K>(users: Map<K, boolean[]>, key: K | undefined, isUserKept: boolean): void => {
    if (key === undefined) return;
    const list = users.get(key) ?? [];
    list.push(isUserKept);
    users.set(key, list);
  };
  for (const application of OMA_APPLICATIONS) {
    const reach = reaches[application];
    if (!reach) continue;
    use(proxyUsers, reach.proxy, kept[application]);
    if (!reach.proxy) use(connectionUsers, reach.connection, kept[application]);
  }
  const isKept = <K>(users: Map<K, boolean[]>, key: K): boolean => {
    const list = users.get(key);
    return list === undefined || list.includes(true);
  };
  const proxies = parameters.proxies.filter((proxy, index) => {
    if (isKept(proxyUsers, proxy)) return true;
    omitted.push(`proxies[${index}]`);
    return false;
  });
  for (const proxy of parameters.proxies)
    use(connectionUsers, proxyConnection(parameters, proxy), proxies.includes(proxy));
  const connections = parameters.connections.filter((connection, index) => {
    if (isKept(connectionUsers, connection)) return true;
    omitted.push(`connections[${index}]`);
    return false;
  });
  return { proxies, connections, omitted };
}

function renderOmaCp(parameters: ProfileParameters, capabilities: DeviceCapabilities): RenderedProfile {
  if (parameters.rawOmaCp !== undefined) return { root: parseRawOmaCp(parameters.rawOmaCp), omitted: [] };

  const sections = omaSections(parameters, capabilities);
  const { browser, bookmarks, mms, email, dm } = sections;
  const reaches = omaReaches(parameters);
  const kept = { browser: !!browser, mms: !!mms, email: !!email, dm: !!dm };
  const network = pruneUnreachable(parameters, reaches, kept);
  const { proxies, connections } = network;
  const omitted = [...sections.omitted, ...network.omitted];

  const homePageProxy = browser?.homePage !== undefined ? reaches.browser?.proxy : undefined;
  const applications: XmlElement[] = [];
  if (browser && reaches.browser)
    applications.push(omaBrowser(parameters, browser, bookmarks ?? [], reaches.browser));
  if (mms && reaches.mms) applications.push(omaMms(parameters, mms, reaches.mms));
  if (email && reaches.email) applications.push(...omaEmail(email, reaches.email));
  if (dm && reaches.dm) applications.push(omaDm(dm, reaches.dm));

  if (connections.length === 0 && proxies.length === 0 && applications.length === 0)
    throw new ProfileError('NOTHING_TO_RENDER', 'the device can take none of the settings in this profile', {
      omitted,
    });

  const root = el(
    PROV_ROOT,
    [['version', PROV_VERSION]],
    [
      characteristic('BOOTSTRAP', [parm('NAME', parameters.name)]),
      ...connections.map((connection) => omaNapdef(parameters, connection)),
      ...proxies.map((proxy) =>
        omaProxy(parameters, proxy, proxy === homePageProxy ? browser?.homePage : undefined),
      ),
      ...applications,
    ],
  );
  return { root, omitted };
}

function omaNapdef(parameters: ProfileParameters, connection: Connection): XmlElement {
  const children: XmlElement[] = [
    parm('NAPID', connection.id),
    parm('BEARER', OMA_BEARER[connection.bearer]),
    parm('NAME', connection.name ?? parameters.name),
    parm(
      'NAP-ADDRESS',
      connection.bearer === 'GPRS' ? (connection.apn ?? '') : (connection.dialString ?? ''),
    ),
    parm('NAP-ADDRTYPE', OMA_NAP_ADDRESS_TYPE[connection.bearer]),
  ];
  if (connection.callType !== undefined) children.push(parm('CALLTYPE', OMA_CALL_TYPE[connection.callType]));
  if (connection.callSpeed !== undefined)
    children.push(
      parm('LINKSPEED', connection.callSpeed === 'AUTO' ? OMA_AUTO_LINK_SPEED : connection.callSpeed),
    );
  for (const address of connection.dns ?? []) children.push(parm('DNS-ADDR', address));
  if (connection.auth)
    children.push(
      characteristic('NAPAUTHINFO', [
        parm('AUTHTYPE', connection.auth.type),
        parm('AUTHNAME', connection.auth.user),
        parm('AUTHSECRET', connection.auth.password),
      ]),
    );
  return characteristic('NAPDEF', children);
}

function omaProxy(parameters: ProfileParameters, proxy: Proxy, startPage: string | undefined): XmlElement {
  const connection = proxyConnection(parameters, proxy);
  const physical: XmlElement[] = [
    parm('PHYSICAL-PROXY-ID', proxy.physicalProxyId ?? `${proxy.id}-PX`),
    parm('PXADDR', proxy.address),
  ];
  // PXADDR is mandatory; a domain name is flagged by PXADDR-FQDN (docs/protocol.md §2.2 0x3D) since PXADDRTYPE has
  // no value for it, and PXADDRTYPE would default to IPV4.
  if (proxyAddressType(proxy) === 'IPV4') physical.push(parm('PXADDRTYPE', 'IPV4'));
  else physical.push(parm('PXADDR-FQDN', proxy.address));
  if (connection) physical.push(parm('TO-NAPID', connection.id));
  if (proxy.port !== undefined)
    physical.push(
      characteristic('PORT', [
        parm('PORTNBR', String(proxy.port)),
        ...optionalParm('SERVICE', proxy.service),
      ]),
    );

  const logical: XmlElement[] = [parm('PROXY-ID', proxy.id), parm('NAME', proxy.name ?? parameters.name)];
  if (startPage !== undefined) logical.push(parm('STARTPAGE', startPage));
  if (proxy.auth)
    logical.push(
      characteristic('PXAUTHINFO', [
        parm('PXAUTH-TYPE', proxy.auth.type),
        parm('PXAUTH-ID', proxy.auth.user),
        parm('PXAUTH-PW', proxy.auth.password),
      ]),
    );
  logical.push(characteristic('PXPHYSICAL', physical));
  return characteristic('PXLOGICAL', logical);
}

/** TO-PROXY when reached through a proxy, else TO-NAPID (ProvCont APPLICATION connectivity references). */
function connectivity(reach: Reach): XmlElement[] {
  if (reach.proxy) return [parm('TO-PROXY', reach.proxy.id)];
  if (reach.connection) return [parm('TO-NAPID', reach.connection.id)];
  return [];
}

function omaBrowser(
  parameters: ProfileParameters,
  browser: NonNullable<ProfileParameters['browser']>,
  bookmarks: Bookmark[],
  reach: Reach,
): XmlElement {
  const name = browser.name ?? parameters.name;
  const resources: XmlElement[] = [];
  if (browser.homePage !== undefined)
    resources.push(
      characteristic('RESOURCE', [
        parm('URI', browser.homePage),
        parm('NAME', browser.homePageName ?? name),
        parm('STARTPAGE'),
      ]),
    );
  for (const bookmark of bookmarks)
    resources.push(characteristic('RESOURCE', [parm('URI', bookmark.url), parm('NAME', bookmark.name)]));
  return characteristic('APPLICATION', [
    parm('APPID', APPID.browser),
    ...connectivity(reach),
    parm('NAME', name),
    ...resources,
  ]);
}

function omaMms(
  parameters: ProfileParameters,
  mms: NonNullable<ProfileParameters['mms']>,
  reach: Reach,
): XmlElement {
  return characteristic('APPLICATION', [
    parm('APPID', APPID.mms),
    ...connectivity(reach),
    parm('NAME', mms.name ?? parameters.name),
    parm('ADDR', mms.mmscUrl),
  ]);
}

function omaEmail(email: NonNullable<ProfileParameters['email']>, reach: Reach): XmlElement[] {
  const providerId = email.providerId ?? email.incoming.host;
  const server = (
    host: string,
    port: number | undefined,
    ssl: boolean,
    ports: { plain: number; ssl: number },
    user: string | undefined,
    password: string | undefined,
  ): XmlElement[] => {
    const portNumber = port ?? (ssl ? ports.ssl : ports.plain);
    const out = [
      characteristic('APPADDR', [
        parm('ADDR', host),
        characteristic('PORT', [
          parm('PORTNBR', String(portNumber)),
          ...(ssl ? [parm('SERVICE', String(ports.ssl))] : []),
        ]),
      ]),
    ];
    if (user !== undefined || password !== undefined)
      out.push(
        characteristic('APPAUTH', [
          ...optionalParm('AAUTHNAME', user),
          ...optionalParm('AAUTHSECRET', password),
        ]),
      );
    return out;
  };
  const { incoming, outgoing } = email;
  return [
    characteristic('APPLICATION', [
      parm('APPID', incoming.protocol === 'POP3' ? APPID.pop3 : APPID.imap4),
      parm('PROVIDER-ID', providerId),
      parm('NAME', email.name),
      ...connectivity(reach),
      ...server(
        incoming.host,
        incoming.port,
        incoming.ssl,
        MAIL_PORTS[incoming.protocol],
        incoming.user,
        incoming.password,
      ),
    ]),
    characteristic('APPLICATION', [
      parm('APPID', APPID.smtp),
      parm('PROVIDER-ID', providerId),
      parm('NAME', email.name),
      parm('FROM', email.fromAddress),
      ...connectivity(reach),
      ...server(
        outgoing.host,
        outgoing.port,
        outgoing.ssl,
        MAIL_PORTS.SMTP,
        outgoing.user,
        outgoing.password,
      ),
    ]),
  ];
}

function omaDm(dm: NonNullable<ProfileParameters['dm']>, reach: Reach): XmlElement {
  const children: XmlElement[] = [
    parm('APPID', APPID.dm),
    parm('PROVIDER-ID', dm.serverId),
    parm('NAME', dm.name),
    ...connectivity(reach),
  ];
  if (dm.port === undefined) children.push(parm('ADDR', dm.url));
  else
    children.push(
      characteristic('APPADDR', [
        parm('ADDR', dm.url),
        characteristic('PORT', [parm('PORTNBR', String(dm.port))]),
      ]),
    );
  // INIT has no token and no value (docs/protocol.md §9.1).
  if (dm.init) children.push(parm('INIT'));
  const appAuth = (level: string, credentials: DmCredentials): XmlElement =>
    characteristic('APPAUTH', [
      parm('AAUTHLEVEL', level),
      ...optionalParm('AAUTHTYPE', credentials.type),
      parm('AAUTHNAME', credentials.name),
      parm('AAUTHSECRET', credentials.secret),
      ...optionalParm('AAUTHDATA', credentials.nonce),
    ]);
  if (dm.serverAuth) children.push(appAuth(AAUTHLEVEL.server, dm.serverAuth));
  if (dm.clientAuth) children.push(appAuth(AAUTHLEVEL.client, dm.clientAuth));
  return characteristic('APPLICATION', children);
}

function parseRawOmaCp(text: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    const where = error.line !== undefined ? ` (line ${error.line})` : '';
    throw new ProfileError('RAW_CP_INVALID', `rawOmaCp${where}: ${error.message}`, {
      path: 'rawOmaCp',
      line: error.line,
      codecError: error.code,
    });
  }
  if (root.name !== PROV_ROOT)
    throw new ProfileError(
      'RAW_CP_INVALID',
      `rawOmaCp: root element is <${root.name}>, expected <${PROV_ROOT}>`,
      {
        path: 'rawOmaCp',
        line: root.line,
      },
    );
  return root;
}

// ---------------------------------------------------------------------------------------------------------
// Nokia/Ericsson OTA Settings 7.0 (docs/protocol.md §7)

const NOKIA_ROOT = 'CHARACTERISTIC-LIST'; // docs/protocol.md §7 tag 0x05

/** BEARER values (docs/protocol.md §7: GPRS 0x49, GSM/CSD 0x45). */
const NOKIA_BEARER = { GPRS: 'GPRS', CSD: 'GSM/CSD' } as const;
/** CSD_CALLTYPE values (docs/protocol.md §7: ANALOGUE 0x72, ISDN 0x73). */
const NOKIA_CALL_TYPE = { ANALOGUE: 'ANALOGUE', ISDN: 'ISDN' } as const;
/** PPP_LOGINTYPE / PROXY_LOGINTYPE when the credentials are in the settings (docs/protocol.md §7: AUTOMATIC 0x64). */
const NOKIA_AUTOMATIC_LOGIN = 'AUTOMATIC';

/** Longest values a Nokia OTA 7.0 handset accepts, in characters (docs/protocol.md §7, from Kannel's comments). */
export const NOKIA_LIMITS = {
  accessPointName: 100,
  url: 100,
  mmsUrl: 100,
  bookmarkName: 50,
  bookmarkUrl: 255,
  settingsName: 20,
  pppAuthName: 32,
  pppAuthSecret: 20,
  dialString: 21,
} as const;

function nokiaChecked(path: string, value: string, limit: number): string {
  const length = [...value].length;
  if (length > limit)
    throw new ProfileError(
      'NOKIA_LIMIT_EXCEEDED',
      `${path}: ${length} characters, a Nokia OTA handset takes at most ${limit}`,
      { path, limit, length },
    );
  return value;
}

const nokiaParm = (name: string, value: string): XmlElement =>
  el('PARM', [
    ['NAME', name],
    ['VALUE', value],
  ]);

/** What one Nokia document can carry: the browser, MMS when it goes the same way, and the one ADDRESS. */
interface NokiaSettings {
  browser?: Browser;
  mms?: Mms;
  reach?: Reach;
}

function nokiaSettings(parameters: ProfileParameters, capabilities: DeviceCapabilities): NokiaSettings {
  const browser =
    parameters.browser && capabilities.supportsBrowser !== false ? parameters.browser : undefined;
  const browserReach = browser && reachOf(parameters, browser, 'browser', true);
  const mmsWanted = parameters.mms && capabilities.supportsMms !== false ? parameters.mms : undefined;
  const mmsReach = mmsWanted && reachOf(parameters, mmsWanted, 'mms', true);
  // One document carries one ADDRESS: MMS fits only when it goes the browser's way (or there is no browser).
  const mms =
    mmsWanted && (!browserReach || (mmsReach && sameReach(browserReach, mmsReach))) ? mmsWanted : undefined;

  const reach: Reach | undefined =
    browserReach ??
    (mms ? mmsReach : undefined) ??
    (parameters.connections[0] ? { connection: parameters.connections[0] } : undefined);
  return { browser, mms, reach };
}

/** Everything a Nokia document leaves out, in schema order. */
function nokiaOmitted(
  parameters: ProfileParameters,
  { browser, mms, reach }: NokiaSettings,
  bookmarks: Bookmark[],
): string[] {
  const omitted: string[] = [];
  if (parameters.browser && !browser) omitted.push('browser');
  parameters.connections.forEach((connection, index) => {
    if (connection !== reach?.connection) omitted.push(`connections[${index}]`);
    else if (connection.dns && connection.dns.length > 0) omitted.push(`connections[${index}].dns`);
  });
  parameters.proxies.forEach((proxy, index) => {
    if (proxy !== reach?.proxy) omitted.push(`proxies[${index}]`);
  });
  if (browser && browser.bookmarks.length > 0 && bookmarks.length === 0) omitted.push('browser.bookmarks');
  if (parameters.mms && !mms) omitted.push('mms');
  if (parameters.email) omitted.push('email');
  if (parameters.dm) omitted.push('dm');
  return omitted;
}

function nokiaBookmark(bookmark: Bookmark, index: number): XmlElement {
  return el('CHARACTERISTIC', { TYPE: 'BOOKMARK' }, [
    nokiaParm(
      'NAME',
      nokiaChecked(`browser.bookmarks[${index}].name`, bookmark.name, NOKIA_LIMITS.bookmarkName),
    ),
    nokiaParm('URL', nokiaChecked(`browser.bookmarks[${index}].url`, bookmark.url, NOKIA_LIMITS.bookmarkUrl)),
  ]);
}

function renderNokiaOta(parameters: ProfileParameters, capabilities: DeviceCapabilities): RenderedProfile {
  if (parameters.rawOmaCp !== undefined)
    throw new ProfileError(
      'RAW_CP_NOT_RENDERABLE',
      'this profile is a raw OMA CP document; a Nokia OTA device cannot take it (give typed settings instead)',
      { path: 'rawOmaCp' },
    );
  const settings = nokiaSettings(parameters, capabilities);
  const { browser, mms, reach } = settings;

  const children: XmlElement[] = [];
  if (reach?.connection) children.push(nokiaAddress(parameters, reach));
  if (browser?.homePage !== undefined)
    children.push(
      el('CHARACTERISTIC', {
        TYPE: 'URL',
        VALUE: nokiaChecked('browser.homePage', browser.homePage, NOKIA_LIMITS.url),
      }),
    );
  if (mms)
    children.push(
      el('CHARACTERISTIC', {
        TYPE: 'MMSURL',
        VALUE: nokiaChecked('mms.mmscUrl', mms.mmscUrl, NOKIA_LIMITS.mmsUrl),
      }),
    );

  const bookmarks =
    browser && browser.bookmarks.length > 0 && capabilities.supportsBookmarks !== false
      ? browser.bookmarks
      : [];
  const bookmarkElements = bookmarks.map(nokiaBookmark);
  const omitted = nokiaOmitted(parameters, settings, bookmarks);

  if (children.length === 0 && bookmarkElements.length === 0)
    throw new ProfileError(
      'NOTHING_TO_RENDER',
      'a Nokia OTA device can take none of the settings in this profile',
      {
        omitted,
      },
    );
  // NAME names a settings set; a document of bookmarks alone has none (docs/protocol.md §7 vector).
  if (children.length > 0)
    children.push(
      el('CHARACTERISTIC', { TYPE: 'NAME' }, [
        nokiaParm('NAME', nokiaChecked('name', parameters.name, NOKIA_LIMITS.settingsName)),
      ]),
    );
  children.push(...bookmarkElements);
  return { root: el(NOKIA_ROOT, [], children), omitted };
}

function nokiaAddress(parameters: ProfileParameters, reach: Reach): XmlElement {
  const connection = reach.connection as Connection;
  const at = `connections[${parameters.connections.indexOf(connection)}]`;
  const proxy = reach.proxy;
  const parms: XmlElement[] = [nokiaParm('BEARER', NOKIA_BEARER[connection.bearer])];
  if (proxy) {
    parms.push(nokiaParm('PROXY', proxy.address));
    if (proxy.port !== undefined) parms.push(nokiaParm('PORT', String(proxy.port)));
  }
  if (connection.bearer === 'CSD') {
    parms.push(
      nokiaParm(
        'CSD_DIALSTRING',
        nokiaChecked(`${at}.dialString`, connection.dialString ?? '', NOKIA_LIMITS.dialString),
      ),
    );
    if (connection.callType !== undefined)
      parms.push(nokiaParm('CSD_CALLTYPE', NOKIA_CALL_TYPE[connection.callType]));
    if (connection.callSpeed !== undefined) parms.push(nokiaParm('CSD_CALLSPEED', connection.callSpeed));
  }
  if (connection.auth) {
    parms.push(
      nokiaParm('PPP_AUTHTYPE', connection.auth.type),
      nokiaParm(
        'PPP_AUTHNAME',
        nokiaChecked(`${at}.auth.user`, connection.auth.user, NOKIA_LIMITS.pppAuthName),
      ),
      nokiaParm(
        'PPP_AUTHSECRET',
        nokiaChecked(`${at}.auth.password`, connection.auth.password, NOKIA_LIMITS.pppAuthSecret),
      ),
      nokiaParm('PPP_LOGINTYPE', NOKIA_AUTOMATIC_LOGIN),
    );
  }
  if (connection.bearer === 'GPRS')
    parms.push(
      nokiaParm(
        'GPRS_ACCESSPOINTNAME',
        nokiaChecked(`${at}.apn`, connection.apn ?? '', NOKIA_LIMITS.accessPointName),
      ),
    );
  if (proxy?.auth)
    parms.push(
      nokiaParm('PROXY_AUTHNAME', proxy.auth.user),
      nokiaParm('PROXY_AUTHSECRET', proxy.auth.password),
      nokiaParm('PROXY_LOGINTYPE', NOKIA_AUTOMATIC_LOGIN),
    );
  return el('CHARACTERISTIC', { TYPE: 'ADDRESS' }, parms);
}
