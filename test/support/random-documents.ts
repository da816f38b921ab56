/**
 * Seeded generators of valid, operator-realistic documents of every type the gateway pushes: OMA CP
 * (ProvCont, docs/protocol.md §2), SI and SL (docs/protocol.md §8) and Nokia/Ericsson OTA settings and bookmarks (docs/protocol.md §7).
 *
 * "Valid" means what a real operator would send: NAPDEFs referenced by proxies and applications, proxies
 * referenced by applications, tokenised values where the vocabulary has them (IPV4, APN, GSM-GPRS, PAP,
 * CO-WSP, ...) mixed with free text, valueless parms (T-BIT, INTERNET, STARTPAGE, INIT), both CP attribute
 * code pages (APPLICATION subtrees live on page 1, everything else on page 0; ACCESS mixes both), names the
 * vocabulary has no token for (encoded as literals), long values (200+ characters), non-ASCII text
 * (accents, Cyrillic, CJK, emoji) and the XML-special characters & < > " '.
 *
 * Trees hold no whitespace-only text: what the XML parser gives for a compact document.
 */
import { el, type XmlElement, type XmlNode } from '../../codecs/xml/element.ts';
import type { SeededRandom } from './seeded-random.ts';

export type GeneratedDocumentType = 'prov' | 'si' | 'sl' | 'nokia-ota';

export const GENERATED_DOCUMENT_TYPES: readonly GeneratedDocumentType[] = ['prov', 'si', 'sl', 'nokia-ota'];

export interface DocumentOptions {
  /**
   * Probability that a free-text value (display names, secrets, SI text) is drawn from the "rich" pools:
   * non-ASCII and XML-special characters. Default 0.3.
   */
  richText?: number;
  /** Probability that a value which may be long (URLs, names) gets 200+ characters. Default 0.1. */
  longValues?: number;
}

interface Context {
  random: SeededRandom;
  richText: number;
  longValues: number;
  operator: Operator;
}

interface Operator {
  /** display name, may be rich */
  name: string;
  /** DNS label used in host names */
  slug: string;
  /** top-level domain part, chosen so SI/SL value tokens (.com/ .net/ .org/ .edu/) occur */
  domain: string;
  mcc: string;
  mnc: string;
}

// ---------------------------------------------------------------------------------------------------------
// value pools

const PLAIN_OPERATOR_NAMES = [
  'Northwind Mobile',
  'Contoso Telecom',
  'Fabrikam Wireless',
  'Tailspin Tel',
  'Litware GSM',
];
const RICH_OPERATOR_NAMES = [
  'Télécom Ouest',
  'Mobilfunk Süd',
  'МегаСвязь',
  '中国移动测试',
  'Café Mobile ☕',
  'AT&T <Business>',
  'O\'Reilly "Quoted" Net',
  'Ωmega Τηλεπικοινωνίες',
  '📶 FastNet 😀',
  'Señal Ñandú',
  'Türk Hücre',
  'ヤマト通信',
  '한국 모바일',
  'שלום סלולר',
  'Ελληνικά & Co',
];
const SLUGS = [
  'northwind',
  'contoso',
  'fabrikam',
  'tailspin',
  'litware',
  'wingtip',
  'adventure-works',
  'proseware',
];
const DOMAINS = [
  'example',
  'example.com',
  'example.net',
  'example.org',
  'example.edu',
  'op.example',
  'mobile.example.com',
];
const PLAIN_WORDS = [
  'Internet',
  'WAP',
  'MMS',
  'Browser',
  'Portal',
  'Home',
  'Mail',
  'Office',
  'Data',
  'Services',
];
const RICH_WORDS = [
  'Accès',
  'Übersicht',
  'Интернет',
  '門戶',
  'Nachrichten',
  'Ñoño',
  '🌍',
  'Ça va',
  'Zürich',
  'Служба',
  '音楽',
  '😀👍',
  'Tom & Jerry',
  '<b>bold</b>',
  '"quoted"',
  "it's",
  'a > b',
];
const SECRET_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const RICH_SECRET_ALPHABET = `${SECRET_ALPHABET}&<>"'!#%*+-=?@_ é€`;

