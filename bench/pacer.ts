import { createInterface } from 'node:readline';
import { pace, type PacedRun } from './load.ts';

/**
 * The benchmark's fixed-rate load generator, a process of its own (see `runPaced` in
 * `load.ts`): reads one run per line on stdin, answers its result as one line on stdout.
 */

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const run = JSON.parse(line) as PacedRun;
  // Started with --expose-gc: each run starts on a collected heap, so no full collection of the
  // previous run's garbage falls inside this one.
  globalThis.gc?.();
  const result = await pace(run);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
