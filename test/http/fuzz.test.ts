import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, routesOf } from '../../src/http/app.ts';
import type { RouteEntry } from '../../src/http/api-router.ts';
import { SeededRandom } from '../support/seeded-random.ts';
import { describeEachStore } from '../support/stores.ts';
import { startApi, testImei, type ApiHarness, readJson } from './support/api-harness.ts';
import { describeRoute, samplePath } from './support/route-samples.ts';

const HUGE = 'x'.repeat(200_000);

/** Values of the wrong type, or of the right type but absurd. */
const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  ' ',
  HUGE,
  '\u0000',
  'lone \ud800 surrogate', // issue 15 #8: refused at validation (free-text.test.ts walks every field)
  '\udc00',
  '١٢٣٤٥٦', // Arabic-Indic digits: \d in some engines, not ours
  '12345678901234567890',
  [],
  [1, 2],
  {},
  { nested: { deeper: [null] } },
  '<xml/>',
  "'; DROP TABLE subscribers; --",
];

/** Raw bodies that are not a valid request at all. */
const RAW_BODIES: Array<{ name: string; body: Uint8Array | string; type?: string }> = [
  { name: 'truncated JSON', body: '{"imsi": "0010' },
  { name: 'JSON with trailing garbage', body: '{} x' },
  { name: 'a JSON string', body: '"hello"' },
  { name: 'a JSON number', body: '42' },
  { name: 'a JSON array', body: '[1,2,3]' },
  { name: 'null', body: 'null' },
  {
    name: 'bad UTF-8',
    body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]),
  },
  { name: 'lone surrogate escape', body: '{"reason":"\\ud800"}' },
  { name: 'deeply nested', body: '['.repeat(5000) + ']'.repeat(5000) },
  { name: 'huge body', body: 'x'.repeat(2 * 1024 * 1024) },
  { name: 'form-encoded', body: 'a=1&b=2', type: 'application/x-www-form-urlencoded' },
  { name: 'JSON as text/plain', body: '{}', type: 'text/plain' },
  { name: 'latin-1 charset', body: '{}', type: 'application/json; charset=latin1' },
];

const GARBAGE_PARAMS = ['x', '%ff', '0'.repeat(300), '-1', '1e99', '..', '%00', 'null'];

const FUZZ_QUERIES = [
  'limit=abc',
  'limit=-5',
  'limit=99999999999',
  'since=yesterday',
  'state=flying',
  'unknown=1',
  'limit=1&limit=2',
  'from=1',
  'model=abc',
  'types=nope',
  'q=' + 'y'.repeat(5000),
  'includeArchived=maybe',
];

