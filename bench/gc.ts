import { graphql, runLoad, type LoadResult } from './load.ts';
import { spread, type Spread } from './measure.ts';
import { cpuMs, type Child } from './processes.ts';
import { machine } from './report.ts';
import { QUERIES, VARIANTS, loadFixtures, smokeCheck } from './scenarios.ts';
import { buildCompiled, setLatency, startBaseline, startGateway, startSims, type Service } from './services.ts';

/**
 * `npm run bench -- --gc`: what garbage collection does to scenario 3's latency at a fixed rate
 * (`--rate`, default 76/s, about half the gateway's peak here; `--latency` ms per upstream call,
 * default 0). Two cache-cold gateways run under
 * `--trace-gc-nvp`: one as `npm start` runs it, one with other node flags (`--against`, default
 * `--allocation-site-pretenuring`, V8's default that the gateway turns off, see `src/cli.ts`;
 * bench/FINDINGS.md has what each comparison showed). Each is first driven flat out for a few
 * seconds, the burst after which V8 pretenures; then the two gateways and B1 take turns, run by
 * run, at the fixed rate, with a second B1 process beside the first: the same system measured
 * twice, whose distance is the measurement's own noise (with `--against` a flag that is already
 * the default, the two gateways are such a pair too). Per run: p50/p99 (from the due time), CPU
 * per operation, and from V8's own trace, scavenges with what each left alive and promoted, and
 * full collections.
 */

const B1_AGAIN = 'B1, a second process';

interface GcRun {
  p50: number;
  p99: number;
  cpuMsPerOp: number;
  scavenges: number;
  survivedMb: number;
  promotedMb: number;
  scavengePauseMs: number;
  fullCollections: number;
  /** The longest pause of any collection in the run, ms. */
  longestPauseMs: number;
  /** The longest event-loop delay in the run (the gateway's own monitor, 10 ms resolution), ms. */
  loopDelayMaxMs: number;
}

interface Traced {
  name: string;
  service: Service;
  /** GC trace lines printed since the last `take()`. */
  take(): string[];
}

function traceLines(child: Child): () => string[] {
  let lines: string[] = [];
  let partial = '';
  // Always read the child's stdout: an unread pipe fills up and stops the gateway.
  child.process.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (line.includes(' gc=')) lines.push(line);
  });
  return () => {
    const taken = lines;
    lines = [];
    return taken;
  };
}

/**
 * The gateway's longest event-loop delay since the last scrape of `/metrics` (prom-client's
 * monitor, reset by every scrape), ms.
 */
async function loopDelayMaxMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const seconds = /^\w*nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  return seconds === undefined ? Number.NaN : Number(seconds) * 1000;
}

/** `--trace-gc-nvp` prints `key=value` pairs; sizes in bytes, times in ms. */
function field(line: string, key: string): number {
  return Number(new RegExp(` ${key}=([0-9.]+)`).exec(line)?.[1] ?? Number.NaN);
}

function summariseGc(lines: readonly string[]): Pick<GcRun, 'scavenges' | 'survivedMb' | 'promotedMb' | 'scavengePauseMs' | 'fullCollections' | 'longestPauseMs'> {
  const scavenges = lines.filter((l) => l.includes(' gc=s '));
  const mean = (key: string) => (scavenges.length === 0 ? 0 : scavenges.reduce((sum, l) => sum + field(l, key), 0) / scavenges.length);
  return {
    scavenges: scavenges.length,
    survivedMb: mean('new_space_survived') / 1e6,
    promotedMb: mean('promoted') / 1e6,
    scavengePauseMs: mean('pause'),
    fullCollections: lines.filter((l) => l.includes(' gc=mc ')).length,
    longestPauseMs: lines.reduce((longest, l) => Math.max(longest, field(l, 'pause') || 0), 0),
  };
}

