import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Budget, Row } from './measure.ts';
import { memoryMb, stopAll } from './processes.ts';
import { runGc } from './gc.ts';
import { runProfile } from './profile.ts';
import { PMS_QUOTA, rateLimited } from './rate-limited.ts';
import { checks, machine, render, type Check, type Report } from './report.ts';
import { coldReads, loadFixtures, verifySameAnswers, warmReads, type ReadContext } from './scenarios.ts';
import { GATEWAY_NODE_FLAGS, buildCompiled, setLatency, startBaseline, startGateway, startSims } from './services.ts';
import { runSoak } from './soak.ts';
import { webhookLatency } from './webhooks.ts';
import { fanOutWrites } from './writes.ts';

/**
 * `npm run bench` (full: 3 runs × 5 s per measurement, 5 runs for the half-peak comparison,
 * simulators at 0 and 10 ms per call, under ten minutes), `-- --quick` (1 run × 2 s, 0 ms only,
 * about a minute and a half), `-- --soak` (5 minutes of mixed load, RSS every 10 s),
 * `-- --profile` (a CPU profile of the gateway on scenario 3), `-- --gc` (scenario 3 at a fixed
 * rate under V8's GC trace, the gateway beside one with other node flags, and B1 twice).
 * `--compiled` runs the gateway as compiled JavaScript, as the Docker image does, instead of on
 * tsx. Loopback only; every child process is stopped on exit or Ctrl-C.
 */

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
    rate: { type: 'string' },
    against: { type: 'string' },
    latency: { type: 'string' },
    compiled: { type: 'boolean', default: false },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    'soak-seconds': { type: 'string' },
  },
  strict: true,
});

const RESULTS = 'bench/results';
const started = Date.now();
const startLoad = loadavg()[0]!;
const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

function write(name: string, markdown: string, json: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}/${name}.md`, `${markdown}\n`);
  writeFileSync(`${RESULTS}/${name}.json`, `${JSON.stringify(json, null, 2)}\n`);
}

/** The verdict of the last `--soak` run, if there is one (it is a separate, longer run). */
function lastSoak(): Check | undefined {
  try {
    const soak = JSON.parse(readFileSync(`${RESULTS}/soak.json`, 'utf8')) as { date?: string; holds: boolean; growthMb: number; minutes: number; liveFirstMb: number };
    return {
      target: 'no growth over a 5-minute soak (live heap after full GC)',
      measured: `${soak.liveFirstMb.toFixed(0)} MB live, trend ${soak.growthMb.toFixed(1)} MB over ${soak.minutes.toFixed(1)} min — from the last \`--soak\` run${soak.date ? ` (${soak.date})` : ''}, bench/results/soak.md`,
      pass: soak.holds,
    };
  } catch {
    return undefined;
  }
}

