import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RunningSimulator, SimulatorName } from '../../../demo/index.ts';

/**
 * Real gateway processes (`node --import tsx src/cli.ts start`) and real CLI runs, as an operator
 * would start them: configuration through the environment only. Every child this module starts
 * is remembered until it exits, so `killAll()` in an afterAll (or the worker's own exit) leaves
 * nothing running.
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** What a child inherits: enough to run node, nothing from the test's own configuration. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The environment that points a gateway at running simulators: URL, every credential, a roomy quota. */
export function connectorEnv(sims: Record<SimulatorName, RunningSimulator>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, sim] of Object.entries(sims)) {
    const prefix = name.toUpperCase();
    env[`${prefix}_URL`] = sim.url;
    env[`${prefix}_QUOTA`] = '1000/second';
    for (const [key, value] of Object.entries(sim.credentials)) env[`${prefix}_${key}`] = value;
  }
  return env;
}

export interface GatewayProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** stdout and stderr so far (the last 64 kB). */
  output(): string;
  /** Resolves once the process has exited, with its signal or code. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `interchange start` with `env` on `port` and resolves when /readyz answers 200. Rejects
 * with the process's output if it exits first or is not ready within `readyTimeoutMs`.
 */
export async function spawnGateway(name: string, env: Record<string, string>, options: { port?: number; readyTimeoutMs?: number } = {}): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: { ...baseEnv(), LOG_LEVEL: 'warn', DEMO: 'false', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-65_536);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`gateway ${name} exited before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway ${name} was not ready on ${url} in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    url,
    pid: child.pid!,
    output: () => output,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Kills every child still running (SIGKILL) and waits for them to go. */
export async function killAll(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx interchange <args>` as a child process (bin/interchange.js, which runs the TypeScript CLI). */
export function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/interchange.js', ...args], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface GraphqlAnswer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

export async function graphql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<GraphqlAnswer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as GraphqlAnswer['body'] };
}
