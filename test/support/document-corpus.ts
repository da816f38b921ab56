/**
 * A fixed corpus of documents for cross-checks and round trips: the reference documents of test/fixtures/, the
 * public vectors' XML, the SI/SL example of docs/protocol.md §8.4, hand-written edge cases, a document that uses every OMA CP
 * value token in the parm it belongs to, and seeded random documents of every type.
 */
import { el, type XmlElement, type XmlNode } from '../../codecs/xml/element.ts';
import { GENERATED_DOCUMENT_TYPES, randomDocument, type GeneratedDocumentType } from './random-documents.ts';
import { SeededRandom } from './seeded-random.ts';
import { cpTables, publicVectors, readFixture } from './fixtures.ts';
import { toXmlText } from './xml-text.ts';

export interface CorpusDocument {
  name: string;
  type: GeneratedDocumentType;
  /** the XML text as a sender would write it */
  xml: string;
}

const TYPE_BY_ROOT: Record<string, GeneratedDocumentType> = {
  'wap-provisioningdoc': 'prov',
  si: 'si',
  sl: 'sl',
  'CHARACTERISTIC-LIST': 'nokia-ota',
};

function typeOfXml(xml: string): GeneratedDocumentType {
  const root = /<([A-Za-z][\w.-]*)[\s/>]/.exec(xml.replace(/<[?!][^>]*>/g, ''))?.[1] ?? '';
  const type = TYPE_BY_ROOT[root];
  if (!type) throw new Error(`corpus document with unknown root <${root}>`);
  return type;
}

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

const VALUELESS_PARMS = new Set(['T-BIT', 'INTERNET', 'TRUST', 'MASTER', 'STARTPAGE']);

/**
 * Every OMA CP ATTRSTART token of test/fixtures/tables/oma_cp.json (docs/protocol.md §2.2, §2.3): a characteristic of every type,
 * holding (round robin) a parm of every name — page-1 names in the page-1 characteristics, page-0 names in
 * the others — with a plain value, or none for the flags (T-BIT, INTERNET, TRUST, MASTER, STARTPAGE).
 */
export function everyCpNameTokenDocument(): XmlElement {
  const tables = cpTables();
  const valuesOf = (page: string, attribute: string): string[] =>
    Object.values(tables.attrStart[page])
      .filter((start) => start.name === attribute && start.value !== undefined)
      .map((start) => start.value!);
  const page1Types = valuesOf('1', 'type').filter((type) => !valuesOf('0', 'type').includes(type));
  const page0Types = valuesOf('0', 'type');
  const page1Names = valuesOf('1', 'name').filter((name) => !valuesOf('0', 'name').includes(name));
  const page0Names = valuesOf('0', 'name');
  const group = (types: string[], names: string[]): XmlElement[] =>
    types.map((type, t) =>
      characteristic(
        type,
        names
          .filter((_, n) => n % types.length === t)
          .map((name, n) =>
            VALUELESS_PARMS.has(name) ? parm(name) : parm(name, `${name.toLowerCase()}-${n}`),
          ),
      ),
    );
  return el(
    'wap-provisioningdoc',
    [['version', '1.0']],
    [...group(page0Types, page0Names), ...group(page1Types, page1Names)],
  );
}

/**
 * Every OMA CP ATTRVALUE token of test/fixtures/tables/oma_cp.json (docs/protocol.md §2.4), each in a parm where it makes sense:
 * bearers in NAPDEF BEARER, address types in NAP-ADDRTYPE/ADDRTYPE, call types in CALLTYPE, PAP/CHAP/MD5 in
 * AUTHTYPE, proxy auth types in PXAUTH-TYPE, services in PORT SERVICE, AAA/HA in AUTH-ENTITY, APPSRV/OBEX
 * in AAUTHLEVEL and the page-1 AAUTHTYPE fragments in a combined AAUTHTYPE.
 */