describeEachStore('fuzzing every route gets only 4xx answers (%s store)', (kind) => {
  let api: ApiHarness;
  let routes: readonly RouteEntry[];
  beforeAll(async () => {
    api = await startApi({ store: kind, http: { rateLimit: { ratePerSecond: 1e6, burst: 1e6 } } });
    routes = routesOf(createApp(api.context)).filter((route) => route.role !== null);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function expectClientError(route: RouteEntry, what: string, response: Response): Promise<void> {
    const text = await response.text();
    expect(response.status, `${describeRoute(route)} ${what}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(
      400,
    );
    expect(response.status, `${describeRoute(route)} ${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
    const body = JSON.parse(text);
    expect(typeof body.error.code).toBe('string');
  }

  it('refuses malformed, mistyped, oversized and badly encoded bodies', async () => {
    for (const route of routes.filter((r) => r.operation.body)) {
      for (const raw of RAW_BODIES) {
        const type = raw.type ?? (route.operation.bodyKind === 'csv' ? 'text/csv' : 'application/json');
        if (
          route.operation.bodyKind === 'csv' &&
          raw.name !== 'huge body' &&
          raw.name !== 'bad UTF-8' &&
          raw.type === undefined
        )
          continue;
        const response = await api.fetch(samplePath(route), {
          method: route.method,
          key: api.keys.admin,
          headers: { 'Content-Type': type },
          body: raw.body,
        });
        await expectClientError(route, raw.name, response);
      }
    }
  });

  it('refuses wrong types in every field of every JSON body (random combinations)', async () => {
    const random = new SeededRandom(20261125);
    const fields = [
      'imsi',
      'msisdn',
      'imei',
      'imeisv',
      'observedAt',
      'source',
      'code',
      'observed',
      'properties',
      'configuration',
      'software',
      'profile',
      'reason',
      'name',
      'role',
      'expiresAt',
      'parameters',
      'note',
      'description',
      'policy',
      'priority',
      'profileId',
      'enabled',
      'extra',
    ];
    for (const route of routes.filter((r) => r.operation.body && r.operation.bodyKind !== 'csv')) {
      for (let round = 0; round < 25; round++) {
        const body: Record<string, unknown> = {};
        const count = random.int(1, 4);
        for (let i = 0; i < count; i++) {
          body[random.pick(fields)] = random.pick(WRONG_VALUES);
        }
        const response = await api.fetch(samplePath(route), {
          method: route.method,
          key: api.keys.admin,
          json: body,
        });
        await expectClientError(route, JSON.stringify(body).slice(0, 200), response);
      }
    }
  });

  it('refuses garbage path parameters', async () => {
    for (const route of routes.filter((r) => r.path.includes(':') && r.path !== '/v1/events')) {
      for (const garbage of GARBAGE_PARAMS) {
        const path = samplePath(route, {
          imei: garbage,
          id: garbage,
          msisdn: garbage,
          version: garbage,
          name: garbage,
        });
        const response = await api.fetch(path.replaceAll(encodeURIComponent(garbage), garbage), {
          method: route.method,
          key: api.keys.admin,
          json: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        await expectClientError(route, `param ${garbage}`, response);
      }
    }
  });

  it('refuses garbage query strings', async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      for (const query of FUZZ_QUERIES) {
        const response = await api.fetch(`${samplePath(route)}?${query}`, { key: api.keys.admin });
        // A query that happens to be valid for a route is no finding; a 5xx or a hang is.
        if (response.status < 400) {
          if (route.path === '/v1/events') throw new Error(`events accepted ${query}`);
          await response.body?.cancel();
          continue;
        }
        await expectClientError(route, `?${query.slice(0, 60)}`, response);
      }
    }
  });

  it('never answers 5xx for valid-looking text the store cannot hold (NUL, lone surrogates)', async () => {
    const awkward = ['abc\u0000def', 'abc\ud800def', '\u0000\u0000\u0000'];
    for (const text of awkward) {
      const requests: Array<[string, string, unknown]> = [
        ['PUT', '/v1/groups/fuzz-group', { description: text, policy: {} }],
        ['POST', `/v1/devices/${testImei(777)}/reports`, { properties: { language: text, model: text } }],
        ['POST', '/v1/provisionings', { msisdn: '491700000777', reason: text }],
        ['POST', '/v1/keys', { name: 'fuzz', role: 'care', expiresAt: '2999-01-01T00:00:00Z' }],
        [
          'POST',
          '/v1/triggers/stale-config',
          { msisdn: '491700000777', observed: { apn: text, proxy: text, mmsc: text } },
        ],
      ];
      for (const [method, path, json] of requests) {
        const response = await api.fetch(path, { method, key: api.keys.admin, json });
        const answer = await response.text();
        expect(
          response.status,
          `${method} ${path} ${JSON.stringify(json)}: ${answer.slice(0, 200)}`,
        ).toBeLessThan(500);
      }
    }
  });

  it('names the field in validation errors', async () => {
    const response = await api.fetch('/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: { imsi: '12', msisdn: '+491700000001', imei: '352099001761482', extra: 1 },
    });
    expect(response.status).toBe(400);
    const body = await readJson(response);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    const fields = body.error.details.issues.map((issue: { field: string }) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(['body.imsi', 'body.imei', 'body.extra']));
  });
});
