import { describe, expect, it } from 'vitest';
import { normalizeConnector } from '../../src/connectors/normalize.ts';
import { quotaSpacingMs } from '../../src/http/quota.ts';
import { sequence, type Reply } from '../support/backend.ts';
import { get, harness, series } from './harness.ts';

describe('quota', () => {
  it('a 429 with Retry-After pauses the whole connector: no call reaches the backend meanwhile', async () => {
    // 10/s: the next slot comes 105 ms after the first call, long after its 429 is back.
    const h = await harness(
      { quota: { requests: 10, per: 'second' }, retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 20 } },
      { handler: sequence({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: {} }) },
    );
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => h.upstream.request(get(`/contacts/${i}`))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const [limited, ...rest] = h.backend.calls;
    expect(rest).toHaveLength(6);
    for (const call of rest) expect(call.at - limited!.at).toBeGreaterThanOrEqual(995);
  });

  it('a pause read from the connector’s rate-limit headers holds calls back too', async () => {
    let first = true;
    const h = await harness(
      { rateLimit: (headers: Record<string, unknown>) => (headers['x-bucket'] === 'full' ? { pauseMs: 400 } : undefined) },
      {
        handler: () => {
          const reply: Reply = { status: 200, body: {}, headers: first ? { 'x-bucket': 'full' } : {} };
          first = false;
          return reply;
        },
      },
    );
    await h.upstream.request(get('/contacts/1'));
    await h.upstream.request(get('/contacts/2'));
    const [a, b] = h.backend.calls;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(390);
  });

  it('a call whose deadline passes while it queues fails with UPSTREAM_TIMEOUT and never reaches the backend', async () => {
    // 5/s: slots at 0, 210 and 420 ms; the deadline at 150 ms lets only the first call go.
    const h = await harness({ quota: { requests: 5, per: 'second', concurrency: 1 } });
    const calls = [0, 1, 2].map((i) => h.upstream.request(get(`/contacts/${i}`, { deadline: Date.now() + 150 })));
    const settled = await Promise.allSettled(calls);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason.code)).toEqual(['UPSTREAM_TIMEOUT', 'UPSTREAM_TIMEOUT']);
    expect(await series(h.metrics, 'interchange_quota_queued', { connector: 'crm' })).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.backend.calls).toHaveLength(1);
  });

  it('spaces calls so that requests + 1 calls span the window plus a jitter budget (2 %, at least 100 ms)', () => {
    const spacing = (requests: number, per: 'second' | 'minute' | 'hour') =>
      quotaSpacingMs(normalizeConnector({ name: 'x', quota: { requests, per }, endpoints: {} }, 'test').quota!);
    expect(spacing(20, 'second')).toBe(55);
    expect(spacing(10, 'second')).toBe(110);
    expect(spacing(60, 'minute')).toBe(1020);
    expect(spacing(1000, 'hour')).toBe(3672);
    // Not rounded up to a whole millisecond, which would cap any connector at 1,000 calls/s.
    expect(spacing(100_000, 'second')).toBeCloseTo(0.011, 6);
  });

  it('never has more than `concurrency` calls in flight, and answers every queued call in turn', async () => {
    const h = await harness({ quota: { requests: 1000, per: 'second', concurrency: 2 } }, { handler: () => ({ status: 200, body: {}, delayMs: 60 }) });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => h.upstream.request(get(`/contacts/${i}`))));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const arrivals = h.backend.calls.map((c) => c.at).sort((a, b) => a - b);
    // A third call can only start once one of the first two has been answered, 60 ms later.
    for (let i = 2; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 2]!).toBeGreaterThanOrEqual(55);
  });
});
