import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createSampleRing, deltaBy, quantile, takeSample, type Sample } from '../../src/observability/dashboard-samples.ts';

const HISTOGRAM = 'interchange_upstream_request_duration_seconds';

describe('dashboard samples', () => {
  it('reads quantiles of only the observations made between two snapshots, as histogram_quantile does', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (const seconds of [3, 3, 3]) metrics.upstreamDuration.observe({ connector: 'crm', endpoint: 'old' }, seconds);
    const before = await takeSample(metrics.registry);
    for (const seconds of [0.02, 0.03, 0.04, 0.2]) metrics.upstreamDuration.observe({ connector: 'crm', endpoint: 'contact' }, seconds);
    metrics.upstreamDuration.observe({ connector: 'shop', endpoint: 'order' }, 9);
    const after = await takeSample(metrics.registry);

    // Four observations: the median rank (2) falls in the 0.025–0.05 bucket holding ranks 2 and 3.
    expect(quantile(0.5, after, before, HISTOGRAM, { connector: 'crm' })).toBeCloseTo(0.025 + 0.025 * 0.5, 6);
    expect(quantile(0.95, after, before, HISTOGRAM, { connector: 'crm' })).toBeGreaterThan(0.1);
    expect(quantile(0.95, after, before, HISTOGRAM, { connector: 'crm' })).toBeLessThanOrEqual(0.25);
    expect(quantile(0.5, after, after, HISTOGRAM, { connector: 'crm' })).toBeNull();
    expect(quantile(0.5, after, undefined, HISTOGRAM, { connector: 'nobody' })).toBeNull();
  });

  it('reads an observation beyond the last bound as the largest finite bound', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.upstreamDuration.observe({ connector: 'pms', endpoint: 'slow' }, 60);
    expect(quantile(0.99, await takeSample(metrics.registry), undefined, HISTOGRAM, { connector: 'pms' })).toBe(10);
  });

  it('counts a label set born inside the window from zero', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.upstreamRequests.inc({ connector: 'crm', endpoint: 'contact', code: '200' }, 5);
    const before = await takeSample(metrics.registry);
    metrics.upstreamRequests.inc({ connector: 'crm', endpoint: 'contact', code: '200' }, 2);
    metrics.upstreamRequests.inc({ connector: 'crm', endpoint: 'contact', code: '503' }, 3);
    const codes = deltaBy(await takeSample(metrics.registry), before, 'interchange_upstream_requests_total', 'code', { connector: 'crm' });
    expect(Object.fromEntries(codes)).toEqual({ '200': 2, '503': 3 });
  });

  it('keeps one snapshot per spacing and just enough history to look a window back', () => {
    const ring = createSampleRing({ spacingMs: 5_000, keepMs: 60_000 });
    const at = (ms: number): Sample => ({ at: ms, series: new Map() });
    for (let t = 0; t <= 120_000; t += 1_000) ring.record(at(t));
    // 120 s of samples every second: one every 5 s is kept, back to the newest one 60 s old.
    expect(ring.size).toBe(13);
    expect(ring.since(120_000, 60_000)?.at).toBe(60_000);
    expect(ring.since(120_000, 10_000)?.at).toBe(110_000);
    expect(ring.since(120_000, 600_000)?.at).toBe(60_000);
    expect(createSampleRing({ spacingMs: 1, keepMs: 1 }).since(0, 1)).toBeUndefined();
  });
});
