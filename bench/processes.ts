import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Child processes of the benchmark (simulators, gateways, the hand-written aggregator) and what
 * Linux tells us about them. Every child is registered here and is ended when the benchmark
 * ends, however it ends: normal exit, Ctrl-C, SIGTERM or an uncaught error. Only these pids are
 * ever signalled.
 */

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Last lines of stderr, for the error message when it dies early. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Last resort: whatever is still running when this process exits is killed outright.
  process.on('exit', () => {
    for (const child of children) child.process.kill('SIGKILL');
  });
  const interrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the benchmark's child processes\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/**
 * Starts `node --import tsx <script>` (plain `node <script>` for compiled JavaScript, plus
 * `nodeArgs`) in the project root; an `undefined` in `env` removes that variable.
 */
export function spawnNode(name: string, script: string, env: Record<string, string | undefined>, nodeArgs: string[] = []): Child {
  hookExit();
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script, ...(/cli\.(ts|js)$/.test(script) ? ['start'] : [])], {
    cwd: process.cwd(),
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${script}`);
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const entry: Child = {
    name,
    pid: child.pid,
    process: child,
    stderr: () => tail,
    async stop(graceMs = 8_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      children.delete(entry);
    },
  };
  children.add(entry);
  void exited.then(() => children.delete(entry));
  return entry;
}

/** Resolves with the next stdout line that parses as JSON (a child's "ready" message, or its answer). */
export function nextJsonLine<T>(child: Child, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const done = () => {
      clearTimeout(timer);
      child.process.stdout!.off('data', onData);
      child.process.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name} did not answer in ${timeoutMs} ms\n${child.stderr()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as T;
          done();
          resolve(parsed);
          return;
        } catch {
          // not a JSON line
        }
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${child.name} exited with ${code} before it answered\n${child.stderr()}`));
    };
    child.process.stdout!.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/** Polls `url` until it answers 200. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with ${child.process.exitCode}\n${child.stderr()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms\n${child.stderr()}`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const TICKS_PER_SECOND = 100; // USER_HZ; `getconf CLK_TCK` is 100 on Linux

/** User + system CPU time of a process (all its threads) in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Resident set (VmRSS) and its high-water mark (VmHWM) in MB. */
export function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest value seen. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = memoryMb(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryMb(pid).rss);
    } catch {
      // the process is gone; keep what was seen
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, memoryMb(pid).rss);
      } catch {
        // gone
      }
      return peak;
    },
  };
}
