import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, routesOf } from '../../src/http/app.ts';
import { openApiPath } from '../../src/http/openapi.ts';
import { startApi, type ApiHarness, readJson, type LooseJson } from './support/api-harness.ts';

describe('OpenAPI document', () => {
  let api: ApiHarness;
  let document: LooseJson;
  beforeAll(async () => {
    api = await startApi({ dm: true });
    document = await readJson(await api.fetch('/openapi.json'));
  });
  afterAll(async () => {
    await api?.close();
  });

  it('is OpenAPI 3.1 with info, paths and a bearer security scheme', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBeTruthy();
    expect(document.components.securitySchemes.bearerAuth).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
  });

  it('has exactly the routes of the route table, each with its role and responses', () => {
    const routes = routesOf(createApp(api.context, { dm: api.dm }));
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    const ids = new Set<string>();
    for (const route of routes) {
      const op = document.paths[openApiPath(route.path)][route.method.toLowerCase()];
      expect(op['x-required-role']).toBe(route.role);
      expect(op.responses[String(route.operation.response.status)]).toBeDefined();
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
      for (const name of route.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
        expect(
          op.parameters.some(
            (p: { name: string; in: string }) => p.in === 'path' && p.name === name.slice(1),
          ),
        ).toBe(true);
      }
    }
  });

  it('carries the request schemas, with required fields and no unknown fields allowed', () => {
    const firstUse = document.paths['/v1/triggers/first-use'].post;
    const schema = firstUse.requestBody.content['application/json'].schema;
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(expect.arrayContaining(['imsi', 'msisdn', 'imei']));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.imsi.pattern).toBeDefined();
    const importCsv = document.paths['/v1/devices/import'].post;
    expect(Object.keys(importCsv.requestBody.content)).toEqual(['text/csv']);
    const profile = document.paths['/v1/profiles'].post.requestBody.content['application/json'].schema;
    expect(profile.properties.parameters).toBeDefined();
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const pointer = ref.slice(8, -1);
      if (!pointer.startsWith('#/')) continue;
      let node: LooseJson = document;
      for (const part of pointer.slice(2).split('/')) node = node?.[part];
      expect(node, pointer).toBeDefined();
    }
  });

  it('serves a readable docs page without scripts', async () => {
    const response = await api.fetch('/docs');
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('/v1/triggers/first-use');
    expect(html).toContain('/v1/subscribers/{msisdn}');
    expect(html).not.toMatch(/<script/i);
  });
});
