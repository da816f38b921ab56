import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  registerOpenProvisioningsGauge,
  registerSmscBindGauges,
} from '../../src/observability/metrics.ts';

describe('metrics', () => {
  it('counts provisionings by state entered and reports open ones by state when scraped', async () => {
    const metrics = createMetrics();
    metrics.provisionings.inc({ state: 'delivered' });
    registerOpenProvisioningsGauge(metrics, async () => ({ queued: 3, submitted: 2 }));
    const text = await metrics.registry.metrics();
    expect(text).toContain('otagw_provisionings_total{state="delivered"} 1');
    expect(text).toContain('otagw_provisionings_open{state="queued"} 3');
    expect(text).toContain('otagw_provisionings_open{state="submitted"} 2');
  });

  it('reports every bind of the connector when scraped, leaving out a round trip not measured yet', async () => {
    const metrics = createMetrics();
    let binds = [
      {
        smscId: 'sim',
        bindId: 'sim-1',
        state: 'bound',
        windowUsed: 3,
        windowSize: 10,
        sentPerSecond: 250,
        rttMs: { smoothed: 12.5 },
        submitted: 900,
        throttled: 2,
      },
      {
        smscId: 'sim',
        bindId: 'sim-2',
        state: 'connecting',
        windowUsed: 0,
        windowSize: 0,
        sentPerSecond: 0,
        submitted: 0,
        throttled: 0,
      },
    ];
    registerSmscBindGauges(metrics, () => binds);
    let text = await metrics.registry.metrics();
    expect(text).toContain('otagw_smsc_bind_up{smsc="sim",bind="sim-1",worker="local"} 1');
    expect(text).toContain('otagw_smsc_bind_up{smsc="sim",bind="sim-2",worker="local"} 0');
    expect(text).toContain('otagw_smsc_window_used{smsc="sim",bind="sim-1",worker="local"} 3');
    expect(text).toContain('otagw_smsc_sent_per_second{smsc="sim",bind="sim-1",worker="local"} 250');
    expect(text).toContain('otagw_smsc_submit_rtt_seconds{smsc="sim",bind="sim-1",worker="local"} 0.0125');
    expect(text).not.toContain('otagw_smsc_submit_rtt_seconds{smsc="sim",bind="sim-2",worker="local"}');
    expect(text).toContain('otagw_smsc_congestion_answers{smsc="sim",bind="sim-1",worker="local"} 2');
    binds = binds.slice(1);
    text = await metrics.registry.metrics();
    expect(text).not.toContain('bind="sim-1"');
  });

  it('labels each bind with its worker, read once per scrape from an async source (every worker in Redis)', async () => {
    const metrics = createMetrics();
    let reads = 0;
    const bind = (workerId: string) => ({
      smscId: 'acct',
      bindId: 'acct/0',
      workerId,
      state: 'bound',
      windowUsed: 1,
      windowSize: 10,
      sentPerSecond: 100,
      submitted: 5,
      throttled: 0,
    });
    registerSmscBindGauges(metrics, async () => {
      reads++;
      return [bind('worker-a'), bind('worker-b')];
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('otagw_smsc_bind_up{smsc="acct",bind="acct/0",worker="worker-a"} 1');
    expect(text).toContain('otagw_smsc_sent_per_second{smsc="acct",bind="acct/0",worker="worker-b"} 100');
    expect(reads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await metrics.registry.metrics();
    expect(reads).toBe(2);
  });
});
