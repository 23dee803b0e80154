import { connectInspector } from './inspector.ts';
import { graphql, runLoad, type Req } from './load.ts';
import { memoryMb } from './processes.ts';
import { machine } from './report.ts';
import { QUERIES, VARIANTS, loadFixtures } from './scenarios.ts';
import { GATEWAY_NODE_FLAGS, buildCompiled, startGateway, startSims } from './services.ts';

/**
 * `npm run bench -- --soak`: the gateway with its real connectors (cache on) under mixed load —
 * the nested query over 100 pages (cache entries expire and are refetched), the flat list, the
 * trivial query — for five minutes at 10 connections. Every 10 s: its RSS, then (through the
 * inspector, loopback only) a full GC and the live JS heap. The verdict is the least-squares
 * slope of the live heap after the first minute (start-up and JIT growth left out); RSS gives
 * the peak and the sawtooth.
 */

const EVERY_MS = 10_000;

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

export async function runSoak(options: {
  seconds: number;
  /** The gateway as the image runs it (JavaScript from `buildCompiled()`) instead of tsx. */
  compiled?: boolean | undefined;
  log: (line: string) => void;
  write: (name: string, markdown: string, json: unknown) => void;
  command: string;
}): Promise<void> {
  const { log } = options;
  if (options.compiled) await buildCompiled();
  const { sims } = await startSims();
  const gateway = await startGateway({ name: 'gateway (soak)', sims, compiled: options.compiled, nodeArgs: ['--inspect=127.0.0.1:0'] });
  const inspector = await connectInspector(gateway.child);
  const fixtures = await loadFixtures(sims, gateway);
  const producers = [
    graphql(QUERIES.nested, (i) => ({ after: fixtures.cursors[i % VARIANTS] })),
    graphql(QUERIES.flat, (i) => ({ after: fixtures.cursors[(i * 7) % VARIANTS] })),
    graphql(QUERIES.trivial),
  ];
  let turn = 0;
  const next = (): Req => producers[turn++ % producers.length]!();
  const pid = gateway.child.pid;
  const samples: Array<{ atS: number; rssMb: number; liveHeapMb: number }> = [];
  const started = Date.now();
  const sample = async () => {
    const atS = (Date.now() - started) / 1000;
    const rssMb = memoryMb(pid).rss;
    const liveHeapMb = await inspector.liveHeapMb();
    samples.push({ atS, rssMb, liveHeapMb });
    log(`  RSS ${rssMb.toFixed(1)} MB, live heap after a full GC ${liveHeapMb.toFixed(1)} MB`);
  };
  await sample();
  const timer = setInterval(() => void sample(), EVERY_MS);
  log(`soak: ${options.seconds} s of mixed load on the gateway (pid ${pid}), RSS every ${EVERY_MS / 1000} s`);
  const load = await runLoad({ url: gateway.url, next, connections: 10, seconds: options.seconds });
  clearInterval(timer);
  await sample();
  const hwm = memoryMb(pid).hwm;
  inspector.close();
  await gateway.stop();

  const a = analyse(samples, options.seconds);
  const m = machine();
  const markdown = [
    '# Soak',
    '',
    `\`${options.command}\` · ${m.cpu}, ${m.cores} cores, Node ${m.node}`,
    '',
    `The gateway ${options.compiled ? 'compiled to JavaScript, as the image runs it' : 'on tsx, as `npm start` runs it'} (\`${GATEWAY_NODE_FLAGS.join(' ')}\`). ${options.seconds} s at 10 connections, nested (100 pages) / flat / trivial in turn: ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, ${load.errors + load.non2xx} failed.`,
    '',
    `${describeSoak(a)}. RSS: highest sample ${Math.max(...samples.map((s) => s.rssMb)).toFixed(0)} MB, high-water ${hwm.toFixed(0)} MB. No growth: **${a.holds ? 'holds' : 'FAILS'}**.`,
    '',
    '| s | RSS MB | live heap after full GC, MB |',
    '|--:|--:|--:|',
    ...samples.map((s) => `| ${s.atS.toFixed(0)} | ${s.rssMb.toFixed(1)} | ${s.liveHeapMb.toFixed(1)} |`),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  options.write('soak', markdown, { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', load, samples, ...a, highWaterMb: hwm });
}

export interface SoakAnalysis {
  settleS: number;
  /** Live heap after a full GC, from the first to the last sample after settling. */
  liveFirstMb: number;
  liveLastMb: number;
  slopeMbPerMinute: number;
  minutes: number;
  growthMb: number;
  holds: boolean;
}

/** Fits the live heap (after a forced full GC, so no sawtooth) from the end of the first minute on. */
export function analyse(samples: ReadonlyArray<{ atS: number; liveHeapMb: number }>, seconds: number): SoakAnalysis {
  const settleS = Math.min(60, seconds / 5);
  const steady = samples.filter((s) => s.atS >= settleS);
  const slopeMbPerMinute = slope(steady.map((s) => ({ x: s.atS / 60, y: s.liveHeapMb })));
  const minutes = ((steady.at(-1)?.atS ?? 0) - (steady[0]?.atS ?? 0)) / 60;
  const growthMb = slopeMbPerMinute * minutes;
  const liveFirstMb = steady[0]?.liveHeapMb ?? Number.NaN;
  // "No growth": the fitted trend adds less than 2 % of the live heap (or 1 MB) over the run.
  const holds = Number.isFinite(growthMb) && growthMb < Math.max(1, 0.02 * liveFirstMb);
  return { settleS, liveFirstMb, liveLastMb: steady.at(-1)?.liveHeapMb ?? Number.NaN, slopeMbPerMinute, minutes, growthMb, holds };
}

export function describeSoak(a: SoakAnalysis): string {
  return `Live JS heap after a full GC, after the first ${a.settleS.toFixed(0)} s: ${a.liveFirstMb.toFixed(1)} → ${a.liveLastMb.toFixed(1)} MB, least-squares slope ${a.slopeMbPerMinute.toFixed(2)} MB/min (${a.growthMb.toFixed(1)} MB over ${a.minutes.toFixed(1)} min)`;
}
