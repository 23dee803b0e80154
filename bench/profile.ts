import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { summarise as summariseProfile, renderSummary } from './cpuprofile-summary.ts';
import { graphql, runLoad } from './load.ts';
import { machine } from './report.ts';
import { QUERIES, VARIANTS, loadFixtures, smokeCheck } from './scenarios.ts';
import { buildCompiled, startGateway, startSims } from './services.ts';

/**
 * `npm run bench -- --profile`: the cache-cold gateway under `node --cpu-prof`, driven with
 * scenario 3 (the nested three-system query, 10 connections, simulators at 0 ms) for
 * `seconds`, stopped gracefully so V8 writes the profile, then summarised by self and
 * inclusive time. The `.cpuprofile` stays in bench/results/profile/ (open it in Chrome DevTools
 * or speedscope for a flame graph).
 */

const DIR = 'bench/results/profile';

export async function runProfile(options: {
  seconds: number;
  compiled: boolean;
  log: (line: string) => void;
  write: (name: string, markdown: string, json: unknown) => void;
  command: string;
}): Promise<void> {
  const { log } = options;
  mkdirSync(DIR, { recursive: true });
  if (options.compiled) await buildCompiled();
  const { sims } = await startSims();
  const gateway = await startGateway({ name: 'gateway (profiled)', sims, compiled: options.compiled, connectorsDir: 'bench/cold-connectors', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', DIR] });
  const fixtures = await loadFixtures(sims, gateway);
  const next = graphql(QUERIES.nested, (i) => ({ after: fixtures.cursors[i % VARIANTS] }));
  await smokeCheck(gateway.url, next, 'profile');
  // The first seconds are start-up and JIT warm-up; they are in the profile too, and small.
  await runLoad({ url: gateway.url, next, connections: 10, seconds: 2 });
  log(`profiling the gateway (pid ${gateway.child.pid}) on scenario 3 for ${options.seconds} s`);
  const loadStarted = performance.now();
  const load = await runLoad({ url: gateway.url, next, connections: 10, seconds: options.seconds });
  const loadEnded = performance.now();
  log(`${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms while profiled`);
  await gateway.stop();
  // Start-up, warm-up and shutdown are in the profile too: count only the measured window.
  const window = { lastMs: loadEnded - loadStarted, skipTailMs: performance.now() - loadEnded };
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread (1 is tsx's loader).
  const files = readdirSync(DIR).filter((f) => f.includes(`.${gateway.child.pid}.0.`) && f.endsWith('.cpuprofile'));
  const file = files.map((f) => join(DIR, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!file) throw new Error(`the gateway wrote no .cpuprofile into ${DIR}`);
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')), 30, window);
  const m = machine();
  const markdown = [
    `# Where the gateway spends its time: scenario 3 (nested, cache cold), ${options.compiled ? 'compiled JavaScript' : 'on tsx'}`,
    '',
    `\`${options.command}\` · ${m.cpu}, ${m.cores} cores, Node ${m.node} · ${load.rps.toFixed(0)} req/s at 10 connections, simulators at 0 ms, profile \`${file}\` (the ${(window.lastMs / 1000).toFixed(1)} s under load only) · ${(summary.busyMs / Math.max(1, load.completed)).toFixed(1)} ms of sampled busy time per request (the profiler's own overhead included; the unprofiled CPU per request is in the results table)`,
    '',
    renderSummary(summary),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  options.write(options.compiled ? 'profile-compiled' : 'profile', markdown, { file, load, summary });
}
