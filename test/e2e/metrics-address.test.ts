/** Issue 15 #11: /metrics bound to an address of its own (http.metrics), beside the API's key-guarded one. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { TEST_REDIS_URL, uniquePrefix } from '../provisioning/harness.ts';

let gateway: Gateway | undefined;
let varDir: string;
const said: string[] = [];

beforeAll(async () => {
  varDir = await mkdtemp(join(tmpdir(), 'otagw-metrics-address-'));
  const config = loadConfig({
    env: {},
    overrides: {
      http: { port: 0, metricsAccess: 'operator', metrics: { host: '127.0.0.1', port: 0 } },
      redis: { url: TEST_REDIS_URL, prefix: uniquePrefix() },
      store: { url: 'memory://' },
    },
  });
  gateway = await startGateway({
    role: 'api',
    config,
    logger: createLogger({ level: 'silent' }),
    varDir,
    announce: (text) => said.push(text),
  });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await rm(varDir, { recursive: true, force: true });
});

it('serves /metrics on http.metrics without a key, while the API port still wants an operator key', async () => {
  const line = said.find((text) => text.startsWith('Metrics'));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(line ?? '')?.[1];
  expect(url).toBeDefined();
  expect(new URL(url!).port).not.toBe(new URL(gateway!.httpUrl!).port);
  const scraped = await fetch(url!);
  expect(scraped.status).toBe(200);
  expect(await scraped.text()).toMatch(/^# TYPE otagw_provisionings_open gauge$/m);
  expect((await fetch(url!.replace('/metrics', '/v1/smsc'))).status).toBe(404);
  expect((await fetch(`${gateway!.httpUrl}/metrics`)).status).toBe(401);
});

it('stops the metrics server with the API (the http step)', async () => {
  const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(
    said.find((text) => text.startsWith('Metrics'))!,
  )![1]!;
  await gateway!.stop();
  gateway = undefined;
  await expect(fetch(url)).rejects.toThrow();
});
