/**
 * What the store benchmarks send: a mix of handsets (TACs from config/devices.csv, both push formats), of
 * subscriber groups (config/groups.yaml: default and corporate; corporate pushes are signed USERPIN and
 * followed by a PIN text) and of profiles chosen by rules on group and model, as an operator's traffic is.
 *
 * Two kinds of push:
 * - `one`: three one-segment profiles (the catch-all, one for Sony Ericsson handsets, one for the corporate
 *   group), ranked before the shipped seed rules so every push is one segment;
 * - `typical`: the settings of test/fixtures/typical-cp.xml (Internet, WAP proxy, browser, MMS: 5 segments
 *   on an OMA CP handset, 2 in Nokia OTA) as typed parameters, so they render for both formats, and for the
 *   corporate group the intranet and the company mail account (5 segments; 3 without e-mail); the shipped
 *   seed rules keep their place, so the Sony Ericsson T610 gets the shipped northwind-wap1 profile (4).
 * Half the triggers come from subscribers the store already has (a new handset for a known SIM: 20% in
 * group corporate, 30% in default), half from SIMs never seen (group default).
 */
import { readFileSync } from 'node:fs';
import { compileDocument, packCompiled, packXml } from '../../codecs/ota/pack.ts';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { createProfile, createRule } from '../../src/profiles/repository.ts';
import { parseProfileParameters } from '../../src/profiles/schema.ts';
import type { Db } from '../../src/store/db.ts';

export type Kind = 'one' | 'typical';

export interface ModelShare {
  manufacturer: string;
  model: string;
  /** the catalogue's TAC (8 digits) or legacy TAC (6 digits) */
  tac: string;
  format: 'oma-cp' | 'nokia-ota';
  /** share of the triggers, out of 100 */
  weight: number;
}

/** config/devices.csv rows; weights sum to 100. */
export const MODELS: readonly ModelShare[] = [
  { manufacturer: 'Nokia', model: 'N95', tac: '35698001', format: 'oma-cp', weight: 12 },
  { manufacturer: 'Nokia', model: '6300', tac: '35671801', format: 'oma-cp', weight: 10 },
  { manufacturer: 'Nokia', model: '6230i', tac: '35216700', format: 'oma-cp', weight: 8 },
  { manufacturer: 'Nokia', model: 'E51', tac: '35657401', format: 'oma-cp', weight: 6 },
  { manufacturer: 'Sony Ericsson', model: 'K800i', tac: '35839401', format: 'oma-cp', weight: 8 },
  { manufacturer: 'Sony Ericsson', model: 'W810i', tac: '35590501', format: 'oma-cp', weight: 8 },
  { manufacturer: 'Sony Ericsson', model: 'K750i', tac: '35467800', format: 'oma-cp', weight: 6 },
  { manufacturer: 'Sony Ericsson', model: 'T610', tac: '35408400', format: 'oma-cp', weight: 2 },
  { manufacturer: 'Samsung', model: 'SGH-D900', tac: '35393201', format: 'oma-cp', weight: 8 },
  { manufacturer: 'Samsung', model: 'SGH-E250', tac: '35452700', format: 'oma-cp', weight: 6 },
  { manufacturer: 'Motorola', model: 'RAZR V3i', tac: '35309901', format: 'oma-cp', weight: 6 },
  { manufacturer: 'Motorola', model: 'KRZR K1', tac: '35825101', format: 'oma-cp', weight: 4 },
  { manufacturer: 'LG', model: 'KG800', tac: '35585501', format: 'oma-cp', weight: 4 },
  { manufacturer: 'Nokia', model: '6610', tac: '350612', format: 'nokia-ota', weight: 5 },
  { manufacturer: 'Nokia', model: '7210', tac: '350850', format: 'nokia-ota', weight: 3 },
  { manufacturer: 'Nokia', model: '7650', tac: '350113', format: 'nokia-ota', weight: 2 },
  { manufacturer: 'Nokia', model: '3510i', tac: '351046', format: 'nokia-ota', weight: 2 },
];

export const GROUPS = ['default', 'corporate'] as const;