export async function runGc(options: {
  rate: number;
  /** Node flags of the second gateway. */
  against: string;
  seconds: number;
  runs: number;
  /** Per-call latency the simulators add, ms. */
  latency: number;
  compiled: boolean;
  log: (line: string) => void;
  write: (name: string, markdown: string, json: unknown) => void;
  command: string;
}): Promise<void> {
  const { log, rate } = options;
  if (options.compiled) await buildCompiled();
  const { sims } = await startSims();
  await setLatency(sims, options.latency);
  // As in the full run: more operations in flight when each upstream call takes longer.
  const connections = options.latency === 0 ? 10 : 40;
  const start = async (name: string, extra: string[]): Promise<Traced> => {
    const service = await startGateway({ name, sims, compiled: options.compiled, connectorsDir: 'bench/cold-connectors', nodeArgs: ['--trace-gc-nvp', ...extra] });
    return { name, service, take: traceLines(service.child) };
  };
  const gateways = [await start('gateway', []), await start(`gateway ${options.against}`, options.against.split(' ').filter(Boolean))];
  // B1 twice: the two measure the same thing, so how far apart they land is the measurement's own noise.
  const b1 = await startBaseline(sims);
  const b1Again = await startBaseline(sims);
  const fixtures = await loadFixtures(sims, gateways[0]!.service);
  const next = graphql(QUERIES.nested, (i) => ({ after: fixtures.cursors[i % VARIANTS] }));
  let page = 0;
  const nextB1 = () => ({ method: 'GET' as const, path: `/nested?first=50&after=${fixtures.pageInfos[page++ % VARIANTS]}` });
  for (const g of gateways) await smokeCheck(g.service.url, next, g.name);

  log(`flat out for 5 s each (${connections} connections): the burst`);
  for (const g of gateways) await runLoad({ url: g.service.url, next, connections, seconds: 5 });
  for (const b of [b1, b1Again]) await runLoad({ url: b.url, next: nextB1, connections, seconds: 5 });

  const results = new Map<string, GcRun[]>([...gateways.map((g) => [g.name, []] as [string, GcRun[]]), ['B1', []], [B1_AGAIN, []]]);
  const one = async (name: string, service: Service, request: typeof next, take?: () => string[]): Promise<void> => {
    take?.();
    if (take) await loopDelayMaxMs(service.url);
    const cpuBefore = cpuMs(service.child.pid);
    const load: LoadResult = await runLoad({ url: service.url, next: request, connections, seconds: options.seconds, rate });
    // The trace is taken before the scrape, so a collection the scrape itself causes is left out of both.
    const gc = take ? summariseGc(take()) : { scavenges: Number.NaN, survivedMb: Number.NaN, promotedMb: Number.NaN, scavengePauseMs: Number.NaN, fullCollections: Number.NaN, longestPauseMs: Number.NaN };
    const loopDelay = take ? await loopDelayMaxMs(service.url) : Number.NaN;
    if (load.errors + load.non2xx > 0) throw new Error(`${name}: ${load.errors + load.non2xx} requests failed: ${JSON.stringify(load.failures)}`);
    const run = { p50: load.p50, p99: load.p99, cpuMsPerOp: (cpuMs(service.child.pid) - cpuBefore) / load.completed, ...gc, loopDelayMaxMs: loopDelay };
    results.get(name)!.push(run);
    log(`${name}: p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ${run.cpuMsPerOp.toFixed(2)} CPU ms/op; ${run.scavenges} scavenges, ${run.survivedMb.toFixed(2)} MB survived and ${run.promotedMb.toFixed(2)} MB promoted each, ${run.scavengePauseMs.toFixed(1)} ms pause; ${run.fullCollections} full; longest pause ${run.longestPauseMs.toFixed(1)} ms, longest event-loop delay ${run.loopDelayMaxMs.toFixed(0)} ms`);
  };
  for (let r = 0; r < options.runs; r++) {
    log(`run ${r + 1} of ${options.runs}: ${rate}/s for ${options.seconds} s each`);
    for (const g of gateways) await one(g.name, g.service, next, g.take);
    await one('B1', b1, nextB1);
    await one(B1_AGAIN, b1Again, nextB1);
  }

  const m = machine();
  const cell = (s: Spread, digits: number) => `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
  const rows = [...results].map(([name, runs]) => {
    const of = (key: keyof GcRun) => spread(runs.map((run) => run[key]));
    const gc = name.startsWith('B1') ? '— | — | — | — | — | —' : `${cell(of('survivedMb'), 2)} | ${cell(of('promotedMb'), 2)} | ${cell(of('scavengePauseMs'), 1)} | ${runs.reduce((n, run) => n + run.fullCollections, 0)} | ${cell(of('longestPauseMs'), 1)} | ${cell(of('loopDelayMaxMs'), 0)}`;
    return `| ${name} | ${cell(of('p50'), 1)} | ${cell(of('p99'), 1)} | ${cell(of('cpuMsPerOp'), 2)} | ${gc} |`;
  });
  const markdown = [
    `# Garbage collection at a fixed rate: scenario 3 (nested, cache cold) at ${rate}/s, ${options.compiled ? 'compiled JavaScript' : 'on tsx'}`,
    '',
    `\`${options.command}\` · ${m.cpu}, ${m.cores} cores, Node ${m.node} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${options.runs} runs × ${options.seconds} s each, after 5 s flat out; medians [min–max] over runs; simulators at ${options.latency} ms`,
    '',
    '| process | p50 ms | p99 ms | CPU ms/op | survived per scavenge MB | promoted per scavenge MB | scavenge pause ms | full collections (all runs) | longest pause ms | longest event-loop delay ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  const name = `${options.compiled ? 'gc-compiled' : 'gc'}${options.latency === 0 ? '' : `-${options.latency}ms`}`;
  options.write(name, markdown, { rate, latency: options.latency, seconds: options.seconds, runs: Object.fromEntries(results) });
}
