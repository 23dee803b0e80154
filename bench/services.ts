import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextJsonLine, freePort, spawnNode, waitForHttp, type Child } from './processes.ts';
import type { SimInfo } from './upstream.ts';

/**
 * The systems under test, each a process of its own: the simulators, the gateway (as `npm start`
 * runs it, configured only through the environment) and the B1 aggregator.
 */

export type Sims = Record<string, SimInfo>;

export interface Service {
  child: Child;
  url: string;
  stop(): Promise<void>;
}

export async function startSims(): Promise<{ child: Child; sims: Sims }> {
  const child = spawnNode('simulators', 'bench/sims-process.ts', {});
  const ready = await nextJsonLine<{ sims: Sims }>(child);
  return { child, sims: ready.sims };
}

export async function setLatency(sims: Sims, latencyMs: number): Promise<void> {
  await Promise.all(Object.values(sims).map((s) => admin(s, 'config', { latencyMs })));
}

export async function admin(sim: SimInfo, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${sim.url}/__admin/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${sim.url}/__admin/${path} answered ${response.status}`);
  return response.json();
}

/** Calls each simulator has counted, by route, token requests left out (they are not per operation). */
export async function upstreamCalls(sims: Sims): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    Object.entries(sims).map(async ([name, sim]) => {
      const stats = (await admin(sim, 'stats?log=0')) as { byRoute: Record<string, number> };
      out[name] = Object.entries(stats.byRoute)
        .filter(([route]) => !/\/token\b/.test(route))
        .reduce((sum, [, n]) => sum + n, 0);
    }),
  );
  return out;
}

export interface GatewayOptions {
  name: string;
  sims: Sims;
  /** `bench/cold-connectors` for the cache-cold gateway; default the project's connectors. */
  connectorsDir?: string;
  /** `<NAME>_QUOTA` values that replace the default (100000/second and 64 at once, i.e. out of the way). */
  quotas?: Record<string, string>;
  /** More variables (query limits, say). */
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Run the JavaScript `buildCompiled()` emitted (as the Docker image does) instead of tsx. */
  compiled?: boolean;
}

export const BUILD_DIR = 'bench/.build';

/** Calls in flight per connector when its quota is lifted: more than any scenario's connections. */
const LIFTED_CONCURRENCY = 64;

/** The node flags `npm start` (package.json) and the image (Dockerfile, NODE_OPTIONS) run the gateway with. */
export const GATEWAY_NODE_FLAGS = ['--v8-pool-size=1', '--max-semi-space-size=32'];

/**
 * Emits the gateway as JavaScript into bench/.build (type checking skipped: others may be
 * mid-change), the way `npm run build` does for the image, plus the cold connectors.
 */
export async function buildCompiled(): Promise<void> {
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(
    join(BUILD_DIR, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.build.json',
      compilerOptions: { outDir: '.', rootDir: '../..', noCheck: true, incremental: false },
      include: ['../../src', '../../connectors', '../../demo', '../cold-connectors'],
    }),
  );
  const child = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(BUILD_DIR, 'tsconfig.json')], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`compiling the gateway into ${BUILD_DIR} failed (tsc exited with ${code})`);
}

/**
 * `node <GATEWAY_NODE_FLAGS> --import tsx src/cli.ts start` against the simulators. NODE_ENV is left unset
 * (development), DEMO off, every connector URL and credential set, quotas lifted unless a
 * scenario sets one, its own SQLite directory, no Redis or PostgreSQL.
 */
export async function startGateway(options: GatewayOptions): Promise<Service> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'interchange-bench-'));
  const env: Record<string, string | undefined> = {
    NODE_ENV: undefined,
    REDIS_URL: undefined,
    DATABASE_URL: undefined,
    DEMO: 'false',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    CONNECTORS_DIR: options.compiled ? join(BUILD_DIR, options.connectorsDir ?? 'connectors') : options.connectorsDir,
    ...options.env,
  };
  for (const [name, sim] of Object.entries(options.sims)) {
    const prefix = name.toUpperCase();
    env[`${prefix}_URL`] = sim.url;
    for (const [key, value] of Object.entries(sim.credentials)) env[`${prefix}_${key}`] = value;
    const quota = options.quotas?.[name];
    env[`${prefix}_QUOTA`] = quota ?? '100000/second';
    // Lifted with the rate: the simulators' own limits on calls at once are lifted too, and B1 has none.
    if (quota === undefined) env[`${prefix}_CONCURRENCY`] = String(LIFTED_CONCURRENCY);
  }
  const child = spawnNode(options.name, options.compiled ? join(BUILD_DIR, 'src/cli.js') : 'src/cli.ts', env, [...GATEWAY_NODE_FLAGS, ...(options.nodeArgs ?? [])]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`);
  return {
    child,
    url,
    async stop() {
      await child.stop(15_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBaseline(sims: Sims): Promise<Service> {
  const port = await freePort();
  const env: Record<string, string> = { PORT: String(port) };
  for (const name of ['shop', 'crm', 'accounting']) {
    const sim = sims[name]!;
    env[`${name.toUpperCase()}_URL`] = sim.url;
    for (const [key, value] of Object.entries(sim.credentials)) env[`${name.toUpperCase()}_${key}`] = value;
  }
  const child = spawnNode('B1 aggregator', 'bench/baseline-aggregator.ts', env);
  await nextJsonLine(child);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}
