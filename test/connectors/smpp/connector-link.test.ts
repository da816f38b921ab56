import { afterEach, describe, expect, it } from 'vitest';
import { pushOf, sleep, startHarness, waitFor, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const states = (h: Harness) => h.bindStates.map((s) => s.state);

describe('SmppConnector link management', () => {
  it('binds as transceiver with interface version 3.4 and unbinds gracefully on stop', async () => {
    harness = await startHarness();
    expect(harness.connector.status()[0]).toMatchObject({ state: 'bound', mode: 'trx' });
    expect(harness.sim.binds()).toHaveLength(1);
    expect(harness.sim.binds()[0].mode).toBe('transceiver');
    await harness.connector.stop();
    expect(harness.connector.status()[0].state).toBe('stopped');
    expect(harness.sim.counters().connectionsDropped).toBe(0);
    await waitFor('the simulator to see the unbind', () => harness!.sim.binds().length === 0);
  });

  it('lets outstanding submits finish before it unbinds', async () => {
    harness = await startHarness({ responseDelayMs: 100 });
    const pending = harness.connector.submit(pushOf('slow', '447700900001', 3));
    await sleep(20);
    await harness.connector.stop();
    const results = await pending;
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('reconnects after the SMSC drops the connection, with backoff, and submits again', async () => {
    harness = await startHarness();
    const before = await harness.connector.submit(pushOf('before', '447700900001'));
    expect(before[0].ok).toBe(true);
    harness.sim.dropConnections();
    await waitFor('reconnect-wait', () => states(harness!).includes('reconnect-wait'));
    await waitFor(
      'bound again',
      () =>
        harness!.connector.status()[0].state === 'bound' && harness!.connector.status()[0].reconnects === 1,
    );
    const after = await harness.connector.submit(pushOf('after', '447700900002'));
    expect(after[0].ok).toBe(true);
    expect(harness.sim.counters().binds.total).toBe(2);
  });

  it('reports submits in flight when the link drops as unknown, resolves every segment, and carries on after reconnecting', async () => {
    harness = await startHarness({ dropAfterSubmits: 5, responseDelayMs: 10 }, { window: 4 });
    const results = await harness.connector.submit(pushOf('drop', '447700900001', 12));
    expect(results).toHaveLength(12);
    const accepted = results.filter((r) => r.ok).length;
    const unknown = results.filter((r) => !r.ok && r.outcome === 'unknown').length;
    expect(accepted + unknown).toBe(12);
    expect(unknown).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(harness.sim.counters().connectionsDropped).toBeGreaterThan(0);
  });

  it('sends a segment that was never written again instead of reporting it (queue survives a reconnect)', async () => {
    harness = await startHarness();
    harness.sim.dropConnections();
    await waitFor('the link to go down', () => !harness!.connector.isAvailable());
    const results = await harness.connector.submit(pushOf('queued', '447700900001', 2));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('stops binding and reports a wrong password without retrying', async () => {
    harness = await startHarness({}, { password: 'wrong' });
    const status = harness.connector.status()[0];
    expect(status).toMatchObject({ state: 'failed', lastError: 'bind refused: ESME_RINVPASWD' });
    await sleep(150);
    expect(harness.sim.counters().binds.rejected).toBe(1);
    const results = await harness.connector.submit(pushOf('nope', '447700900001'));
    expect(results[0]).toMatchObject({ ok: false, outcome: 'transient' });
    expect(results[0].ok ? '' : results[0].message).toMatch(/refused for good/);
  });

  it('stops binding on an unknown system_id', async () => {
    harness = await startHarness({}, { systemId: 'stranger' });
    expect(harness.connector.status()[0]).toMatchObject({
      state: 'failed',
      lastError: 'bind refused: ESME_RINVSYSID',
    });
  });

  it('keeps retrying other bind refusals with backoff, and binds once the SMSC accepts', async () => {
    harness = await startHarness({ rejectBinds: true });
    expect(harness.connector.status()[0].lastError).toBe('bind refused: ESME_RBINDFAIL');
    await waitFor('a few retries', () => harness!.sim.counters().binds.rejected >= 3);
    harness.sim.setBehaviour({ rejectBinds: false });
    await waitFor('bound', () => harness!.connector.isAvailable());
    const results = await harness.connector.submit(pushOf('finally', '447700900001'));
    expect(results[0].ok).toBe(true);
  });

  it('detects a dead link when enquire_link goes unanswered, and reconnects', async () => {
    harness = await startHarness(
      { silentEnquireLink: true },
      { enquireLinkIntervalMs: 40, enquireLinkTimeoutMs: 80 },
    );
    await waitFor('dead link detected', () =>
      (harness!.connector.status()[0].lastError ?? '').includes('dead link'),
    );
    await waitFor(
      'reconnected',
      () => harness!.connector.status()[0].reconnects >= 1 && harness!.connector.isAvailable(),
    );
    expect(harness.sim.counters().enquireLinks.received).toBeGreaterThan(0);
    expect(harness.sim.counters().enquireLinks.answered).toBe(0);
  });

  it('keeps an idle link alive with enquire_link', async () => {
    harness = await startHarness({}, { enquireLinkIntervalMs: 20, enquireLinkTimeoutMs: 200 });
    await waitFor('keep-alives', () => harness!.sim.counters().enquireLinks.answered >= 3);
    expect(harness.connector.status()[0]).toMatchObject({ state: 'bound', reconnects: 0 });
  });

  it('fails segments as transient when no bind comes up within the queue timeout', async () => {
    harness = await startHarness({ rejectBinds: true }, { queueTimeoutMs: 100 });
    const results = await harness.connector.submit(pushOf('waiting', '447700900001'));
    expect(results[0]).toMatchObject({ ok: false, outcome: 'transient' });
    expect(results[0].ok ? '' : results[0].message).toMatch(/no bound bind/);
  });
});

describe('SmppConnector restart', () => {
  it('binds again after stop and start', async () => {
    harness = await startHarness();
    await harness.connector.stop();
    await harness.connector.start();
    expect(harness.connector.isAvailable()).toBe(true);
    const results = await harness.connector.submit(pushOf('again', '447700900001'));
    expect(results[0].ok).toBe(true);
  });
});