export function everyCpValueTokenDocument(): XmlElement {
  const page0 = Object.values(cpTables().attrValue['0']);
  const addressTypes = ['IPV4', 'IPV6', 'E164', 'ALPHA', 'APN', 'SCODE', 'TETRA-ITSI', 'MAN'];
  const callTypes = [
    'ANALOG-MODEM',
    'V.120',
    'V.110',
    'X.31',
    'BIT-TRANSPARENT',
    'DIRECT-ASYNCHRONOUS-DATA-SERVICE',
  ];
  const napAuth = ['PAP', 'CHAP', 'MD5'];
  const proxyAuth = ['HTTP-BASIC', 'HTTP-DIGEST', 'WTLS-SS'];
  const services = page0.filter((value) => /WSP|WTA|OTA-HTTP/.test(value));
  const bearers = page0.filter(
    (value) =>
      ![
        ...addressTypes,
        ...callTypes,
        ...napAuth,
        ...proxyAuth,
        ...services,
        'AUTOBAUDING',
        'AAA',
        'HA',
      ].includes(value),
  );
  const napdefs = bearers.map((bearer, i) =>
    characteristic('NAPDEF', [
      parm('NAPID', `NAP${i}`),
      parm('BEARER', bearer),
      parm('NAME', `${bearer} access`),
      parm('NAP-ADDRESS', `addr${i}`),
      parm('NAP-ADDRTYPE', addressTypes[i % addressTypes.length]),
      parm('CALLTYPE', callTypes[i % callTypes.length]),
      parm('LINKSPEED', i % 2 === 0 ? 'AUTOBAUDING' : '9600'),
      characteristic('NAPAUTHINFO', [
        parm('AUTHTYPE', napAuth[i % napAuth.length]),
        parm('AUTHNAME', 'user'),
        parm('AUTH-ENTITY', i % 2 === 0 ? 'AAA' : 'HA'),
      ]),
    ]),
  );
  const proxy = characteristic('PXLOGICAL', [
    parm('PROXY-ID', 'PX'),
    parm('NAME', 'Proxy'),
    ...proxyAuth.map((type) =>
      characteristic('PXAUTHINFO', [parm('PXAUTH-TYPE', type), parm('PXAUTH-ID', 'px')]),
    ),
    characteristic('PXPHYSICAL', [
      parm('PHYSICAL-PROXY-ID', 'PX1'),
      parm('PXADDR', '192.0.2.1'),
      parm('PXADDRTYPE', 'IPV4'),
      parm('TO-NAPID', 'NAP0'),
      ...services.map((service, i) =>
        characteristic('PORT', [parm('PORTNBR', String(9200 + i)), parm('SERVICE', service)]),
      ),
    ]),
  ]);
  const application = characteristic('APPLICATION', [
    parm('APPID', 'w7'),
    parm('PROVIDER-ID', 'dm.example'),
    parm('TO-NAPID', 'NAP0'),
    ...['IPV4', 'IPV6', 'E164', 'ALPHA'].map((type) =>
      characteristic('APPADDR', [parm('ADDR', `${type.toLowerCase()}-address`), parm('ADDRTYPE', type)]),
    ),
    characteristic('APPAUTH', [parm('AAUTHLEVEL', 'APPSRV'), parm('AAUTHTYPE', 'HTTP-BASIC,HTTP-DIGEST')]),
    characteristic('APPAUTH', [parm('AAUTHLEVEL', 'OBEX'), parm('AAUTHTYPE', 'DIGEST')]),
    characteristic('APPAUTH', [parm('AAUTHLEVEL', 'CLIENT'), parm('AAUTHTYPE', 'BASIC')]),
  ]);
  return el('wap-provisioningdoc', [['version', '1.0']], [...napdefs, proxy, application]);
}

