import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { nextJsonLine, spawnNode, type Child } from './processes.ts';

/**
 * One load run. Without a rate: closed loop with autocannon, `connections` keep-alive
 * connections each sending its next request as soon as the previous one is answered. With a
 * rate: open loop, one request every 1/rate s on an undici pool, latency counted from when the
 * request was due (autocannon's own rate limit sends each second's quota in a burst at the start
 * of the second, which measures a burst, not a rate). Latencies are kept per response
 * (autocannon's histogram rounds to whole milliseconds, too coarse for sub-millisecond queries).
 */

export interface Req {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string;
  /** The next request to send; called once per request, so requests can rotate. */
  next: () => Req;
  connections: number;
  seconds: number;
  /** Requests per second over all connections (a fixed-rate run); default as fast as answered. */
  rate?: number;
}

export interface LoadResult {
  /** 2xx answers. */
  completed: number;
  /** Requests sent, answered or not (the gateway finishes those cut off at the end of the run). */
  sent: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Bytes of 2xx answers per request, on average. */
  bytesPerResponse: number;
  /** What went wrong, by status code or error message, when something did. */
  failures: Record<string, number>;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return spec.rate ? runPaced(spec, spec.rate) : runClosedLoop(spec);
}

function runClosedLoop(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        timeout: 30,
        // A copy of the headers each time: autocannon writes Content-Length into the object it is given.
        requests: [{ setupRequest: (request) => { const next = spec.next(); return { ...request, ...next, headers: { ...next.headers } }; } }],
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
        const failures: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) if (!code.startsWith('2')) failures[`HTTP ${code}`] = stat.count ?? 0;
        if (result.errors) failures['connection errors'] = result.errors;
        if (result.timeouts) failures.timeouts = result.timeouts;
        resolve({
          completed: latencies.length,
          sent: result.requests.sent,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          seconds,
          rps: latencies.length / seconds,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          bytesPerResponse: latencies.length === 0 ? 0 : bytes / latencies.length,
          failures,
        });
      },
    );
    // The tracker's 'response' event carries the client first; @types/autocannon types the client's.
    (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, resBytes: number, responseTime: number) => {
      if (status >= 200 && status < 300) {
        latencies.push(responseTime);
        bytes += resBytes;
      }
    });
  });
}

/** A fixed-rate run as the pacer process receives it: every request written out beforehand. */
export interface PacedRun {
  url: string;
  requests: Req[];
  rate: number;
  connections: number;
}

let pacer: Child | undefined;

/**
 * A fixed-rate run is sent from a process of its own (`pacer.ts`), started on first use: the
 * benchmark's process holds every result so far, and a pause of its collector would land in the
 * latencies of whatever it measures, gateway and B1 alike (a full collection every 1.4 s in a
 * full run, up to 33 ms). The pacer holds one run at a time.
 */
async function runPaced(spec: LoadSpec, rate: number): Promise<LoadResult> {
  if (!pacer || pacer.process.exitCode !== null || pacer.process.signalCode !== null) {
    pacer = spawnNode('pacer', 'bench/pacer.ts', {}, ['--expose-gc']);
    await nextJsonLine(pacer);
  }
  const run: PacedRun = { url: spec.url, rate, connections: spec.connections, requests: Array.from({ length: Math.round(rate * spec.seconds) }, () => spec.next()) };
  const answer = nextJsonLine<LoadResult>(pacer, (spec.seconds + 60) * 1000);
  pacer.process.stdin!.write(`${JSON.stringify(run)}\n`);
  return answer;
}

/** Requests in flight beyond this count as errors: the target is not keeping up with the rate. */
const MAX_IN_FLIGHT = 512;

/** Sends `run.requests` evenly at `run.rate`, latency counted from when each was due. */
export async function pace(run: PacedRun): Promise<LoadResult> {
  const { rate } = run;
  const pool = new Pool(run.url, { connections: Math.max(run.connections, 64), keepAliveTimeout: 10_000 });
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let bytes = 0;
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  const failures: Record<string, number> = {};
  const fail = (what: string) => void (failures[what] = (failures[what] ?? 0) + 1);
  const count = run.requests.length;
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait >= 1) await sleep(wait);
      if (pending.size >= MAX_IN_FLIGHT) {
        errors++;
        fail(`over ${MAX_IN_FLIGHT} in flight`);
        continue;
      }
      const req = run.requests[i]!;
      sent++;
      const one = pool
        .request({ method: req.method, path: req.path, headers: { ...req.headers }, body: req.body })
        .then(async (answer) => {
          const body = await answer.body.arrayBuffer();
          if (answer.statusCode >= 200 && answer.statusCode < 300) {
            latencies.push(performance.now() - due);
            bytes += body.byteLength;
          } else {
            non2xx++;
            fail(`HTTP ${answer.statusCode}`);
          }
        })
        .catch((error: unknown) => {
          errors++;
          fail(String((error as Error).message ?? error).slice(0, 80));
        })
        .finally(() => pending.delete(one));
      pending.add(one);
    }
    await Promise.all(pending);
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    sent,
    errors,
    non2xx,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    bytesPerResponse: latencies.length === 0 ? 0 : bytes / latencies.length,
    failures,
  };
}

/** A GraphQL POST whose variables change per request (`variables(i)` for the i-th request). */
export function graphql(query: string, variables?: (i: number) => Record<string, unknown>): () => Req {
  const headers = { 'content-type': 'application/json' };
  const fixed = variables ? undefined : JSON.stringify({ query });
  let i = 0;
  return () => ({ method: 'POST', path: '/graphql', headers, body: fixed ?? JSON.stringify({ query, variables: variables!(i++) }) });
}

/** Cycles through fixed requests, one after the other over all connections. */
export function rotate(requests: readonly Req[]): () => Req {
  let i = 0;
  return () => requests[i++ % requests.length]!;
}
