import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad, type LoadResult, type LoadSpec } from './load.ts';
import { cpuMs, sampleRss } from './processes.ts';
import { upstreamCalls, type Sims } from './services.ts';

/**
 * A measurement: a warm-up run that is thrown away, then `runs` timed runs of the same load,
 * each bracketed by the simulators' call counters and the target process's CPU time, with its
 * resident memory sampled throughout. Summaries are medians with the min–max spread over runs.
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Row {
  /** `3. nested, cache cold` */
  scenario: string;
  /** gateway | B1 | B0 … */
  system: string;
  /** Per-call latency the simulators add. */
  latencyMs: number;
  /** `10 conn` or `120 req/s`. */
  load: string;
  rps: Spread;
  p50: Spread;
  p99: Spread;
  /** Upstream calls per completed request, token requests left out. */
  calls?: Spread;
  /** The calls per operation by connector, in the median run. */
  callsBy?: Record<string, number>;
  minimumCalls?: number;
  cpuMsPerOp?: Spread;
  peakRssMb?: number;
  failures: number;
  /** What the failures were (status codes, error messages), over all runs. */
  failureKinds?: Record<string, number>;
  bytesPerResponse?: number;
  note?: string;
}

export interface Budget {
  runs: number;
  /** Runs of the fixed-rate comparison at half the gateway's peak (scenario 3). */
  halfPeakRuns: number;
  seconds: number;
  warmupSeconds: number;
}

export interface Target {
  /** Process whose CPU and memory are charged to the requests (the gateway, B1, the simulators). */
  pid?: number;
  /** Count upstream calls at these simulators. */
  sims?: Sims;
}

export interface RunSample {
  load: LoadResult;
  calls?: Record<string, number>;
  cpuMs?: number;
  peakRssMb?: number;
}

const SETTLE_MS = 300;

/**
 * Requests cut off at the end of a run are still carried out by the server, some after the
 * next run has started. Wait until the simulators' counters stop moving (at most 20 s), so that
 * each run is charged with its own upstream calls.
 */
async function settle(sims: Sims | undefined): Promise<void> {
  await sleep(SETTLE_MS);
  if (!sims) return;
  const total = async () => Object.values(await upstreamCalls(sims)).reduce((a, b) => a + b, 0);
  const until = Date.now() + 20_000;
  for (let last = await total(); Date.now() < until; ) {
    await sleep(SETTLE_MS);
    const now = await total();
    if (now === last) return;
    last = now;
  }
}

export async function measureRun(spec: LoadSpec, target: Target): Promise<RunSample> {
  const callsBefore = target.sims ? await upstreamCalls(target.sims) : undefined;
  const cpuBefore = target.pid ? cpuMs(target.pid) : 0;
  const rss = target.pid ? sampleRss(target.pid) : undefined;
  const load = await runLoad(spec);
  // Charge the upstream calls and CPU of requests cut off at the end to the requests sent.
  await settle(target.sims);
  const cpu = target.pid ? cpuMs(target.pid) - cpuBefore : undefined;
  const peakRssMb = rss?.stop();
  let calls: Record<string, number> | undefined;
  if (callsBefore) {
    const after = await upstreamCalls(target.sims!);
    calls = Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (callsBefore[name] ?? 0)]));
  }
  return { load, calls, cpuMs: cpu, peakRssMb };
}

export function spread(values: readonly number[]): Spread {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

export interface Measurement {
  scenario: string;
  system: string;
  latencyMs: number;
  spec: LoadSpec;
  target: Target;
  minimumCalls?: number;
  note?: string;
}

export async function measure(m: Measurement, budget: Budget, log: (line: string) => void): Promise<Row> {
  return (await measureGroup([m], budget, log))[0]!;
}

/**
 * Measurements that are compared with each other (gateway, B1, B0 of one scenario) take turns,
 * run by run, so that whatever else the machine is doing weighs on all of them alike.
 */
export async function measureGroup(ms: readonly Measurement[], budget: Budget, log: (line: string) => void): Promise<Row[]> {
  if (budget.warmupSeconds > 0) {
    for (const m of ms) {
      await runLoad({ ...m.spec, seconds: budget.warmupSeconds });
      await settle(m.target.sims);
    }
  }
  const samples: RunSample[][] = ms.map(() => []);
  for (let run = 0; run < budget.runs; run++) {
    for (const [i, m] of ms.entries()) samples[i]!.push(await measureRun(m.spec, m.target));
  }
  return ms.map((m, i) => {
    const row = summarise(m, samples[i]!);
    log(`  ${m.scenario} · ${m.system} · ${m.latencyMs} ms · ${row.load}: ${row.rps.median.toFixed(0)} req/s, p50 ${row.p50.median.toFixed(2)} ms, p99 ${row.p99.median.toFixed(2)} ms${row.calls ? `, ${row.calls.median.toFixed(3)} calls/op` : ''}${row.failures ? `, ${row.failures} FAILED ${JSON.stringify(row.failureKinds)}` : ''}`);
    return row;
  });
}

export function summarise(m: Omit<Measurement, 'spec' | 'target'> & { spec: Pick<LoadSpec, 'connections' | 'rate'> }, samples: readonly RunSample[]): Row {
  const ops = (s: RunSample) => Math.max(1, s.load.sent);
  const perOp = (s: RunSample) => (s.calls ? Object.values(s.calls).reduce((a, b) => a + b, 0) / ops(s) : Number.NaN);
  const rps = spread(samples.map((s) => s.load.rps));
  const median = samples.slice().sort((a, b) => a.load.rps - b.load.rps)[Math.floor(samples.length / 2)]!;
  const calls = samples[0]?.calls ? spread(samples.map(perOp)) : undefined;
  const callsBy = median.calls
    ? Object.fromEntries(Object.entries(median.calls).filter(([, n]) => n > 0).map(([name, n]) => [name, n / ops(median)]))
    : undefined;
  const cpu = samples[0]?.cpuMs !== undefined ? spread(samples.map((s) => s.cpuMs! / ops(s))) : undefined;
  const rss = samples.map((s) => s.peakRssMb).filter((v): v is number => v !== undefined);
  return {
    scenario: m.scenario,
    system: m.system,
    latencyMs: m.latencyMs,
    load: m.spec.rate ? `${m.spec.rate} req/s` : `${m.spec.connections} conn`,
    rps,
    p50: spread(samples.map((s) => s.load.p50)),
    p99: spread(samples.map((s) => s.load.p99)),
    calls,
    callsBy,
    minimumCalls: m.minimumCalls,
    cpuMsPerOp: cpu,
    peakRssMb: rss.length ? Math.max(...rss) : undefined,
    failures: samples.reduce((n, s) => n + s.load.errors + s.load.non2xx, 0),
    failureKinds: samples.reduce<Record<string, number>>((all, s) => {
      for (const [kind, n] of Object.entries(s.load.failures)) all[kind] = (all[kind] ?? 0) + n;
      return all;
    }, {}),
    bytesPerResponse: median.load.bytesPerResponse,
    note: m.note,
  };
}