/** CP BEARER values with an ATTRVALUE token (docs/protocol.md §2.4) and how a NAPDEF of that bearer is addressed. */
const BEARERS: Array<{ bearer: string; addressType: 'APN' | 'E164' | 'IPV4' }> = [
  { bearer: 'GSM-GPRS', addressType: 'APN' },
  { bearer: 'GSM-GPRS', addressType: 'APN' },
  { bearer: 'GSM-GPRS', addressType: 'APN' },
  { bearer: 'GSM-CSD', addressType: 'E164' },
  { bearer: 'ANSI-136-GPRS', addressType: 'APN' },
  { bearer: 'CDMA2000-1X-SIMPLE-IP', addressType: 'IPV4' },
  { bearer: 'GSM-USSD', addressType: 'E164' },
];
const CALL_TYPES = [
  'ANALOG-MODEM',
  'V.120',
  'V.110',
  'X.31',
  'BIT-TRANSPARENT',
  'DIRECT-ASYNCHRONOUS-DATA-SERVICE',
];
const NAP_AUTH_TYPES = ['PAP', 'CHAP', 'MD5'];
const PROXY_AUTH_TYPES = ['HTTP-BASIC', 'HTTP-DIGEST', 'WTLS-SS'];
const PORT_SERVICES: Array<{ port: string; service: string }> = [
  { port: '9200', service: 'CL-WSP' },
  { port: '9201', service: 'CO-WSP' },
  { port: '9202', service: 'CL-SEC-WSP' },
  { port: '9203', service: 'CO-SEC-WSP' },
  { port: '2948', service: 'CL-SEC-WTA' },
  { port: '8080', service: 'OTA-HTTP-PO' },
  { port: '80', service: 'OTA-HTTP-TO' },
  { port: '443', service: 'OTA-HTTP-TLS-TO' },
];
const APPLICATION_IDS = ['w2', 'w4', 'w7', '110', '143', '25'] as const;

// ---------------------------------------------------------------------------------------------------------
// small builders

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

const characteristic = (type: string, children: XmlNode[]): XmlElement =>
  el('characteristic', [['type', type]], children);

function maybe<T>(context: Context, probability: number, make: () => T): T[] {
  return context.random.chance(probability) ? [make()] : [];
}

function displayName(context: Context, base: string): string {
  const { random } = context;
  if (random.chance(context.richText)) {
    const extra = random.pick(RICH_WORDS);
    return random.chance(0.5) ? `${base} ${extra}` : `${extra} ${base}`;
  }
  return base;
}

