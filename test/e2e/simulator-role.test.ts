/** `otagw start --role smsc-sim` runs the simulator with the control token of the configuration. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';

let gateway: Gateway | undefined;
beforeAll(async () => {
  const config = loadConfig({
    env: { OTAGW_SMSC_SIM_CONTROL_TOKEN: 'role-token' },
    overrides: { smsc: { simulator: { port: 0, controlPort: 0 } } },
  });
  gateway = await startGateway({ role: 'smsc-sim', config, logger: createLogger({ level: 'silent' }) });
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
});

it('asks for the bearer token of smsc.simulator.controlToken (OTAGW_SMSC_SIM_CONTROL_TOKEN)', async () => {
  const controlUrl = gateway?.simulator?.controlUrl;
  expect(controlUrl).toBeDefined();
  const counters = (token?: string) =>
    fetch(`${controlUrl}/counters`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect((await counters()).status).toBe(401);
  expect((await counters('another')).status).toBe(401);
  expect((await counters('role-token')).status).toBe(200);
});