async function benchmark(): Promise<void> {
  const quick = args.quick;
  const budget: Budget = {
    runs: Number(args.runs ?? (quick ? 1 : 3)),
    halfPeakRuns: Number(args.runs ?? (quick ? 1 : 5)),
    seconds: Number(args.seconds ?? (quick ? 1.5 : 5)),
    warmupSeconds: quick ? 0.5 : 2,
  };
  const latencies = quick ? [0] : [0, 10];
  const compiled = args.compiled;
  const mode = `${quick ? 'quick' : 'full'}: ${budget.runs} run(s) × ${budget.seconds} s after ${budget.warmupSeconds} s warm-up per measurement (B0: ${Math.min(budget.seconds, 3)} s runs; ½-peak comparison: ${budget.halfPeakRuns} run(s)); simulator latency ${latencies.join(' and ')} ms per call; gateway ${compiled ? 'compiled to JavaScript (as in the image)' : 'on tsx (as `npm start`)'}`;
  log(`Interchange benchmark, ${mode}; load average ${startLoad.toFixed(1)} on ${machine().cores} cores`);

  if (compiled) await buildCompiled();
  const { child: simsChild, sims } = await startSims();
  const [warm, cold, b1] = await Promise.all([
    // Scenario 5 asks for ~2 MB in one query: far above the default cost budget (QUERY_MAX_COST=10000).
    startGateway({ name: 'gateway (warm)', sims, compiled, env: { QUERY_MAX_COST: '1000000' } }),
    startGateway({ name: 'gateway (cold)', sims, compiled, connectorsDir: 'bench/cold-connectors', quotas: { pms: `${PMS_QUOTA}/second` } }),
    startBaseline(sims),
  ]);
  log(`simulators pid ${simsChild.pid}, gateway (real connectors) pid ${warm.child.pid}, gateway (cold connectors) pid ${cold.child.pid}, B1 pid ${b1.child.pid}`);
  const fixtures = await loadFixtures(sims, cold);
  const ctx: ReadContext = { sims, simsPid: simsChild.pid, warm, cold, b1, fixtures, budget, log };
  const problems = await verifySameAnswers(ctx);
  for (const p of problems) log(`PROBLEM: ${p}`);

  const rows: Row[] = [];
  for (const latency of latencies) {
    await setLatency(sims, latency);
    log(`scenarios 2 and 3 with the simulators at ${latency} ms per call`);
    rows.push(...(await coldReads(ctx, latency)));
  }
  await setLatency(sims, 0);
  log('scenarios 1, 4, 5 (warm gateway)');
  rows.push(...(await warmReads(ctx)));
  log('scenario 6 (rate-limited)');
  const limited = await rateLimited({ sims, cold, budget, log });
  rows.push(...limited.rows);
  log('scenario 7 (fan-out writes)');
  const writes = await fanOutWrites({ sims, warm, budget, log });
  rows.push(writes.row);
  log('scenario 8 (webhook → subscriber)');
  const webhooks = await webhookLatency({ sims, warm, budget, log });
  rows.push(webhooks.row);

  const hwm = { warm: memoryMb(warm.child.pid).hwm, cold: memoryMb(cold.child.pid).hwm, b1: memoryMb(b1.child.pid).hwm };
  const report: Report = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    command,
    mode,
    machine: machine(startLoad),
    rows,
    checks: checks(rows, limited.check, lastSoak()),
    notes: [
      `Processes: the six simulators in one child process, each gateway in its own (${compiled ? `\`node ${GATEWAY_NODE_FLAGS.join(' ')} bench/.build/src/cli.js start\`, compiled with tsc as \`npm run build\` does` : `\`node ${GATEWAY_NODE_FLAGS.join(' ')} --import tsx src/cli.ts start\``}, node flags as \`npm start\` and the image, NODE_ENV unset, configured only by environment variables), B1 in its own; closed-loop load from the benchmark process, fixed-rate load from a process of its own (\`bench/pacer.ts\`).`,
      'Gateway configuration: every `<NAME>_QUOTA=100000/second` and `<NAME>_CONCURRENCY=64` (out of the way, like the simulators’ own limits), except `PMS_QUOTA=50/second` with the PMS connector’s declared concurrency in scenario 6; `QUERY_MAX_COST=1000000` on the warm gateway for scenario 5. SQLite outbox in a temporary directory, no Redis.',
      'Cache cold (scenarios 2, 3, 6): a second gateway with `CONNECTORS_DIR=bench/cold-connectors` — the same connectors with TTL 0 and a unique parameter on every batch call (see `bench/cold-connectors/_cold.ts`), and requests rotating over 100 different pages, so no two operations share an upstream call and every operation makes the full upstream plan, as B1 does. Cache warm (1, 4, 5, 7, 8): the gateway with the real connectors.',
      'Closed-loop runs: autocannon, 10 connections at 0 ms, 40 at 10 ms (1 for the large response). Fixed-rate runs (“@ ½ peak”, scenario 6 below quota): open loop, evenly paced, latency from the due time, sent by the pacer process, whose heap is collected before each run (the benchmark process, which holds every result, had a full collection every 1.4 s on average, 328 of 402 in a 9-minute run longer than 5 ms, up to 33 ms). Gateway, B1 and B0 of one scenario take turns run by run; B0’s runs last 3 s, and the half-peak comparison takes five turns instead of three: a 5 s run there holds ~850 answers, so one stall anywhere on the machine sets its p99, and two identical processes measured in turns (`--gc`) land 5–14 ms apart in medians of seven runs.',
      'The simulators’ own vendor rate limits are lifted (they would answer 429 well before the gateway’s limits); scenario 6 checks the gateway’s quota against the PMS simulator’s call log.',
      `B1 answers were ${problems.length ? `NOT identical to the gateway's: ${problems.join('; ')}` : "checked identical to the gateway's (deep equality) before measuring"}.`,
      `Gateway high-water RSS (VmHWM) over the whole run: real connectors ${hwm.warm.toFixed(0)} MB, cold connectors ${hwm.cold.toFixed(0)} MB; B1 ${hwm.b1.toFixed(0)} MB.`,
    ],
    todo: [],
    quota: limited.check,
    extra: { writes: writes.stats, webhooks: webhooks.stats, highWaterRssMb: hwm, problems },
  };
  const markdown = render(report);
  process.stdout.write(`\n${markdown}\n`);
  write('latest', markdown, report);
  write(`${quick ? 'quick' : 'full'}${compiled ? '-compiled' : ''}`, markdown, report);
  log(`written to ${RESULTS}/latest.md and latest.json`);
}

async function main(): Promise<void> {
  try {
    if (args.soak) await runSoak({ seconds: Number(args['soak-seconds'] ?? 300), compiled: args.compiled, log, write, command });
    else if (args.gc) await runGc({ rate: Number(args.rate ?? 76), against: args.against ?? '--allocation-site-pretenuring', seconds: Number(args.seconds ?? 10), runs: Number(args.runs ?? 3), latency: Number(args.latency ?? 0), compiled: args.compiled, log, write, command });
    else if (args.profile) await runProfile({ seconds: Number(args.seconds ?? 10), compiled: args.compiled, log, write, command });
    else await benchmark();
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
