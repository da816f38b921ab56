import type { RouteEntry } from '../../../src/http/api-router.ts';
import { testImei } from './api-harness.ts';

/** A well-formed value for each path parameter the routes use. */
export const SAMPLE_PARAMS: Record<string, string> = {
  imei: testImei(424242),
  id: '00000000-0000-4000-8000-000000000000',
  msisdn: '491700000999',
  version: '1',
  name: 'default',
  modelId: '1',
  deviceId: 'IMEI:356851020000018',
};

export function samplePath(route: RouteEntry, overrides: Record<string, string> = {}): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = overrides[name] ?? SAMPLE_PARAMS[name];
    if (value === undefined) throw new Error(`no sample for path parameter :${name} of ${route.path}`);
    return encodeURIComponent(value);
  });
}

export function describeRoute(route: RouteEntry): string {
  return `${route.method} ${route.path}`;
}
