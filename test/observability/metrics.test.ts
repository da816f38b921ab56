import { describe, expect, it } from 'vitest';
import { createMetrics, registerOpenProvisioningsGauge } from '../../src/observability/metrics.ts';

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
});
