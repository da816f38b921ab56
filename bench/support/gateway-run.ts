/**
 * One benchmark run against the gateway as shipped, with everything it owns set up and taken down in
 * order (also on Ctrl-C): a run directory, a Redis prefix, a copy of the store template with the run's
 * own subscribers and API key, and the gateway process. bench:e2e and bench:api measure inside it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { undoOnInterrupt } from './cleanup.ts';
import { GatewayProcess, type GatewayFacts, type GatewaySettings } from './gateway-process.ts';
import { REDIS_URL, clearRedisPrefix } from './redis.ts';
import type { SmscProcess } from './smsc-process.ts';
import { prepareStore, type BenchStore, type PreparedStore, type StoreTemplate } from './store.ts';

export interface GatewayRun {
  gateway: GatewayProcess;
  store: BenchStore;
  prepared: PreparedStore;
  /** removed after the run: for files such as a CPU profile */
  runDir: string;
}

export interface GatewayRunOptions {
  /** names the run directory: otagw-bench-<label>-... */
  label: string;
  /** what differs from the shipped gateway (flags such as --binds, a stub service) */
  settings?: Partial<GatewaySettings>;
  /** the subscribers the run triggers that the store should know, and its profiles */
  prepare: Parameters<typeof prepareStore>[1];
}

export async function withGatewayRun<T>(
  template: StoreTemplate,
  sim: SmscProcess,
  options: GatewayRunOptions,
  facts: { gateway?: GatewayFacts; store?: string },
  measure: (run: GatewayRun) => Promise<T>,
): Promise<T> {
  const runDir = mkdtempSync(join(tmpdir(), `otagw-bench-${options.label}-`));
  const forgetRunDir = undoOnInterrupt(async () => rmSync(runDir, { recursive: true, force: true }));
  const prefix = `otagw-bench-${randomBytes(4).toString('hex')}`;
  const forgetPrefix = undoOnInterrupt(() => clearRedisPrefix(prefix));
  const store = await template.create(runDir);
  facts.store = store.description;
  try {
    const settings: GatewaySettings = {
      storeUrl: store.url,
      redisUrl: REDIS_URL,
      prefix,
      smscHost: sim.host,
      smscPort: sim.port,
      ...options.settings,
    };
    const prepared = await prepareStore(store, options.prepare);
    const gateway = await GatewayProcess.start(settings, { cwd: runDir });
    const forgetGateway = undoOnInterrupt(() => gateway.stop());
    facts.gateway = gateway.facts;
    try {
      return await measure({ gateway, store, prepared, runDir });
    } finally {
      await gateway.stop();
      forgetGateway();
    }
  } finally {
    await store.drop().catch((error: unknown) => process.stderr.write(`drop failed: ${String(error)}\n`));
    await clearRedisPrefix(prefix).catch(() => undefined);
    forgetPrefix();
    rmSync(runDir, { recursive: true, force: true });
    forgetRunDir();
  }
}