/** Hand-written edge cases; each says what it exercises. */
function edgeCases(): Array<{ name: string; root: XmlElement }> {
  const special = `AT&T <"Business"> 'quoted' & more`;
  const longValue = `http://portal.example.com/${'x'.repeat(300)}?q=${'é'.repeat(50)}`;
  return [
    {
      name: 'prov: xml-special characters in every attribute',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [
          characteristic('BOOTSTRAP', [parm('NAME', special)]),
          characteristic('NAPDEF', [
            parm('NAPID', 'N&1'),
            parm('BEARER', 'GSM-GPRS'),
            parm('NAME', special),
            parm('NAP-ADDRESS', 'apn<1>'),
            parm('NAP-ADDRTYPE', 'APN'),
            characteristic('NAPAUTHINFO', [
              parm('AUTHTYPE', 'PAP'),
              parm('AUTHNAME', '"user"'),
              parm('AUTHSECRET', `p&ss'w<o>rd"`),
            ]),
          ]),
        ],
      ),
    },
    {
      name: 'prov: non-ASCII in every script, 4-byte emoji',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [
          characteristic('BOOTSTRAP', [parm('NAME', 'Télécom Süd МегаСвязь 中国移动 😀📶')]),
          characteristic('NAPDEF', [
            parm('NAPID', 'NAP_ü'),
            parm('BEARER', 'GSM-GPRS'),
            parm('NAME', 'Интернет 門戶 ヤマト 한국 שלום Ελληνικά'),
            parm('NAP-ADDRESS', 'internet'),
            parm('NAP-ADDRTYPE', 'APN'),
          ]),
        ],
      ),
    },
    {
      name: 'prov: 300+ character values on both code pages',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [
          characteristic('NAPDEF', [
            parm('NAPID', 'N'),
            parm('BEARER', 'GSM-GPRS'),
            parm('NAME', 'n'.repeat(400)),
          ]),
          characteristic('PXLOGICAL', [
            parm('PROXY-ID', 'P'),
            parm('STARTPAGE', longValue),
            characteristic('PXPHYSICAL', [
              parm('PXADDR', '10.0.0.1'),
              parm('PXADDRTYPE', 'IPV4'),
              parm('TO-NAPID', 'N'),
            ]),
          ]),
          characteristic('APPLICATION', [
            parm('APPID', 'w2'),
            parm('TO-PROXY', 'P'),
            characteristic('RESOURCE', [
              parm('URI', longValue),
              parm('NAME', 'Ü'.repeat(250)),
              parm('STARTPAGE'),
            ]),
          ]),
        ],
      ),
    },
    {
      name: 'prov: valueless parms, empty characteristics, literal names and types, version 1.1',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.1']],
        [
          characteristic('NAPDEF', [
            parm('NAPID', 'CSD'),
            parm('BEARER', 'GSM-CSD'),
            parm('INTERNET'),
            parm('NAP-ADDRESS', '+35808124002'),
            parm('NAP-ADDRTYPE', 'E164'),
            parm('T-BIT'),
          ]),
          characteristic('PXLOGICAL', [
            parm('PROXY-ID', 'P'),
            parm('TRUST'),
            parm('MASTER'),
            characteristic('PXPHYSICAL', []),
          ]),
          characteristic('APPLICATION', [
            parm('APPID', 'w7'),
            parm('INIT'),
            parm('ROLE', '4'),
            parm('APPREF', 'dm'),
          ]),
          characteristic('VENDORCONFIG', [parm('NAME', 'NOKIA'), parm('X-VENDOR-SETTING', 'on')]),
          characteristic('WLAN', [parm('PRI-SSID', 'Kannel-only type sent literally')]),
          characteristic('ACCESS', []),
        ],
      ),
    },
    {
      name: 'prov: ACCESS mixes page-0 and page-1 parms; IPV4 on page 1',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [
          characteristic('APPLICATION', [
            parm('APPID', 'w4'),
            parm('ADDR', 'http://mms.example/'),
            characteristic('APPADDR', [parm('ADDR', '192.0.2.7'), parm('ADDRTYPE', 'IPV4')]),
          ]),
          characteristic('ACCESS', [
            parm('RULE', 'r1'),
            parm('APPID', 'w4'),
            parm('PORTNBR', '80'),
            parm('TO-NAPID', 'N'),
          ]),
          characteristic('NAPDEF', [
            parm('NAPID', 'N'),
            parm('BEARER', 'GSM-GPRS'),
            parm('NAP-ADDRTYPE', 'IPV4'),
          ]),
        ],
      ),
    },
    {
      name: 'prov: tab and newline inside attribute values',
      root: el(
        'wap-provisioningdoc',
        [['version', '1.0']],
        [characteristic('BOOTSTRAP', [parm('NAME', 'line one\nline two\tcolumn')])],
      ),
    },
    {
      name: 'si: every href prefix and value token, text with special characters',
      root: el(
        'si',
        [],
        [
          el(
            'indication',
            [
              ['href', 'https://www.shop.example.org/a.com/b.net/c.edu/d'],
              ['si-id', 'promo-1'],
              ['created', '1999-06-25T15:23:15Z'],
              ['si-expires', '2030-01-01T00:00:00Z'],
              ['action', 'signal-high'],
            ],
            [`Sale! 50% off <today> & "tomorrow" — ¡Olé! 😀`],
          ),
          el(
            'info',
            [],
            [el('item', [['class', 'promo']], ['first']), el('item', [['class', 'x']], ['second'])],
          ),
        ],
      ),
    },
    {
      name: 'si: delete by si-id, no text',
      root: el(
        'si',
        [],
        [
          el(
            'indication',
            [
              ['si-id', 'promo-1'],
              ['action', 'delete'],
            ],
            [],
          ),
        ],
      ),
    },
    {
      name: 'sl: https://www. prefix with .com/ mid-URL and cache action',
      root: el(
        'sl',
        [
          ['href', 'https://www.example.com/dl/app.com/x.jad'],
          ['action', 'cache'],
        ],
        [],
      ),
    },
    {
      name: 'nokia-ota: CSD settings with every parm',
      root: el(
        'CHARACTERISTIC-LIST',
        [],
        [
          el(
            'CHARACTERISTIC',
            [['TYPE', 'ADDRESS']],
            [
              ...(
                [
                  ['BEARER', 'GSM/CSD'],
                  ['PROXY', '10.11.12.13'],
                  ['PORT', '9203'],
                  ['PROXY_TYPE', 'IPV4'],
                  ['CSD_DIALSTRING', '+441234567890'],
                  ['CSD_CALLTYPE', 'ISDN'],
                  ['CSD_CALLSPEED', '9600'],
                  ['PPP_AUTHTYPE', 'MS_CHAP'],
                  ['PPP_LOGINTYPE', 'MANUAL'],
                  ['PPP_AUTHNAME', 'wap'],
                  ['PPP_AUTHSECRET', 'wap&<>"'],
                  ['PROXY_AUTHNAME', 'px'],
                  ['PROXY_AUTHSECRET', 'pxpw'],
                  ['PROXY_LOGINTYPE', 'AUTOMATIC'],
                  ['ISP_NAME', 'Señal ISP'],
                ] as Array<[string, string]>
              ).map(([name, value]) =>
                el('PARM', [
                  ['NAME', name],
                  ['VALUE', value],
                ]),
              ),
            ],
          ),
          el('CHARACTERISTIC', [
            ['TYPE', 'URL'],
            ['VALUE', 'http://wap.example.com/'],
          ]),
          el('CHARACTERISTIC', [
            ['TYPE', 'MMSURL'],
            ['VALUE', 'http://mms.example.com/'],
          ]),
          el(
            'CHARACTERISTIC',
            [['TYPE', 'NAME']],
            [
              el('PARM', [
                ['NAME', 'NAME'],
                ['VALUE', 'Télécom WAP'],
              ]),
            ],
          ),
          el(
            'CHARACTERISTIC',
            [['TYPE', 'ID']],
            [
              el('PARM', [
                ['NAME', 'NAME'],
                ['VALUE', 'OP12345'],
              ]),
            ],
          ),
        ],
      ),
    },
  ];
}