const TYPICAL = {
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

interface BenchProfile {
  name: string;
  parameters: Record<string, unknown>;
  rule: { priority: number; group?: string; manufacturer?: string; model?: string };
}

/** Lower priority runs first; the shipped seed rules use 50-1000. */
export const PROFILES: Readonly<Record<Kind, readonly BenchProfile[]>> = {
  one: [
    {
      name: 'bench-one-corporate',
      parameters: { name: 'NW Corp', connections: [{ id: 'NWC', bearer: 'GPRS', apn: 'corporate' }] },
      rule: { priority: 1, group: 'corporate' },
    },
    {
      name: 'bench-one-sony-ericsson',
      parameters: { name: 'Northwind', connections: [{ id: 'NWSE', bearer: 'GPRS', apn: 'wap.nw' }] },
      rule: { priority: 2, manufacturer: 'Sony Ericsson' },
    },
    {
      name: 'bench-one',
      parameters: { name: 'Northwind', connections: [{ id: 'NW', bearer: 'GPRS', apn: 'internet' }] },
      rule: { priority: 3 },
    },
  ],
  typical: [
    {
      name: 'bench-typical-corporate',
      parameters: {
        name: 'Northwind Business',
        connections: [
          {
            id: 'NW_CORP',
            name: 'Northwind Business',
            bearer: 'GPRS',
            apn: 'corporate.northwind.example',
            auth: { type: 'CHAP', user: 'corporate', password: 'change-me' },
          },
        ],
        browser: { name: 'Intranet', connection: 'NW_CORP', homePage: 'https://intranet.northwind.example/' },
        email: {
          name: 'Company mail',
          providerId: 'corp-mail',
          fromAddress: 'user@corp.northwind.example',
          connection: 'NW_CORP',
          incoming: { protocol: 'IMAP4', host: 'imap.corp.northwind.example', ssl: true },
          outgoing: { host: 'smtp.corp.northwind.example', port: 587 },
        },
      },
      rule: { priority: 90, group: 'corporate' },
    },
    { name: 'bench-typical', parameters: { name: 'Northwind Mobile', ...TYPICAL }, rule: { priority: 900 } },
  ],
};

export async function createBenchProfiles(db: Db, kind: Kind): Promise<string[]> {
  const names: string[] = [];
  for (const entry of PROFILES[kind]) {
    const { profile } = await createProfile(db, {
      name: entry.name,
      parameters: entry.parameters,
      createdBy: 'bench',
    });
    await createRule(db, { ...entry.rule, profileId: profile.id, createdBy: 'bench' });
    names.push(entry.name);
  }
  return names;
}

/**
 * What `typical` stands for: test/fixtures/typical-cp.xml and the bench-typical profile, each packed for
 * an OMA CP handset that takes everything (NETWPIN), in segments and WBXML octets.
 */
export function typicalReference(): { fixture: string; bench: string } {
  const imsi = '262019876543210';
  const xml = readFileSync(new URL('../../test/fixtures/typical-cp.xml', import.meta.url), 'utf8');
  const fixture = packXml(xml, { sec: 'NETWPIN', imsi });
  const typed = PROFILES.typical.find((profile) => profile.name === 'bench-typical')!;
  const rendered = renderProfile(parseProfileParameters(typed.parameters), { format: 'oma-cp' });
  const bench = packCompiled(compileDocument(rendered.root), { sec: 'NETWPIN', imsi });
  const describe = (packed: { segments: unknown[]; wbxml: Uint8Array }): string =>
    `${packed.segments.length} segments (WBXML ${packed.wbxml.length} octets)`;
  return { fixture: describe(fixture), bench: describe(bench) };
}

/** The profiles a run can select: the bench's, and the shipped seeds whose rules can still win. */
export function profilesInPlay(kind: Kind): string[] {
  const own = PROFILES[kind].map((profile) => profile.name);
  return kind === 'one' ? own : [...own, 'northwind-wap1 (shipped; Sony Ericsson T610)'];
}

// ---- who triggers ------------------------------------------------------------------------------------

export interface Trigger {
  imsi: string;
  msisdn: string;
  imei: string;
}

const CUMULATIVE = (() => {
  let sum = 0;
  return MODELS.map((model) => (sum += model.weight));
})();

/** Spreads consecutive triggers over the models (Knuth's multiplicative hash, then the weights). */
export function modelOf(index: number): ModelShare {
  const slot = (Math.imul(index + 1, 2654435761) >>> 0) % 100;
  return MODELS[CUMULATIVE.findIndex((limit) => slot < limit)];
}

/** 0-1: corporate subscriber known to the store; 2-4: default, known; 5-9: a SIM never seen (default). */
export function subscriberClass(index: number): 'corporate' | 'default' | 'new' {
  const slot = index % 10;
  return slot < 2 ? 'corporate' : slot < 5 ? 'default' : 'new';
}

export function triggerFor(index: number): Trigger {
  const n = String(index).padStart(9, '0');
  const model = modelOf(index);
  const serial = String(index % 1_000_000).padStart(6, '0');
  // A legacy 6-digit TAC matches any final assembly code: add one.
  const body = (model.tac.length === 6 ? `${model.tac}01` : model.tac) + serial;
  return { imsi: `262010${n}`, msisdn: `4915${n}`, imei: body + String(luhnCheckDigit(body)) };
}

/**
 * The known subscribers among the first `count` triggers: in their group, with the handset they had
 * before (a Nokia 6233, not in the mix, 90 days ago), so their trigger is a first use of a new handset.
 */
export async function seedTriggeringSubscribers(db: Db, count: number): Promise<void> {
  if (count <= 0) return;
  await db.query(
    `WITH s AS (
       INSERT INTO subscribers (imsi, msisdn, group_name, current_imei, imei_changed_at, seen_at)
       SELECT '262010' || lpad(n::text, 9, '0'), '4915' || lpad(n::text, 9, '0'),
              CASE WHEN n % 10 < 2 THEN 'corporate' ELSE 'default' END,
              '35487201' || lpad((n % 1000000)::text, 6, '0') || '9',
              now() - interval '90 days', now() - interval '1 day'
       FROM generate_series(0, $1::int - 1) AS n WHERE n % 10 < 5
       RETURNING id, current_imei, imei_changed_at
     )
     INSERT INTO subscriber_devices (subscriber_id, imei, first_seen_at, last_seen_at)
     SELECT id, current_imei, imei_changed_at, now() - interval '1 day' FROM s`,
    [count],
  );
}
