import { expect, it } from 'vitest';
import { maxInWindow } from '../support/backend.ts';
import { get, harness, series } from './harness.ts';

// Alone in its file: it takes the ten seconds the quota says, so it runs beside the others.
it('a burst of 200 calls against 20 calls/second all succeed, never more than 20 in any 1-second window', async () => {
  const h = await harness({ quota: { requests: 20, per: 'second', concurrency: 5 } });
  const started = Date.now();
  const burst = Array.from({ length: 200 }, (_, i) => h.upstream.request(get(`/contacts/${i}`)));
  await new Promise((r) => setTimeout(r, 100));
  const queuedDuringBurst = await series(h.metrics, 'interchange_quota_queued', { connector: 'crm' });
  const answers = await Promise.all(burst);

  expect(answers.every((a) => a.status === 200)).toBe(true);
  expect(h.backend.calls).toHaveLength(200);
  expect(maxInWindow(h.backend.calls.map((c) => c.at), 1_000)).toBeLessThanOrEqual(20);
  // Queued, not refused: the burst takes as long as the quota says, and no longer than needed.
  expect(Date.now() - started).toBeGreaterThan(9_000);
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(queuedDuringBurst).toBeGreaterThan(150);
  expect(await series(h.metrics, 'interchange_quota_queued', { connector: 'crm' })).toBe(0);
}, 20_000);
