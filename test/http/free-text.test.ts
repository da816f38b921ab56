/**
 * Issue 15 #8 over HTTP: a NUL or a lone surrogate in any string field of any route (bodies, CSV bodies,
 * query parameters) is a 400 naming the field, never a 5xx, and a burst of such requests among 400 good
 * ones costs nobody their audit entry. The string fields are found by walking each route's own schemas,
 * so a route added later is covered without editing this file.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { z } from 'zod';
import { createApp, routesOf } from '../../src/http/app.ts';
import type { RouteEntry } from '../../src/http/api-router.ts';
import { unstorableTextReason } from '../../src/http/schemas.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { startApi, type ApiHarness } from './support/api-harness.ts';
import { describeRoute, samplePath } from './support/route-samples.ts';

const POISONS = {
  nul: 'bad\u0000text',
  'lone surrogate': 'bad\ud800text',
  'lone low surrogate': '\udc00bad',
};

type Path = Array<string | number>;

/** Paths to the string leaves of a zod schema (arrays at index 0, records under key "k"). */
function stringPaths(schema: z.ZodType, path: Path = [], depth = 0): Path[] {
  if (depth > 12) return [];
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string) => stringPaths(def[key] as z.ZodType, path, depth + 1);
  switch (def.type) {
    case 'string':
      return [path];
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.entries(shape).flatMap(([key, value]) => stringPaths(value, [...path, key], depth + 1));
    }
    case 'array':
      return stringPaths(def.element as z.ZodType, [...path, 0], depth + 1);
    case 'record':
      return stringPaths(def.valueType as z.ZodType, [...path, 'k'], depth + 1);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return inner('innerType');
    case 'pipe':
      return inner('in');
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => stringPaths(option, path, depth + 1));
    case 'intersection':
      return [...inner('left'), ...inner('right')];
    default:
      return [];
  }
}

/** A value with `value` at `path` (objects and arrays made along the way). */
function valueAt(path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  return typeof head === 'number' ? [valueAt(rest, value)] : { [head!]: valueAt(rest, value) };
}

function unique(paths: Path[]): Path[] {
  return [...new Map(paths.map((path) => [path.join('.'), path])).values()];
}

describeEachStore('NUL and lone surrogates in every free-text field (%s store)', (kind) => {
  let api: ApiHarness;
  let routes: readonly RouteEntry[];
  beforeAll(async () => {
    api = await startApi({ store: kind, http: { rateLimit: { ratePerSecond: 1e6, burst: 1e6 } } });
    routes = routesOf(createApp(api.context)).filter((route) => route.role !== null);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function expectFieldRefused(route: RouteEntry, what: string, response: Response, field: string) {
    const text = await response.text();
    expect(response.status, `${describeRoute(route)} ${what}: ${text.slice(0, 300)}`).toBe(400);
    const issues = (JSON.parse(text) as { error: { details: { issues: Array<{ field: string }> } } }).error
      .details.issues;
    expect(
      issues.map((issue) => issue.field),
      `${describeRoute(route)} ${what}`,
    ).toContain(field);
  }

  it('every string field of every JSON body', async () => {
    let checked = 0;
    for (const route of routes.filter((r) => r.operation.body && r.operation.bodyKind !== 'csv')) {
      for (const path of unique(stringPaths(route.operation.body!))) {
        for (const [name, poison] of Object.entries(POISONS)) {
          const response = await api.fetch(samplePath(route), {
            method: route.method,
            key: api.keys.admin,
            json: valueAt(path, poison),
          });
          await expectFieldRefused(route, `${path.join('.')} ${name}`, response, ['body', ...path].join('.'));
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('CSV bodies and free-text query parameters', async () => {
    // A raw UTF-8 body cannot carry a lone surrogate (fetch sends U+FFFD for it): only JSON's \ud800 can.
    for (const route of routes.filter((r) => r.operation.bodyKind === 'csv')) {
      for (const [name, poison] of Object.entries({ nul: POISONS.nul, 'C0 control': 'bad\u0001text' })) {
        const response = await api.fetch(samplePath(route), {
          method: route.method,
          key: api.keys.admin,
          headers: { 'Content-Type': 'text/csv' },
          body: `msisdn\n${poison}\n`,
        });
        await expectFieldRefused(route, `csv ${name}`, response, 'body');
      }
    }
    let checked = 0;
    for (const route of routes.filter((r) => r.operation.query && r.method === 'GET')) {
      for (const path of unique(stringPaths(route.operation.query!)).filter((p) => p.length === 1)) {
        const response = await api.fetch(
          `${samplePath(route)}?${String(path[0])}=${encodeURIComponent('bad\u0000x')}`,
          {
            key: api.keys.admin,
          },
        );
        await expectFieldRefused(route, `query ${path[0]}`, response, `query.${path[0]}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('10 poisoned care requests among 400 good ones: all 410 audited, the 10 refused as 400', async () => {
    const reason = (index: number) =>
      index % 41 === 40 ? `poisoned \u0000 reason ${index}` : `customer called ${index}`;
    const answers = await Promise.all(
      Array.from({ length: 410 }, (_, index) =>
        api
          .fetch('/v1/provisionings', {
            method: 'POST',
            key: api.keys.care,
            json: { msisdn: `4917099${String(index).padStart(5, '0')}`, reason: reason(index) },
          })
          .then((response) => response.status),
      ),
    );
    expect(answers.filter((status) => status === 400)).toHaveLength(10);
    expect(answers.every((status) => status < 500)).toBe(true);
    const entries = await listAudit(api.store.db, {
      actor: 'test-care',
      action: 'provisionings.request',
      limit: 1000,
    });
    expect(entries).toHaveLength(410);
    expect(entries.filter((entry) => entry.details.status === 400)).toHaveLength(10);
  }, 60_000);
});

it('the shared check allows tab, line breaks and surrogate pairs; refuses other controls', () => {
  expect(unstorableTextReason('line one\nline two\ttabbed\r\n')).toBeUndefined();
  expect(unstorableTextReason('\u0007')).toMatch(/U\+0007/);
  expect(unstorableTextReason('\ud83d\ude00 paired')).toBeUndefined();
});
