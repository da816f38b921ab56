import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { runStart } from '../../src/cli/commands/start.ts';
import { loadConfig } from '../../src/config.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  FINAL,
  imeiWith,
  TAC,
  TEST_REDIS_URL,
  uniquePrefix,
  uniqueSubscriber,
} from '../provisioning/harness.ts';

const io = () => {
  const out: string[] = [];
  return {
    out,
    io: {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(text),
      readStdin: async () => '',
    },
  };
};

describe('otagw start', () => {
  it('prints its usage and refuses an unknown role', async () => {
    const help = io();
    expect(await runStart(['--help'], help.io, new AbortController().signal)).toBe(0);
    expect(help.out.join('')).toMatch(/--role/);
    await expect(runStart(['--role', 'everything'], io().io, new AbortController().signal)).rejects.toThrow(
      /--role/,
    );
  });
});

describe('the gateway in one process (role all)', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        http: { port: 0 },
        redis: { url: TEST_REDIS_URL, prefix: uniquePrefix() },
        store: { url: 'memory://' },
        smsc: { simulator: { port: 0, controlPort: null } },
      },
    });
    gateway = await startGateway({ role: 'all', config, logger: createLogger({ level: 'silent' }) });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('takes a first-use trigger over HTTP and delivers the push through the built-in simulator', async () => {
    const context = gateway.context!;
    const { key } = await createApiKey(context.db, { name: 'probe', role: 'network' });
    const subscriber = uniqueSubscriber();
    const response = await fetch(`${gateway.httpUrl}/v1/triggers/first-use`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...subscriber, imei: imeiWith(TAC.nokiaN95, 4242) }),
    });
    expect(response.status).toBe(202);
    const { outcome, provisioningId } = (await response.json()) as {
      outcome: string;
      provisioningId: string;
    };
    expect(outcome).toBe('queued');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = await context.provisioning.get(provisioningId);
      if (view && FINAL.includes(view.state)) {
        expect(view.state).toBe('delivered');
        break;
      }
      if (Date.now() > deadline) throw new Error(`still ${view?.state}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(gateway.simulator!.handset(subscriber.msisdn).count()).toBe(1);
    expect(await context.queues.ping()).toBe(true);
    expect(context.smsc?.status().some((bind) => bind.state === 'bound')).toBe(true);
    // The SMSC operators' view in Prometheus: the bind that carried the push, with its round trip.
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^otagw_smsc_bind_up\{smsc="[^"]+",bind="[^"]+"\} 1$/m);
    expect(metrics).toMatch(/^otagw_smsc_submit_rtt_seconds\{smsc="[^"]+",bind="[^"]+"\} [0-9.e-]+$/m);
    expect(metrics).toMatch(/^otagw_smsc_submitted\{smsc="[^"]+",bind="[^"]+"\} [1-9][0-9]*$/m);
  });
});
