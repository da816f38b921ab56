import { afterEach, describe, expect, it } from 'vitest';
import { pushOf, startHarness, waitFor, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('SmppConnector pacing', () => {
  it('spreads submits over time at the configured rate instead of sending a burst', async () => {
    harness = await startHarness({ throttleTpsPerBind: 100 }, { tps: 100, window: 50 });
    const results = await harness.connector.submit(pushOf('paced', '447700900001', 30));
    expect(results.every((r) => r.ok)).toBe(true);
    const times = harness.sim.submitted().map((s) => s.receivedAt);
    // 30 submits at 100/s with a bucket of 20 ms (2 tokens) cannot take less than (30 - 2) / 100 s
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(270);
    // and an SMSC limiting to the same rate never had to throttle
    expect(harness.sim.counters().errors).toEqual({});
  });

  it('shares the configured rate between its binds', async () => {
    harness = await startHarness({}, { tps: 100, binds: 2 });
    await waitFor('two binds', () => harness!.connector.status().every((s) => s.state === 'bound'));
    expect(harness.connector.status().map((s) => s.currentTps)).toEqual([50, 50]);
  });

  it('slows down on ESME_RTHROTTLED and resends the throttled segments: nothing lost', async () => {
    harness = await startHarness({ throttleTpsPerBind: 200, throttleBurstMs: 20 }, { window: 20 });
    const results = await harness.connector.submit(pushOf('throttled', '447700900001', 60));
    expect(results.every((r) => r.ok)).toBe(true);
    const throttled = harness.sim.counters().errors.ESME_RTHROTTLED ?? 0;
    expect(throttled).toBeGreaterThan(0);
    expect(harness.connector.counters().throttled).toBe(throttled);
    expect(harness.sim.counters().submits.accepted).toBe(60);
    const bind = harness.connector.status()[0];
    expect(bind.currentTps).toBeLessThan(Infinity);
    expect(bind.throttled).toBe(throttled);
  });

  it('gives a segment up as transient (ESME_RTHROTTLED) once it was throttled too often', async () => {
    harness = await startHarness(
      { throttleTpsPerBind: 1, throttleBurstMs: 1 },
      { throttleRetryLimit: 1, minTps: 50 },
    );
    const results = await harness.connector.submit(pushOf('hopeless', '447700900001', 6));
    const givenUp = results.filter((r) => !r.ok);
    expect(givenUp.length).toBeGreaterThan(0);
    for (const result of givenUp) {
      expect(result).toMatchObject({ outcome: 'transient', statusName: 'ESME_RTHROTTLED' });
    }
  });
});
