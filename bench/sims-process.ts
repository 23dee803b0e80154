import { startSimulators } from '../demo/index.ts';

/**
 * The six vendor simulators in a process of their own, so that the load generator and the
 * simulators do not share one event loop (each would add latency to the other). Prints one JSON
 * line `{ sims: { name: { url, credentials } } }` once they listen; stops on SIGTERM or when the
 * benchmark (its parent) goes away.
 *
 * The vendors' own rate limits are lifted far out of reach (`relaxed` is only ×1000: Xero's
 * 60,000 calls a minute would answer 429 in the middle of a run). Quotas are the gateway's job
 * here; the rate-limited scenario checks them against the call log, not against a 429.
 */

const sims = await startSimulators({ limits: 'relaxed', latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0) });

function lifted(settings: Record<string, unknown>, underLimit = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const limitKey = underLimit || /limit/i.test(key);
    if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = lifted(value as Record<string, unknown>, limitKey);
    else if (typeof value === 'number' && limitKey && !/interval|ms$/i.test(key)) out[key] = 1e12;
  }
  return out;
}

for (const sim of Object.values(sims)) {
  const current = (await (await fetch(`${sim.url}/__admin/config`)).json()) as Record<string, unknown>;
  const { latencyMs: _latency, ...settings } = current;
  const patch = lifted(settings);
  const response = await fetch(`${sim.url}/__admin/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  if (!response.ok) throw new Error(`${sim.name}: could not lift its limits: ${await response.text()}`);
}

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await Promise.all(Object.values(sims).map((s) => s.close()));
  process.exit(0);
}
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
process.stdin.on('end', () => void close());
process.stdin.resume();

const described = Object.fromEntries(Object.values(sims).map((s) => [s.name, { url: s.url, credentials: s.credentials }]));
process.stdout.write(`${JSON.stringify({ sims: described })}\n`);
