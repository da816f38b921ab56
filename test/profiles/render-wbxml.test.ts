/**
 * Rendered documents are valid for the wire: every one encodes with our WBXML vocabularies and decodes back
 * to the same tree; libwbxml (an independent PROV / Nokia OTA implementation, Debian libwbxml2-utils) reads
 * our bytes and writes bytes our decoder reads, both giving the same tree; and every parm name,
 * characteristic type and enumerated value the renderer writes is one the vocabulary has a token for (a
 * misspelt name would silently go out as a string no handset knows).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeWbxml } from '../../codecs/wbxml/decode-wbxml.ts';
import { encodeWbxml } from '../../codecs/wbxml/encode-wbxml.ts';
import { vocabularyFor } from '../../codecs/wbxml/vocabularies/index.ts';
import type { Vocabulary } from '../../codecs/wbxml/vocabulary.ts';
import { attribute, isElement, type XmlElement } from '../../codecs/xml/element.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { serializeXml } from '../../codecs/xml/serialize-xml.ts';
import { renderProfile, type RenderTarget } from '../../src/profiles/render.ts';
import { parseProfileParameters, type ProfileParameters } from '../../src/profiles/schema.ts';
import {
  findLibwbxml,
  libwbxmlDecode,
  libwbxmlEncode,
  LIBWBXML_MISSING_MESSAGE,
  SKIP_LIBWBXML_ENV,
} from '../support/libwbxml.ts';
import { readFixture } from '../support/fixtures.ts';
import { treeDifference } from '../support/tree-compare.ts';
import { fullParameters, fullParametersWith, typicalParameters } from './sample-parameters.ts';

interface Rendered {
  label: string;
  root: XmlElement;
  vocabulary: Vocabulary;
  nokia: boolean;
}

const csdParameters = (): ProfileParameters =>
  parseProfileParameters({
    name: 'Dial-up WAP',
    connections: [
      {
        id: 'CSD1',
        bearer: 'CSD',
        dialString: '+4930123456',
        callType: 'ANALOGUE',
        callSpeed: 'AUTO',
        auth: { type: 'PAP', user: 'wap', password: 'wap' },
      },
    ],
    proxies: [{ id: 'WAP', address: '192.0.2.11', port: 9200, service: 'CL-WSP' }],
    browser: { homePage: 'http://wap.example/', bookmarks: [{ name: 'Home', url: 'http://wap.example/' }] },
  });

function renderedCorpus(): Rendered[] {
  const sets: Array<[string, ProfileParameters]> = [
    ['typical', typicalParameters()],
    ['full', fullParameters()],
    ['csd', csdParameters()],
    [
      'dm with port, IMAP over SSL',
      fullParametersWith((input) => {
        input.dm.port = 8443;
        input.email.incoming = { protocol: 'IMAP4', host: 'imap.northwind.example', ssl: true };
      }),
    ],
  ];
  const targets: Array<[string, RenderTarget]> = [
    ['oma-cp', { format: 'oma-cp' }],
    [
      'oma-cp without mms/email',
      { format: 'oma-cp', capabilities: { supportsMms: false, supportsEmail: false } },
    ],
    ['nokia-ota', { format: 'nokia-ota' }],
  ];
  const corpus: Rendered[] = [];
  for (const [setLabel, parameters] of sets) {
    for (const [targetLabel, target] of targets) {
      const nokia = target.format === 'nokia-ota';
      corpus.push({
        label: `${setLabel} / ${targetLabel}`,
        root: renderProfile(parameters, target).root,
        vocabulary: vocabularyFor(nokia ? 'nokia-ota' : 'prov'),
        nokia,
      });
    }
  }
  const raw = parseProfileParameters({ name: 'Raw', rawOmaCp: readFixture('reference-cp.xml') });
  corpus.push({
    label: 'raw reference-cp / oma-cp',
    root: renderProfile(raw, { format: 'oma-cp' }).root,
    vocabulary: vocabularyFor('prov'),
    nokia: false,
  });
  return corpus;
}

const corpus = renderedCorpus();

describe('rendered documents on the wire', () => {
  it.each(corpus.map((item) => [item.label, item] as const))(
    '%s encodes and decodes back',
    (_label, item) => {
      const bytes = encodeWbxml(item.root, item.vocabulary);
      const decoded = decodeWbxml(bytes, { vocabulary: item.vocabulary });
      expect(treeDifference(item.root, decoded.root)).toBeUndefined();
    },
  );

  describe('against libwbxml', () => {
    const tools = findLibwbxml();
    const skip = !tools && process.env[SKIP_LIBWBXML_ENV] === '1';

    beforeAll(() => {
      if (!tools && !skip) throw new Error(LIBWBXML_MISSING_MESSAGE);
    });

    it.skipIf(skip)('wbxml2xml reads every rendered document we encode as the same tree', async () => {
      const results = await libwbxmlDecode(
        tools!,
        corpus.map((item) => ({
          wbxml: encodeWbxml(item.root, item.vocabulary),
          ...(item.nokia ? { language: 'OTA' } : {}),
        })),
      );
      results.forEach((result, index) => {
        const { label, root } = corpus[index];
        expect(result.error, label).toBeUndefined();
        expect(treeDifference(root, parseXml(result.output!)), label).toBeUndefined();
      });
    });

    it.skipIf(skip)(
      'xml2wbxml encodes every rendered document into WBXML our decoder reads back',
      async () => {
        const results = await libwbxmlEncode(
          tools!,
          corpus.map((item) => ({
            xml: serializeXml(item.root),
            stringTable: false,
            version: item.nokia ? '1.1' : '1.3',
          })),
        );
        results.forEach((result, index) => {
          const { label, root, vocabulary } = corpus[index];
          expect(result.error, label).toBeUndefined();
          const decoded = decodeWbxml(result.output!, { vocabulary });
          expect(decoded.vocabulary.documentType, label).toBe(vocabulary.documentType);
          expect(treeDifference(root, decoded.root), label).toBeUndefined();
        });
      },
    );
  });

  describe('every name the renderer writes has a token', () => {
    const starts = (vocabulary: Vocabulary): Set<string> => {
      const out = new Set<string>();
      for (const page of Object.values(vocabulary.attributeStarts))
        for (const start of Object.values(page))
          if (start.value !== undefined) out.add(`${start.name}=${start.value}`);
      return out;
    };
    const values = (vocabulary: Vocabulary): Set<string> => {
      const out = new Set<string>();
      for (const page of Object.values(vocabulary.attributeValues))
        for (const value of Object.values(page)) out.add(value);
      return out;
    };
    const walk = (root: XmlElement, visit: (element: XmlElement) => void): void => {
      visit(root);
      for (const child of root.children) if (isElement(child)) walk(child, visit);
    };
    const typed = corpus.filter((item) => !item.label.startsWith('raw'));

    it('OMA CP: parm names and characteristic types (FROM and INIT have none, docs/protocol.md §2.5, §9.1)', () => {
      const known = starts(vocabularyFor('prov'));
      const untokenised = new Set<string>();
      for (const item of typed.filter((candidate) => !candidate.nokia))
        walk(item.root, (element) => {
          const key =
            element.name === 'parm'
              ? `name=${attribute(element, 'name')}`
              : element.name === 'characteristic'
                ? `type=${attribute(element, 'type')}`
                : undefined;
          if (key !== undefined && !known.has(key)) untokenised.add(key);
        });
      expect([...untokenised].sort()).toEqual(['name=FROM', 'name=INIT']);
    });

    it('OMA CP: enumerated values', () => {
      const known = values(vocabularyFor('prov'));
      const enumerated = new Set([
        'BEARER',
        'NAP-ADDRTYPE',
        'CALLTYPE',
        'AUTHTYPE',
        'PXADDRTYPE',
        'PXAUTH-TYPE',
        'SERVICE',
        'AAUTHLEVEL',
      ]);
      const seen = new Set<string>();
      const untokenised = new Set<string>();
      for (const item of typed.filter((candidate) => !candidate.nokia))
        walk(item.root, (element) => {
          const name = attribute(element, 'name');
          const value = attribute(element, 'value');
          if (element.name !== 'parm' || name === undefined || value === undefined || !enumerated.has(name))
            return;
          // E-mail SERVICE carries a port number and AAUTHLEVEL=CLIENT has no token (docs/protocol.md §2.4, §9.1).
          if (/^\d+$/.test(value) || value === 'CLIENT') return;
          seen.add(`${name}=${value}`);
          if (!known.has(value)) untokenised.add(`${name}=${value}`);
        });
      expect([...untokenised]).toEqual([]);
      expect(seen.size).toBeGreaterThanOrEqual(12);
      const linkSpeeds = typed.flatMap((item) => (item.nokia ? [] : allValues(item.root, 'LINKSPEED')));
      expect(linkSpeeds).toContain('AUTOBAUDING');
      for (const speed of linkSpeeds) expect(known).toContain(speed);
    });

    it('Nokia OTA: PARM names, CHARACTERISTIC types and enumerated values', () => {
      const known = starts(vocabularyFor('nokia-ota'));
      const enumerated = new Set([
        'BEARER',
        'PORT',
        'PPP_AUTHTYPE',
        'PPP_LOGINTYPE',
        'PROXY_LOGINTYPE',
        'CSD_CALLTYPE',
        'CSD_CALLSPEED',
      ]);
      const missing = new Set<string>();
      for (const item of typed.filter((candidate) => candidate.nokia))
        walk(item.root, (element) => {
          if (element.name === 'CHARACTERISTIC') {
            const key = `TYPE=${attribute(element, 'TYPE')}`;
            if (!known.has(key)) missing.add(key);
          }
          if (element.name !== 'PARM') return;
          const name = attribute(element, 'NAME') ?? '';
          if (!known.has(`NAME=${name}`)) missing.add(`NAME=${name}`);
          const value = attribute(element, 'VALUE') ?? '';
          // PORT values other than the WSP ports 9200–9203 have no token (docs/protocol.md §7).
          if (
            enumerated.has(name) &&
            !(name === 'PORT' && !/^920[0-3]$/.test(value)) &&
            !known.has(`VALUE=${value}`)
          )
            missing.add(`${name} VALUE=${value}`);
        });
      expect([...missing]).toEqual([]);
    });
  });
});

function allValues(root: XmlElement, parmName: string): string[] {
  const found: string[] = [];
  const walk = (element: XmlElement): void => {
    if (element.name === 'parm' && attribute(element, 'name') === parmName)
      found.push(attribute(element, 'value') ?? '');
    for (const child of element.children) if (isElement(child)) walk(child);
  };
  walk(root);
  return found;
}
