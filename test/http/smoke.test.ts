import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, testImei, type ApiHarness, readJson } from './support/api-harness.ts';

describe('HTTP API smoke', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers /healthz', async () => {
    const response = await api.fetch('/healthz');
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ status: 'ok' });
  });

  it('queues a first use', async () => {
    const response = await api.fetch('/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: { imsi: '001010000000001', msisdn: '+491700000001', imei: testImei(1) },
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(202);
  });
});
