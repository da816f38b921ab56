/**
 * The w7 APPLICATION the profiles render, checked against docs/protocol-dm.md §4.5: APPAUTH with
 * AAUTHLEVEL APPSRV carries what the handset presents to the server (DMAcc CLCRED: the profile's
 * serverAuth, "auth to the server"), AAUTHLEVEL CLIENT what the server presents to the handset (SRVCRED:
 * clientAuth, whose secret and nonce also sign package #0). The renderer already had it so.
 */
import { describe, expect, it } from 'vitest';
import { isElement, type XmlElement } from '../../codecs/xml/element.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { parseProfileParameters } from '../../src/profiles/schema.ts';

const parmsOf = (element: XmlElement): Record<string, string> =>
  Object.fromEntries(
    element.children
      .filter(isElement)
      .filter((child) => child.name === 'parm')
      .map((parm) => [
        parm.attributes.find(([name]) => name === 'name')![1],
        parm.attributes.find(([name]) => name === 'value')?.[1] ?? '',
      ]),
  );

function appAuths(root: XmlElement): Array<Record<string, string>> {
  const found: Array<Record<string, string>> = [];
  const walk = (element: XmlElement): void => {
    for (const child of element.children.filter(isElement)) {
      if (child.name === 'characteristic' && child.attributes.some(([, value]) => value === 'APPAUTH'))
        found.push(parmsOf(child));
      walk(child);
    }
  };
  walk(root);
  return found;
}

describe('the w7 APPAUTH levels (docs/protocol-dm.md §4.5)', () => {
  it('puts the handset credential under APPSRV and the server credential under CLIENT', () => {
    const parameters = parseProfileParameters({
      name: 'DM only',
      dm: {
        serverId: 'dm.northwind.example',
        name: 'Northwind DM',
        url: 'https://dm.northwind.example/dm',
        serverAuth: { type: 'DIGEST', name: 'handset-1', secret: 'what-the-handset-presents' },
        clientAuth: {
          type: 'DIGEST',
          name: 'dm.northwind.example',
          secret: 'what-the-server-presents',
          nonce: 'AAAAAA==',
        },
      },
    });
    const { root } = renderProfile(parameters, { format: 'oma-cp', capabilities: { supportsDm: true } });
    const auths = appAuths(root);
    expect(auths).toHaveLength(2);
    expect(auths.find((auth) => auth.AAUTHLEVEL === 'APPSRV')).toMatchObject({
      AAUTHNAME: 'handset-1',
      AAUTHSECRET: 'what-the-handset-presents',
    });
    expect(auths.find((auth) => auth.AAUTHLEVEL === 'CLIENT')).toMatchObject({
      AAUTHNAME: 'dm.northwind.example',
      AAUTHSECRET: 'what-the-server-presents',
      AAUTHDATA: 'AAAAAA==',
    });
  });
});
