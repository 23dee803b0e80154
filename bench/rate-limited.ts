import { graphql } from './load.ts';
import { measure, type Budget, type Row } from './measure.ts';
import { smokeCheck } from './scenarios.ts';
import { admin, type Service, type Sims } from './services.ts';

/**
 * Scenario 6: one system behind a quota. The cold gateway runs with `PMS_QUOTA=50/second`; the
 * same single-reservation query is sent once below the quota (20 req/s: the unthrottled
 * latency) and once by 10 connections as fast as answered (far above it). What must hold: the
 * PMS simulator never sees more than 50 calls in any 1-second window of its own call log. The
 * queueing time is the latency above the unthrottled run.
 */

export const PMS_QUOTA = 50;
const BELOW_RATE = 20;
const STAY = 'query Stay($id: ID!) { reservation(id: $id) { id status checkIn } }';

export interface QuotaCheck {
  quota: number;
  /** Most calls the PMS saw in any 1-second window while driven above the quota. */
  maxInWindow: number;
  calls: number;
  holds: boolean;
  queueingP50Ms: number;
  queueingP99Ms: number;
}

/** Most timestamps inside any half-open window [t, t + windowMs). */
export function maxInWindow(timestamps: readonly number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

export async function rateLimited(ctx: { sims: Sims; cold: Service; budget: Budget; log: (line: string) => void }): Promise<{ rows: Row[]; check: QuotaCheck }> {
  const pms = ctx.sims.pms!;
  const records = (await admin(pms, 'records/reservations')) as Array<{ Id: string }>;
  const ids = records.map((r) => r.Id);
  const next = graphql(STAY, (i) => ({ id: ids[i % ids.length] }));
  const scenario = `6. rate-limited system (quota ${PMS_QUOTA}/s)`;
  await smokeCheck(ctx.cold.url, next, scenario);
  const target = { pid: ctx.cold.child.pid, sims: ctx.sims };
  // Fixed-rate runs need no warm-up of their own; one timed run each is enough to read a queue.
  const budget: Budget = { ...ctx.budget, runs: 1, seconds: Math.max(3, ctx.budget.seconds), warmupSeconds: 0 };
  const below = await measure(
    { scenario, system: 'gateway, below quota', latencyMs: 0, spec: { url: ctx.cold.url, next, connections: 4, seconds: budget.seconds, rate: BELOW_RATE }, target, minimumCalls: 1, note: 'the unthrottled latency' },
    budget,
    ctx.log,
  );
  const startedAt = Date.now();
  const above = await measure(
    { scenario, system: 'gateway, above quota', latencyMs: 0, spec: { url: ctx.cold.url, next, connections: 10, seconds: budget.seconds }, target, minimumCalls: 1 },
    budget,
    ctx.log,
  );
  const endedAt = Date.now();
  const stats = (await admin(pms, 'stats?log=20000')) as { log: Array<{ at: number; route: string }> };
  const times = stats.log.filter((e) => e.at >= startedAt && e.at <= endedAt && e.route.includes('/reservations/')).map((e) => e.at);
  const worst = maxInWindow(times, 1_000);
  const check: QuotaCheck = {
    quota: PMS_QUOTA,
    maxInWindow: worst,
    calls: times.length,
    holds: worst <= PMS_QUOTA,
    queueingP50Ms: above.p50.median - below.p50.median,
    queueingP99Ms: above.p99.median - below.p99.median,
  };
  above.note = `max ${worst} calls in any 1 s window of the simulator's log (quota ${PMS_QUOTA}: ${check.holds ? 'holds' : 'BROKEN'}); queueing p50 +${check.queueingP50Ms.toFixed(0)} ms, p99 +${check.queueingP99Ms.toFixed(0)} ms`;
  ctx.log(`  ${above.note}`);
  return { rows: [below, above], check };
}
