import { graphql, runLoad, type Req } from './load.ts';
import { memoryMb } from './processes.ts';
import { machine } from './report.ts';
import { QUERIES, VARIANTS, loadFixtures } from './scenarios.ts';
import { startGateway, startSims } from './services.ts';

/**
 * `npm run bench -- --soak`: the gateway with its real connectors (cache on) under mixed load —
 * the nested query over 100 pages (cache entries expire and are refetched), the flat list, the
 * trivial query — for five minutes at 10 connections, its RSS sampled every 10 s. Reports the
 * least-squares slope of RSS after the first minute (start-up and JIT growth left out).
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
  log: (line: string) => void;
  write: (name: string, markdown: string, json: unknown) => void;
  command: string;
}): Promise<void> {
  const { log } = options;
  const { sims } = await startSims();
  const gateway = await startGateway({ name: 'gateway (soak)', sims });
  const fixtures = await loadFixtures(sims, gateway);
  const producers = [
    graphql(QUERIES.nested, (i) => ({ after: fixtures.cursors[i % VARIANTS] })),
    graphql(QUERIES.flat, (i) => ({ after: fixtures.cursors[(i * 7) % VARIANTS] })),
    graphql(QUERIES.trivial),
  ];
  let turn = 0;
  const next = (): Req => producers[turn++ % producers.length]!();
  const pid = gateway.child.pid;
  const samples: Array<{ atS: number; rssMb: number }> = [];
  const started = Date.now();
  const sample = () => {
    const rssMb = memoryMb(pid).rss;
    samples.push({ atS: (Date.now() - started) / 1000, rssMb });
    log(`  RSS ${rssMb.toFixed(1)} MB`);
  };
  sample();
  const timer = setInterval(sample, EVERY_MS);
  log(`soak: ${options.seconds} s of mixed load on the gateway (pid ${pid}), RSS every ${EVERY_MS / 1000} s`);
  const load = await runLoad({ url: gateway.url, next, connections: 10, seconds: options.seconds });
  clearInterval(timer);
  sample();
  const hwm = memoryMb(pid).hwm;
  await gateway.stop();

  const settleS = Math.min(60, options.seconds / 5);
  const steady = samples.filter((s) => s.atS >= settleS);
  // RSS under load is a sawtooth (the heap grows until a major GC). A leak shows as rising
  // troughs: fit the slope through the lowest sample of each minute, and through all samples.
  const bucketS = Math.min(60, Math.max(10, (options.seconds - settleS) / 4));
  const troughs = new Map<number, { x: number; y: number }>();
  for (const s of steady) {
    const bucket = Math.floor((s.atS - settleS) / bucketS);
    const low = troughs.get(bucket);
    if (!low || s.rssMb < low.y) troughs.set(bucket, { x: s.atS / 60, y: s.rssMb });
  }
  const perMinute = slope([...troughs.values()]);
  const allPerMinute = slope(steady.map((s) => ({ x: s.atS / 60, y: s.rssMb })));
  const lows = [...troughs.values()];
  const first = lows[0]?.y ?? Number.NaN;
  const last = lows.at(-1)?.y ?? Number.NaN;
  const minutes = ((steady.at(-1)?.atS ?? 0) - (steady[0]?.atS ?? 0)) / 60;
  const growthMb = perMinute * minutes;
  // "No growth": the troughs' trend adds less than 2 % (or 2 MB) over the steady part of the run.
  const holds = growthMb < Math.max(2, 0.02 * first);
  const m = machine();
  const markdown = [
    '# Soak',
    '',
    `\`${options.command}\` · ${m.cpu}, ${m.cores} cores, Node ${m.node}`,
    '',
    `${options.seconds} s at 10 connections, nested (100 pages) / flat / trivial in turn: ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms, ${load.errors + load.non2xx} failed.`,
    '',
    `RSS troughs (lowest sample per ${bucketS.toFixed(0)} s) after the first ${settleS.toFixed(0)} s: ${first.toFixed(1)} → ${last.toFixed(1)} MB, slope ${perMinute.toFixed(2)} MB/min (${growthMb.toFixed(1)} MB over ${minutes.toFixed(1)} min); slope through all samples ${allPerMinute.toFixed(2)} MB/min; highest sample ${Math.max(...samples.map((s) => s.rssMb)).toFixed(0)} MB, high-water ${hwm.toFixed(0)} MB. No growth: **${holds ? 'holds' : 'FAILS'}**.`,
    '',
    '| s | RSS MB |',
    '|--:|--:|',
    ...samples.map((s) => `| ${s.atS.toFixed(0)} | ${s.rssMb.toFixed(1)} |`),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  options.write('soak', markdown, { load, samples, troughs: lows, slopeMbPerMinute: perMinute, allSamplesSlopeMbPerMinute: allPerMinute, growthMb, highWaterMb: hwm, holds });
}