function longText(context: Context, minLength: number): string {
  const { random } = context;
  const words: string[] = [];
  let length = 0;
  while (length < minLength) {
    const word = random.chance(context.richText) ? random.pick(RICH_WORDS) : random.pick(PLAIN_WORDS);
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

function secret(context: Context, min = 6, max = 16): string {
  const { random } = context;
  const alphabet = random.chance(context.richText) ? RICH_SECRET_ALPHABET : SECRET_ALPHABET;
  return random.stringFrom(alphabet, random.int(min, max));
}

function userName(context: Context): string {
  const { random } = context;
  return random.pick(['wap', 'web', 'mms', 'internet', 'user', 'gprs', `u${random.digits(6)}`, 'guest']);
}

function host(context: Context, service: string): string {
  return `${service}.${context.operator.slug}.${context.operator.domain}`;
}

function ipv4(context: Context): string {
  const { random } = context;
  const prefix = random.pick(['10', '192.0.2', '198.51.100', '203.0.113', '172.16']);
  const parts = prefix.split('.').length;
  const rest = Array.from({ length: 4 - parts }, () => String(random.int(parts === 1 ? 0 : 1, 254)));
  return [prefix, ...rest].join('.');
}

function ipv6(context: Context): string {
  const { random } = context;
  return `2001:db8:${random.int(0, 0xffff).toString(16)}::${random.int(1, 0xffff).toString(16)}`;
}

function e164(context: Context): string {
  return `+${context.random.pick(['44', '49', '33', '1', '358', '886', '7'])}${context.random.digits(9)}`;
}

/** A URL on the operator's domain; sometimes 200+ characters (a long query string, as portals send). */
function url(context: Context, service: string, path = '', scheme?: 'http' | 'https'): string {
  const { random } = context;
  const chosenScheme = scheme ?? (random.chance(0.25) ? 'https' : 'http');
  const www = random.chance(0.3) ? 'www.' : '';
  const base = `${chosenScheme}://${www}${host(context, service)}/${path}`;
  if (!random.chance(context.longValues)) return base;
  const query: string[] = [];
  while (base.length + query.join('&').length < 220)
    query.push(`p${query.length}=${random.digits(random.int(4, 12))}`);
  return `${base}?${query.join('&')}`;
}

function maybeLongName(context: Context, base: string): string {
  return context.random.chance(context.longValues)
    ? `${base} ${longText(context, 200)}`
    : displayName(context, base);
}

// ---------------------------------------------------------------------------------------------------------
// OMA Client Provisioning

interface Napdef {
  napid: string;
  element: XmlElement;
}

function napAuthInfo(context: Context): XmlElement {
  const { random } = context;
  return characteristic('NAPAUTHINFO', [
    parm('AUTHTYPE', random.pick(NAP_AUTH_TYPES)),
    parm('AUTHNAME', userName(context)),
    parm('AUTHSECRET', secret(context)),
    ...maybe(context, 0.1, () => parm('AUTH-ENTITY', random.pick(['AAA', 'HA']))),
    ...maybe(context, 0.1, () => parm('SPI', random.digits(8))),
  ]);
}

function validity(context: Context): XmlElement {
  const { random } = context;
  return characteristic('VALIDITY', [
    parm('COUNTRY', context.operator.mcc),
    parm('NETWORK', context.operator.mnc),
    ...maybe(context, 0.2, () => parm('SID', random.digits(5))),
    ...maybe(context, 0.2, () => parm('SOC', random.digits(3))),
    ...maybe(context, 0.2, () => parm('VALIDUNTIL', String(random.int(3600, 31_536_000)))),
  ]);
}

function napdef(context: Context, index: number): Napdef {
  const { random } = context;
  const { bearer, addressType } = random.pick(BEARERS);
  const napid = random.pick([
    `NAP_${index}`,
    `${context.operator.slug.toUpperCase()}_${index}`,
    `INTERNET${index}`,
  ]);
  const address =
    addressType === 'APN'
      ? random.pick(['internet', 'wap', 'mms', host(context, 'web'), `${context.operator.slug}.gprs`])
      : addressType === 'E164'
        ? e164(context)
        : ipv4(context);
  const circuitSwitched = bearer === 'GSM-CSD';
  const children: XmlNode[] = [
    parm('NAPID', napid),
    parm('BEARER', bearer),
    parm('NAME', maybeLongName(context, random.pick(['Internet', 'WAP', 'MMS', 'Data']))),
    ...maybe(context, 0.3, () => parm('INTERNET')),
    parm('NAP-ADDRESS', address),
    parm('NAP-ADDRTYPE', addressType),
    ...maybe(context, 0.5, () => parm('DNS-ADDR', ipv4(context))),
    ...maybe(context, 0.2, () => parm('DNS-ADDR', ipv4(context))),
    ...maybe(context, 0.2, () => parm('LINGER', String(random.int(30, 600)))),
  ];
  if (circuitSwitched) {
    children.push(parm('CALLTYPE', random.pick(CALL_TYPES)));
    children.push(parm('LINKSPEED', random.pick(['9600', '14400', 'AUTOBAUDING'])));
    if (random.chance(0.5)) children.push(parm('T-BIT'));
    children.push(...maybe(context, 0.3, () => parm('MAX-NUM-RETRY', String(random.int(1, 9)))));
    children.push(...maybe(context, 0.3, () => parm('FIRST-RETRY-TIMEOUT', String(random.int(1, 30)))));
    children.push(...maybe(context, 0.3, () => parm('REREG-THRESHOLD', String(random.int(10, 60)))));
  } else if (random.chance(0.25)) {
    // UMTS QoS parameters (ProvCont NAPDEF), free-text numbers
    children.push(parm('TRAFFIC-CLASS', random.pick(['1', '2', '3', '4'])));
    children.push(parm('MAX-BITRATE-UPLINK', String(random.pick([64, 128, 384]))));
    children.push(parm('MAX-BITRATE-DNLINK', String(random.pick([384, 2048, 7200]))));
    children.push(...maybe(context, 0.5, () => parm('GUARANTEED-BITRATE-UPLINK', '32')));
    children.push(...maybe(context, 0.5, () => parm('GUARANTEED-BITRATE-DNLINK', '64')));
    children.push(...maybe(context, 0.5, () => parm('DELIVERY-ORDER', random.pick(['1', '2']))));
    children.push(...maybe(context, 0.5, () => parm('MAX-SDU-SIZE', '1500')));
    children.push(...maybe(context, 0.3, () => parm('RESIDUAL-BER', '1E-5')));
    children.push(...maybe(context, 0.3, () => parm('SDU-ERROR-RATIO', '1E-4')));
    children.push(...maybe(context, 0.3, () => parm('TRANSFER-DELAY', '100')));
    children.push(...maybe(context, 0.3, () => parm('TRAFFIC-HANDL-PRIO', '1')));
    children.push(...maybe(context, 0.3, () => parm('DELIVERY-ERR-SDU', '3')));
  }
  if (random.chance(0.15)) {
    children.push(parm('LOCAL-ADDR', ipv4(context)));
    children.push(parm('LOCAL-ADDRTYPE', 'IPV4'));
  }
  const authCount = random.pick([0, 1, 1, 1, 2]);
  for (let i = 0; i < authCount; i++) children.push(napAuthInfo(context));
  if (random.chance(0.2)) children.push(validity(context));
  return { napid, element: characteristic('NAPDEF', children) };
}

function port(context: Context, numberOnly = false): XmlElement {
  const { random } = context;
  const choice = random.pick(PORT_SERVICES);
  return characteristic('PORT', [
    parm('PORTNBR', choice.port),
    ...(numberOnly ? [] : maybe(context, 0.6, () => parm('SERVICE', choice.service))),
  ]);
}

function pxlogical(
  context: Context,
  index: number,
  napids: string[],
): { proxyId: string; element: XmlElement } {
  const { random } = context;
  const proxyId = random.chance(0.5) ? `PROXY_${index}` : host(context, `wap${index}`);
  const physicalCount = random.pick([1, 1, 1, 2]);
  const children: XmlNode[] = [
    parm('PROXY-ID', proxyId),
    ...maybe(context, 0.15, () => parm('PROXY-PW', secret(context))),
    ...maybe(context, 0.15, () => parm('PPGAUTH-TYPE', random.pick(PROXY_AUTH_TYPES))),
    ...maybe(context, 0.15, () => parm('PROXY-PROVIDER-ID', host(context, 'ppg'))),
    parm('NAME', maybeLongName(context, `${context.operator.name} WAP`)),
    ...maybe(context, 0.1, () => parm('DOMAIN', host(context, 'www'))),
    ...maybe(context, 0.1, () => parm('TRUST')),
    ...maybe(context, 0.1, () => parm('MASTER')),
    ...maybe(context, 0.7, () => parm('STARTPAGE', url(context, 'wap'))),
    ...maybe(context, 0.1, () => parm('BASAUTH-ID', userName(context))),
    ...maybe(context, 0.1, () => parm('BASAUTH-PW', secret(context))),
    ...maybe(context, 0.2, () => parm('WSP-VERSION', '1.2')),
    ...maybe(context, 0.2, () => parm('PUSHENABLED', random.pick(['0', '1']))),
    ...maybe(context, 0.2, () => parm('PULLENABLED', random.pick(['0', '1']))),
  ];
  if (random.chance(0.2)) {
    children.push(
      characteristic('PXAUTHINFO', [
        parm('PXAUTH-TYPE', random.pick(PROXY_AUTH_TYPES)),
        parm('PXAUTH-ID', userName(context)),
        ...maybe(context, 0.8, () => parm('PXAUTH-PW', secret(context))),
      ]),
    );
  }
  if (random.chance(0.2)) children.push(port(context));
  for (let i = 0; i < physicalCount; i++) {
    const addressType = random.pick(['IPV4', 'IPV4', 'IPV4', 'IPV6', 'E164', 'ALPHA']);
    const address =
      addressType === 'IPV4'
        ? ipv4(context)
        : addressType === 'IPV6'
          ? ipv6(context)
          : addressType === 'E164'
            ? e164(context)
            : host(context, 'proxy');
    const physical: XmlNode[] = [
      parm('PHYSICAL-PROXY-ID', `PX${index}_${i}`),
      ...maybe(context, 0.1, () => parm('DOMAIN', host(context, 'www'))),
      parm('PXADDR', address),
      parm('PXADDRTYPE', addressType),
      ...maybe(context, 0.15, () => parm('PXADDR-FQDN', host(context, 'proxy'))),
      ...maybe(context, 0.1, () => parm('WSP-VERSION', '1.2')),
      ...maybe(context, 0.1, () => parm('PUSHENABLED', '1')),
      ...maybe(context, 0.1, () => parm('PULLENABLED', '1')),
    ];
    for (const napid of random.sample(napids, random.int(1, Math.min(2, napids.length)))) {
      physical.push(parm('TO-NAPID', napid));
    }
    const portCount = random.pick([0, 1, 1, 2]);
    for (let p = 0; p < portCount; p++) physical.push(port(context));
    children.push(characteristic('PXPHYSICAL', physical));
  }
  return { proxyId, element: characteristic('PXLOGICAL', children) };
}

/** The connectivity reference of an application: a proxy when there is one, else a NAP (ProvCont). */
function connectivity(context: Context, napids: string[], proxyIds: string[]): XmlElement[] {
  const { random } = context;
  if (proxyIds.length > 0 && random.chance(0.75)) return [parm('TO-PROXY', random.pick(proxyIds))];
  return [parm('TO-NAPID', random.pick(napids))];
}

function appAuth(context: Context, level: 'APPSRV' | 'CLIENT' | undefined, withType: boolean): XmlElement {
  const { random } = context;
  return characteristic('APPAUTH', [
    ...(level ? [parm('AAUTHLEVEL', level)] : []),
    ...(withType
      ? [parm('AAUTHTYPE', random.pick(['BASIC', 'DIGEST', 'HMAC', 'HTTP-BASIC', 'HTTP-DIGEST']))]
      : []),
    parm('AAUTHNAME', level === 'APPSRV' ? host(context, 'dm') : userName(context)),
    parm('AAUTHSECRET', secret(context, 8, 20)),
    ...maybe(context, 0.5, () => parm('AAUTHDATA', Buffer.from(random.bytes(12)).toString('base64'))),
  ]);
}

function appAddr(context: Context, address: string, ports: string[], addressType?: string): XmlElement {
  return characteristic('APPADDR', [
    parm('ADDR', address),
    ...(addressType ? [parm('ADDRTYPE', addressType)] : []),
    ...ports.map((number) =>
      characteristic('PORT', [
        parm('PORTNBR', number),
        ...maybe(context, 0.3, () => parm('SERVICE', number)),
      ]),
    ),
  ]);
}

function application(
  context: Context,
  appId: (typeof APPLICATION_IDS)[number],
  napids: string[],
  proxyIds: string[],
) {
  const { random } = context;
  const operatorName = context.operator.name;
  switch (appId) {
    case 'w2': {
      const resources: XmlNode[] = [];
      const count = random.int(1, 3);
      for (let i = 0; i < count; i++) {
        resources.push(
          characteristic('RESOURCE', [
            parm(
              'URI',
              url(context, i === 0 ? 'wap' : random.pick(['news', 'sport', 'weather', 'shop']), `r${i}/`),
            ),
            parm('NAME', maybeLongName(context, i === 0 ? `${operatorName} Home` : random.pick(PLAIN_WORDS))),
            ...(i === 0 && random.chance(0.7) ? [parm('STARTPAGE')] : []),
            ...(random.chance(0.1)
              ? [
                  parm('AAUTHTYPE', 'HTTP-BASIC'),
                  parm('AAUTHNAME', userName(context)),
                  parm('AAUTHSECRET', secret(context)),
                ]
              : []),
          ]),
        );
      }
      return characteristic('APPLICATION', [
        parm('APPID', 'w2'),
        ...connectivity(context, napids, proxyIds),
        parm('NAME', displayName(context, `${operatorName} Browser`)),
        ...resources,
      ]);
    }
    case 'w4':
      return characteristic('APPLICATION', [
        parm('APPID', 'w4'),
        ...maybe(context, 0.7, () => parm('NAME', displayName(context, `${operatorName} MMS`))),
        ...connectivity(context, napids, proxyIds),
        parm('ADDR', url(context, 'mms', random.pick(['', 'mms', 'servlets/mms', 'mmsc']))),
        ...maybe(context, 0.1, () => parm('AACCEPT', 'application/vnd.wap.mms-message')),
      ]);
    case 'w7': {
      const server = host(context, 'dm');
      const viaAppAddr = random.chance(0.4);
      return characteristic('APPLICATION', [
        parm('APPID', 'w7'),
        parm('PROVIDER-ID', server),
        parm('NAME', displayName(context, `${operatorName} Device Management`)),
        ...(viaAppAddr
          ? [appAddr(context, `https://${server}/dm`, random.chance(0.5) ? ['443'] : [], 'URI')]
          : [parm('ADDR', `https://${server}:443/dm`)]),
        parm('TO-NAPID', random.pick(napids)),
        ...maybe(context, 0.4, () => parm('INIT')),
        ...maybe(context, 0.1, () => parm('ROLE', '4')),
        appAuth(context, 'APPSRV', random.chance(0.5)),
        appAuth(context, 'CLIENT', random.chance(0.5)),
      ]);
    }
    case '110':
    case '143':
    case '25': {
      const service = appId === '25' ? 'smtp' : appId === '110' ? 'pop' : 'imap';
      const ports = appId === '25' ? ['25', '465', '587'] : appId === '110' ? ['110', '995'] : ['143', '993'];
      return characteristic('APPLICATION', [
        parm('APPID', appId),
        parm('PROVIDER-ID', host(context, 'mail')),
        parm('NAME', displayName(context, `${operatorName} Mail`)),
        ...connectivity(context, napids, []),
        ...(appId === '25' && random.chance(0.5) ? [parm('FROM', `user@${host(context, 'mail')}`)] : []),
        appAddr(
          context,
          host(context, service),
          [random.pick(ports)],
          random.chance(0.3) ? 'FQDN' : undefined,
        ),
        appAuth(context, undefined, false),
      ]);
    }
  }
}

function access(context: Context, napids: string[], proxyIds: string[]): XmlElement {
  const { random } = context;
  if (random.chance(0.3)) return characteristic('ACCESS', []);
  // ACCESS is a page-0 characteristic whose parms RULE and APPID are page-1 tokens: a code-page mix.
  return characteristic('ACCESS', [
    ...maybe(context, 0.5, () => parm('RULE', `r${random.int(1, 9)}`)),
    parm('APPID', random.pick(['w2', 'w4'])),
    ...maybe(context, 0.5, () => parm('PORTNBR', '9201')),
    ...maybe(context, 0.3, () => parm('DOMAIN', host(context, 'www'))),
    ...(proxyIds.length > 0 && random.chance(0.5)
      ? [parm('TO-PROXY', random.pick(proxyIds))]
      : [parm('TO-NAPID', random.pick(napids))]),
  ]);
}

export function randomProvisioningDocument(random: SeededRandom, options: DocumentOptions = {}): XmlElement {
  const context = makeContext(random, options);
  const children: XmlNode[] = [];
  if (random.chance(0.7)) {
    children.push(
      characteristic('BOOTSTRAP', [
        parm('NAME', context.operator.name),
        ...maybe(context, 0.3, () => parm('NETWORK', context.operator.mnc)),
        ...maybe(context, 0.3, () => parm('COUNTRY', context.operator.mcc)),
        ...maybe(context, 0.1, () => parm('PROVURL', url(context, 'prov'))),
        ...maybe(context, 0.1, () => parm('CONTEXT-ALLOW', String(random.int(1, 5)))),
      ]),
    );
  }
  const napdefs: Napdef[] = [];
  const napCount = random.pick([1, 1, 2, 2, 3]);
  for (let i = 0; i < napCount; i++) napdefs.push(napdef(context, i));
  const napids = napdefs.map((nap) => nap.napid);
  const proxies: Array<{ proxyId: string; element: XmlElement }> = [];
  const proxyCount = random.pick([0, 1, 1, 1, 2]);
  for (let i = 0; i < proxyCount; i++) proxies.push(pxlogical(context, i, napids));
  const proxyIds = proxies.map((proxy) => proxy.proxyId);
  if (proxies.length > 0 && children.length > 0 && random.chance(0.5)) {
    (children[0] as XmlElement).children.push(parm('PROXY-ID', proxyIds[0]));
  }
  // Operators order characteristics differently; both orders are common.
  const napElements = napdefs.map((nap) => nap.element);
  const proxyElements = proxies.map((proxy) => proxy.element);
  children.push(
    ...(random.chance(0.5) ? [...napElements, ...proxyElements] : [...proxyElements, ...napElements]),
  );

  const appIds = random.sample(APPLICATION_IDS, random.pick([0, 1, 2, 2, 3, 4]));
  for (const appId of appIds) children.push(application(context, appId, napids, proxyIds));
  if (random.chance(0.15))
    children.push(characteristic('CLIENTIDENTITY', [parm('CLIENT-ID', random.digits(15))]));
  if (random.chance(0.15)) {
    // Vendor parms have no tokens: encoded as literal names (docs/protocol.md §2.5, last bullet).
    children.push(
      characteristic('VENDORCONFIG', [
        parm('NAME', random.pick(['NOKIA', 'SonyEricsson', 'Samsung'])),
        parm(
          random.pick(['BROWSER-MODE', 'X-SETTING', 'CACHE-SIZE']),
          random.pick(['on', '1', displayName(context, 'x')]),
        ),
      ]),
    );
  }
  if (random.chance(0.15)) children.push(access(context, napids, proxyIds));
  if (random.chance(0.05)) {
    // A characteristic type without a token (docs/protocol.md §2.7: Kannel-only types are sent literally).
    children.push(characteristic('BEARERINFO', [parm('NAME', 'literal type')]));
  }
  const version = random.next();
  return el(
    'wap-provisioningdoc',
    version < 0.9 ? [['version', '1.0']] : version < 0.95 ? [['version', '1.1']] : [],
    children,
  );
}

// ---------------------------------------------------------------------------------------------------------
// SI and SL

/** `YYYY-MM-DDThh:mm:ssZ` (the %Datetime form, docs/protocol.md §8.3); often with zero seconds/time to exercise the trailing-zero trim. */
function datetime(context: Context, base?: Date): Date {
  const { random } = context;
  const start = base
    ? base.getTime()
    : Date.UTC(random.int(1999, 2035), random.int(0, 11), random.int(1, 28));
  const shape = random.next();
  let offset: number;
  if (shape < 0.3)
    offset = random.int(0, 30) * 86_400_000; // midnight
  else if (shape < 0.6)
    offset = random.int(0, 30 * 24) * 3_600_000; // whole hours
  else offset = random.int(0, 30 * 86_400) * 1000;
  return new Date(start + (base ? 86_400_000 : 0) + offset);
}

const formatDatetime = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

/** An href that exercises the SI/SL prefix tokens and the .com/ .net/ .org/ .edu/ value tokens mid-URL. */
function pushHref(context: Context): string {
  const { random } = context;
  const scheme = random.pick(['http://', 'https://', 'http://www.', 'https://www.', 'http://', 'rtsp://']);
  const domain = random.pick([
    'example.com',
    'example.net',
    'example.org',
    'example.edu',
    'example',
    'shop.example.com',
  ]);
  const path = random.pick([
    '',
    'news',
    'dl/app.jad',
    'a.com/b',
    'offers/today.net/x',
    `x?id=${random.digits(6)}`,
  ]);
  const href = `${scheme}${random.pick(['wap', 'm', 'portal'])}.${context.operator.slug}.${domain}/${path}`;
  return random.chance(context.longValues)
    ? `${href}${href.includes('?') ? '&' : '?'}q=${random.digits(200)}`
    : href;
}

function messageText(context: Context): string {
  const { random } = context;
  if (random.chance(context.longValues)) return longText(context, 200);
  const base = random.pick([
    'New settings are available',
    'Your bill is ready',
    'Update your browser settings',
    'Download the new app',
    'You have a new voicemail',
  ]);
  return displayName(context, base);
}

export function randomServiceIndication(random: SeededRandom, options: DocumentOptions = {}): XmlElement {
  const context = makeContext(random, options);
  const attributes: Array<[string, string]> = [];
  const deletion = random.chance(0.1);
  if (!deletion || random.chance(0.5)) attributes.push(['href', pushHref(context)]);
  if (deletion || random.chance(0.7))
    attributes.push([
      'si-id',
      random.pick([`${random.int(1, 9999)}`, `id${random.digits(4)}@${host(context, 'push')}`]),
    ]);
  const created = datetime(context);
  if (random.chance(0.6)) attributes.push(['created', formatDatetime(created)]);
  if (random.chance(0.4)) attributes.push(['si-expires', formatDatetime(datetime(context, created))]);
  if (deletion) attributes.push(['action', 'delete']);
  else if (random.chance(0.7))
    attributes.push(['action', random.pick(['signal-none', 'signal-low', 'signal-medium', 'signal-high'])]);
  const ordered = random.chance(0.5) ? attributes : random.shuffle(attributes);
  const indication = el('indication', ordered, deletion && random.chance(0.5) ? [] : [messageText(context)]);
  const children: XmlNode[] = [indication];
  if (random.chance(0.15)) {
    const items = Array.from({ length: random.int(1, 2) }, () =>
      el('item', [['class', random.pick(['promo', 'billing', 'x-operator'])]], [messageText(context)]),
    );
    children.push(el('info', [], items));
  }
  return el('si', [], children);
}

export function randomServiceLoading(random: SeededRandom, options: DocumentOptions = {}): XmlElement {
  const context = makeContext(random, options);
  const attributes: Array<[string, string]> = [['href', pushHref(context)]];
  if (random.chance(0.7)) attributes.push(['action', random.pick(['execute-low', 'execute-high', 'cache'])]);
  return el('sl', random.chance(0.8) ? attributes : random.shuffle(attributes), []);
}

// ---------------------------------------------------------------------------------------------------------
// Nokia/Ericsson OTA 7.0 (docs/protocol.md §7): upper-case names, values within the Kannel-documented length limits.

const nokiaParm = (name: string, value: string): XmlElement =>
  el('PARM', [
    ['NAME', name],
    ['VALUE', value],
  ]);
const nokiaCharacteristic = (type: string, children: XmlNode[], value?: string): XmlElement =>
  el(
    'CHARACTERISTIC',
    value === undefined
      ? [['TYPE', type]]
      : [
          ['TYPE', type],
          ['VALUE', value],
        ],
    children,
  );

/** Limit a value to `max` UTF-16 units without splitting a surrogate pair. */
function clip(value: string, max: number): string {
  let out = '';
  for (const character of value) {
    if (out.length + character.length > max) break;
    out += character;
  }
  return out;
}

function nokiaAddress(context: Context): XmlElement {
  const { random } = context;
  const bearer = random.pick(['GPRS', 'GPRS', 'GPRS', 'GSM/CSD', 'GSM/SMS', 'GSM/USSD', 'IS-136/CSD']);
  const children: XmlNode[] = [nokiaParm('BEARER', bearer)];
  if (bearer === 'GSM/SMS') {
    children.push(nokiaParm('PROXY', e164(context)), nokiaParm('PROXY_TYPE', 'MSISDN_NO'));
    children.push(nokiaParm('SMS_SMSC_ADDRESS', e164(context)));
  } else if (bearer === 'GSM/USSD') {
    children.push(nokiaParm('PROXY', random.chance(0.5) ? ipv4(context) : `*${random.digits(3)}#`));
    children.push(nokiaParm('PROXY_TYPE', random.pick(['IPV4', 'MSISDN_NO'])));
    children.push(nokiaParm('USSD_SERVICE_CODE', `*${random.digits(3)}#`));
  } else {
    children.push(nokiaParm('PROXY', ipv4(context)));
    children.push(nokiaParm('PORT', random.pick(['9200', '9201', '9202', '9203'])));
    if (bearer === 'GPRS') {
      children.push(
        nokiaParm('GPRS_ACCESSPOINTNAME', clip(random.pick(['internet', 'wap', host(context, 'wap')]), 100)),
      );
    } else {
      children.push(nokiaParm('CSD_DIALSTRING', clip(e164(context), 21)));
      children.push(nokiaParm('CSD_CALLTYPE', random.pick(['ANALOGUE', 'ISDN'])));
      children.push(
        nokiaParm(
          'CSD_CALLSPEED',
          random.pick(['AUTO', '9600', '14400', '19200', '28800', '38400', '43200', '57600']),
        ),
      );
      children.push(
        ...maybe(context, 0.3, () => nokiaParm('ISP_NAME', clip(displayName(context, 'ISP'), 20))),
      );
    }
    if (random.chance(0.6)) {
      children.push(nokiaParm('PPP_AUTHTYPE', random.pick(['PAP', 'CHAP', 'MS_CHAP'])));
      children.push(nokiaParm('PPP_LOGINTYPE', random.pick(['AUTOMATIC', 'MANUAL'])));
      children.push(nokiaParm('PPP_AUTHNAME', clip(userName(context), 32)));
      children.push(nokiaParm('PPP_AUTHSECRET', clip(secret(context), 20)));
    }
    if (random.chance(0.15)) {
      children.push(nokiaParm('PROXY_AUTHNAME', clip(userName(context), 32)));
      children.push(nokiaParm('PROXY_AUTHSECRET', clip(secret(context), 20)));
      children.push(nokiaParm('PROXY_LOGINTYPE', random.pick(['AUTOMATIC', 'MANUAL'])));
    }
  }
  return nokiaCharacteristic('ADDRESS', random.chance(0.8) ? children : random.shuffle(children));
}

function nokiaBookmark(context: Context): XmlElement {
  const { random } = context;
  return nokiaCharacteristic('BOOKMARK', [
    nokiaParm('NAME', clip(displayName(context, random.pick(PLAIN_WORDS)), 50)),
    nokiaParm('URL', clip(url(context, random.pick(['news', 'wap', 'sport'])), 255)),
  ]);
}

export function randomNokiaOtaDocument(random: SeededRandom, options: DocumentOptions = {}): XmlElement {
  const context = makeContext(random, options);
  if (random.chance(0.2)) {
    // A bookmarks-only document (sent with the bookmarks content type).
    return el(
      'CHARACTERISTIC-LIST',
      [],
      Array.from({ length: random.int(1, 4) }, () => nokiaBookmark(context)),
    );
  }
  const children: XmlNode[] = [nokiaAddress(context)];
  if (random.chance(0.85)) children.push(nokiaCharacteristic('URL', [], clip(url(context, 'wap'), 100)));
  if (random.chance(0.4))
    children.push(nokiaCharacteristic('MMSURL', [], clip(url(context, 'mms', 'mms'), 100)));
  children.push(nokiaCharacteristic('NAME', [nokiaParm('NAME', clip(context.operator.name, 20))]));
  const bookmarks = random.pick([0, 0, 1, 2]);
  for (let i = 0; i < bookmarks; i++) children.push(nokiaBookmark(context));
  if (random.chance(0.2))
    children.push(nokiaCharacteristic('ID', [nokiaParm('NAME', random.stringFrom('ABCDEFGH0123456789', 8))]));
  return el('CHARACTERISTIC-LIST', [], children);
}

// ---------------------------------------------------------------------------------------------------------

function makeContext(random: SeededRandom, options: DocumentOptions): Context {
  const richText = options.richText ?? 0.3;
  const slug = random.pick(SLUGS);
  const operator: Operator = {
    name: random.chance(richText) ? random.pick(RICH_OPERATOR_NAMES) : random.pick(PLAIN_OPERATOR_NAMES),
    slug,
    domain: random.pick(DOMAINS),
    mcc: random.pick(['234', '262', '208', '244', '466', '310']),
    mnc: random.pick(['01', '02', '10', '15', '92', '260']),
  };
  return { random, richText, longValues: options.longValues ?? 0.1, operator };
}

export function randomDocument(
  random: SeededRandom,
  type: GeneratedDocumentType,
  options: DocumentOptions = {},
): XmlElement {
  switch (type) {
    case 'prov':
      return randomProvisioningDocument(random, options);
    case 'si':
      return randomServiceIndication(random, options);
    case 'sl':
      return randomServiceLoading(random, options);
    case 'nokia-ota':
      return randomNokiaOtaDocument(random, options);
  }
}
