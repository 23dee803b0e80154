import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { percentile } from './load.ts';
import { summarise, type Budget, type Row, type RunSample } from './measure.ts';
import { cpuMs, sampleRss } from './processes.ts';
import { upstreamCalls, type Service, type Sims } from './services.ts';

/**
 * Scenario 7: fan-out writes. `createCustomer` writes the CRM, the shop, accounting and the PMS
 * through the outbox; the mutation answers once the steps' first attempts settle (or after its
 * settle window), so the answer is often COMPLETED already. Workers send mutations back to back
 * with unique emails, phones and names (Shopify keeps emails and phones unique, Xero names);
 * an operation not COMPLETED in its answer is polled through `writeOperation(id)` until it is.
 */

const MUTATION = 'mutation Create($input: CustomerInput!) { createCustomer(input: $input) { id status } }';
const STATUS = 'query Op($id: ID!) { writeOperation(id: $id) { status } }';
const WORKERS = 8;
const POLL_MS = 20;

export interface WriteStats {
  acked: number;
  completedAtAck: number;
  failed: number;
  /** ms from the answer to COMPLETED, for operations not complete in their answer. */
  afterAckP50: number;
  afterAckP99: number;
  /** ms from sending the mutation to COMPLETED, over all operations. */
  toCompletedP50: number;
  toCompletedP99: number;
}

export async function fanOutWrites(ctx: { sims: Sims; warm: Service; budget: Budget; log: (line: string) => void }): Promise<{ row: Row; stats: WriteStats }> {
  const pool = new Pool(ctx.warm.url, { connections: WORKERS * 2 });
  const tag = randomInt(100, 999);
  let serial = 0;
  const post = async (query: string, variables: Record<string, unknown>) => {
    const answer = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return { status: answer.statusCode, body: (await answer.body.json()) as { data?: any; errors?: unknown } };
  };
  const input = () => {
    const n = ++serial;
    return { email: `bench.${tag}.${n}@example.com`, firstName: 'Bench', lastName: `Writer ${tag}-${n}`, phone: `+49 150 ${String(tag * 100_000 + n).padStart(8, '0')}` };
  };

  /** Polls until COMPLETED or FAILED (or 30 s); resolves with the time it was seen, or undefined. */
  const completion = async (id: string): Promise<number | undefined> => {
    const until = performance.now() + 30_000;
    while (performance.now() < until) {
      const { body } = await post(STATUS, { id });
      const status = body.data?.writeOperation?.status;
      if (status === 'COMPLETED') return performance.now();
      if (status === 'FAILED') return undefined;
      await sleep(POLL_MS);
    }
    return undefined;
  };

  async function run(seconds: number): Promise<{ sample: RunSample; latencies: number[]; afterAck: number[]; toCompleted: number[]; completedAtAck: number; failed: number }> {
    const latencies: number[] = [];
    const afterAck: number[] = [];
    const toCompleted: number[] = [];
    const trackers: Promise<void>[] = [];
    let completedAtAck = 0;
    let failed = 0;
    let errors = 0;
    const callsBefore = await upstreamCalls(ctx.sims);
    const cpuBefore = cpuMs(ctx.warm.child.pid);
    const rss = sampleRss(ctx.warm.child.pid);
    const started = performance.now();
    const stopAt = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (performance.now() < stopAt) {
          const sent = performance.now();
          const { status, body } = await post(MUTATION, { input: input() });
          const acked = performance.now();
          const op = body.data?.createCustomer as { id: string; status: string } | undefined;
          if (status !== 200 || !op || body.errors) {
            errors++;
            continue;
          }
          latencies.push(acked - sent);
          if (op.status === 'COMPLETED') {
            completedAtAck++;
            toCompleted.push(acked - sent);
          } else if (op.status === 'FAILED') failed++;
          else {
            trackers.push(
              completion(op.id).then((at) => {
                if (at === undefined) failed++;
                else {
                  afterAck.push(at - acked);
                  toCompleted.push(at - sent);
                }
              }),
            );
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    await Promise.all(trackers);
    const cpu = cpuMs(ctx.warm.child.pid) - cpuBefore;
    const peakRssMb = rss.stop();
    const after = await upstreamCalls(ctx.sims);
    latencies.sort((a, b) => a - b);
    const load = { completed: latencies.length, sent: latencies.length + errors, errors, non2xx: 0, seconds: elapsed, rps: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), bytesPerResponse: 0, failures: (errors ? { 'mutation errors': errors } : {}) as Record<string, number> };
    const calls = Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (callsBefore[name] ?? 0)]));
    return { sample: { load, calls, cpuMs: cpu, peakRssMb }, latencies, afterAck, toCompleted, completedAtAck, failed };
  }

  try {
    await run(Math.min(1, ctx.budget.warmupSeconds || 0.5));
    const runs = [];
    for (let i = 0; i < ctx.budget.runs; i++) runs.push(await run(ctx.budget.seconds));
    const scenario = '7. fan-out writes (createCustomer → 4 systems)';
    const row = summarise({ scenario, system: 'gateway', latencyMs: 0, minimumCalls: 4, spec: { connections: WORKERS } }, runs.map((r) => r.sample));
    const afterAck = runs.flatMap((r) => r.afterAck).sort((a, b) => a - b);
    const toCompleted = runs.flatMap((r) => r.toCompleted).sort((a, b) => a - b);
    const acked = runs.reduce((n, r) => n + r.sample.load.completed, 0);
    const stats: WriteStats = {
      acked,
      completedAtAck: runs.reduce((n, r) => n + r.completedAtAck, 0),
      failed: runs.reduce((n, r) => n + r.failed, 0),
      afterAckP50: percentile(afterAck, 0.5),
      afterAckP99: percentile(afterAck, 0.99),
      toCompletedP50: percentile(toCompleted, 0.5),
      toCompletedP99: percentile(toCompleted, 0.99),
    };
    const share = acked === 0 ? 0 : (100 * stats.completedAtAck) / acked;
    row.load = `${WORKERS} writers`;
    row.note =
      `req/s and p50/p99 = mutation answers; ${share.toFixed(0)} % COMPLETED in the answer; ` +
      (afterAck.length ? `the rest COMPLETED p50 ${stats.afterAckP50.toFixed(0)} / p99 ${stats.afterAckP99.toFixed(0)} ms after it; ` : '') +
      `send → COMPLETED p50 ${stats.toCompletedP50.toFixed(0)} / p99 ${stats.toCompletedP99.toFixed(0)} ms; ${stats.failed} failed`;
    ctx.log(`  ${scenario}: ${row.rps.median.toFixed(0)} writes/s, ${row.note}`);
    return { row, stats };
  } finally {
    await pool.close();
  }
}
