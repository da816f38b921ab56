import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { ROLES, roleAllows } from '../../src/auth/roles.ts';
import { routesOf } from '../../src/http/app.ts';
import { createApp } from '../../src/http/app.ts';
import { startApi, type ApiHarness, readJson } from './support/api-harness.ts';
import { describeRoute, samplePath } from './support/route-samples.ts';

describe('the route table: authentication and roles on every route', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ dm: true });
  });
  afterAll(async () => {
    await api?.close();
  });

  const routes = () => routesOf(createApp(api.context, { dm: api.dm }));

  it('has every route of issue 5', () => {
    const table = routes().map(describeRoute);
    for (const expected of [
      'POST /v1/triggers/first-use',
      'POST /v1/triggers/dial-request',
      'POST /v1/triggers/stale-config',
      'POST /v1/devices/:imei/reports',
      'GET /v1/subscribers/:msisdn',
      'POST /v1/provisionings',
      'POST /v1/provisionings/:id/resend',
      'GET /v1/provisionings/:id',
      'GET /v1/smsc',
      'GET /v1/messages',
      'GET /v1/events',
      'GET /v1/profiles',
      'POST /v1/profiles',
      'POST /v1/profiles/:id/versions',
      'GET /v1/profiles/:id/versions',
      'GET /v1/profiles/:id/diff',
      'GET /v1/profiles/:id/versions/:version/preview',
      'GET /v1/devices',
      'POST /v1/devices/import',
      'GET /v1/rules',
      'POST /v1/rules',
      'GET /v1/groups',
      'PUT /v1/groups/:name',
      'POST /v1/keys',
      'GET /v1/keys',
      'DELETE /v1/keys/:id',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /openapi.json',
    ]) {
      expect(table).toContain(expected);
    }
  });

  it('answers 401 UNAUTHENTICATED without a key on every protected route', async () => {
    for (const route of routes().filter((r) => r.role !== null)) {
      const response = await api.fetch(samplePath(route), { method: route.method });
      expect(response.status, describeRoute(route)).toBe(401);
      expect((await readJson(response)).error.code, describeRoute(route)).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 401 INVALID_API_KEY with an unknown or malformed key on every protected route', async () => {
    for (const route of routes().filter((r) => r.role !== null)) {
      for (const key of [generateApiKey(), 'not-a-key']) {
        const response = await api.fetch(samplePath(route), { method: route.method, key });
        expect(response.status, `${describeRoute(route)} with ${key}`).toBe(401);
        expect((await readJson(response)).error.code).toBe('INVALID_API_KEY');
      }
    }
  });

  it('answers 401 for a revoked key', async () => {
    const listed = await api.fetch('/v1/keys', { key: api.keys.admin });
    const care = (await readJson(listed)).keys.find((k: { name: string }) => k.name === 'test-care');
    const { createApiKey } = await import('../../src/auth/api-keys.ts');
    const extra = await createApiKey(api.store.db, { name: 'to-revoke', role: 'care' });
    expect((await api.fetch('/v1/provisionings/' + care.id, { key: extra.key })).status).toBe(404);
    const revoked = await api.fetch(`/v1/keys/${extra.record.id}`, { method: 'DELETE', key: api.keys.admin });
    expect(revoked.status).toBe(200);
    const after = await api.fetch('/v1/provisionings/' + care.id, { key: extra.key });
    expect(after.status).toBe(401);
  });

  it('answers 403 FORBIDDEN for every role the route does not allow, on every route', async () => {
    let checked = 0;
    for (const route of routes().filter((r) => r.role !== null)) {
      for (const role of ROLES) {
        if (roleAllows(role, route.role!)) continue;
        const response = await api.fetch(samplePath(route), { method: route.method, key: api.keys[role] });
        expect(response.status, `${describeRoute(route)} as ${role}`).toBe(403);
        const body = await readJson(response);
        expect(body.error.code).toBe('FORBIDDEN');
        expect(body.error.details).toEqual({ required: route.role, role });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('lets admin through the role check on every route', async () => {
    for (const route of routes().filter((r) => r.role !== null && r.path !== '/v1/events')) {
      const response = await api.fetch(samplePath(route), { method: route.method, key: api.keys.admin });
      expect([401, 403], describeRoute(route)).not.toContain(response.status);
      expect(response.status, describeRoute(route)).toBeLessThan(500);
    }
  });

  it('keeps /healthz, /readyz, /metrics and /openapi.json open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      const response = await api.fetch(path);
      expect(response.status, path).toBe(200);
    }
  });

  it('can put /metrics behind the operator role', async () => {
    const restricted = createApp(api.context, { metricsAccess: 'operator' });
    const route = routesOf(restricted).find((r) => r.path === '/metrics')!;
    expect(route.role).toBe('operator');
  });
});
