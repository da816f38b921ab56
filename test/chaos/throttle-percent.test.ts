/**
 * The simulator's percentage throttle, the chaos run's "10% of submits throttled" (issue #15): over a
 * real SMPP bind, exactly every tenth submit is answered ESME_RTHROTTLED whatever the rate, and the
 * rest are accepted; PATCH-able at run time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient } from '../smsc-sim/smpp-test-client.ts';

const ESME_RTHROTTLED = 0x58; // SMPP 3.4 §5.1.3

let sim: SmscSimulator | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  client?.close();
  await sim?.close();
});

describe('throttlePercent', () => {
  it('answers 10% of submits ESME_RTHROTTLED at any rate, and none once set back to 0', async () => {
    sim = await startSmscSimulator({ behaviour: { throttlePercent: 10 } });
    client = await TestClient.bound(sim.port, 'otagw', 'otagwsim');
    const answers = [];
    // one at a time: far below any rate limit, so only the percentage refuses
    for (let i = 0; i < 50; i += 1) answers.push((await client.submit({})).command_status);
    const burst = await Promise.all(Array.from({ length: 50 }, () => client!.submit({})));
    answers.push(...burst.map((response) => response.command_status));
    expect(answers.filter((status) => status === ESME_RTHROTTLED)).toHaveLength(10);
    expect(answers.filter((status) => status === 0)).toHaveLength(90);
    expect(sim.counters().errors).toEqual({ ESME_RTHROTTLED: 10 });

    sim.setBehaviour({ throttlePercent: 0 });
    const after = await Promise.all(Array.from({ length: 20 }, () => client!.submit({})));
    expect(after.every((response) => response.command_status === 0)).toBe(true);
  });
});