export interface CorpusOptions {
  /** random documents per type (default 20) */
  randomPerType?: number;
  seed?: number;
}

export function documentCorpus(options: CorpusOptions = {}): CorpusDocument[] {
  const corpus: CorpusDocument[] = [];
  for (const name of ['reference-cp.xml', 'typical-cp.xml']) {
    const xml = readFixture(name);
    corpus.push({ name: `fixture ${name}`, type: typeOfXml(xml), xml });
  }
  for (const vector of publicVectors()) {
    if (vector.xml)
      corpus.push({ name: `public vector ${vector.name}`, type: typeOfXml(vector.xml), xml: vector.xml });
  }
  corpus.push({
    name: 'docs/protocol.md §8.4 SI example',
    type: 'si',
    xml: '<si><indication href="http://www.example.com/news" si-id="id1" action="signal-medium" created="2024-01-15T10:30:00Z">Hello</indication></si>',
  });
  corpus.push({
    name: 'every OMA CP value token',
    type: 'prov',
    xml: toXmlText(everyCpValueTokenDocument(), { declaration: true, doctype: true, indent: true }),
  });
  corpus.push({
    name: 'every OMA CP name and type token',
    type: 'prov',
    xml: toXmlText(everyCpNameTokenDocument(), { declaration: true }),
  });
  for (const { name, root } of edgeCases()) {
    corpus.push({ name, type: TYPE_BY_ROOT[root.name], xml: toXmlText(root, { declaration: true }) });
  }
  const random = new SeededRandom(options.seed ?? 20_241_115);
  const perType = options.randomPerType ?? 20;
  for (let i = 0; i < perType; i++) {
    for (const type of GENERATED_DOCUMENT_TYPES) {
      // Every other document is rich: non-ASCII and XML-special text in most free-text values, long values often.
      const rich = i % 2 === 1;
      const root = randomDocument(random, type, rich ? { richText: 0.8, longValues: 0.4 } : {});
      const xml = toXmlText(root, { declaration: i % 3 === 0, doctype: i % 4 === 0, indent: i % 5 === 0 });
      corpus.push({ name: `random ${type} #${i}${rich ? ' (rich)' : ''}`, type, xml });
    }
  }
  return corpus;
}

/**
 * Every distinct attribute value and text of a tree (of 2+ characters), for an explicit WBXML string table:
 * makes an encoder send nearly everything as STR_T, which 'auto' only does when it saves bytes.
 */
export function allStrings(root: XmlElement): string[] {
  const strings = new Set<string>();
  const walk = (element: XmlElement): void => {
    for (const [, value] of element.attributes) if (value.length >= 2) strings.add(value);
    for (const child of element.children) {
      if (typeof child === 'string') {
        if (child.trim().length >= 2) strings.add(child);
      } else walk(child);
    }
  };
  walk(root);
  return [...strings];
}
