import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Child } from './processes.ts';

/**
 * Just enough of the Chrome DevTools protocol to ask a child started with
 * `--inspect=127.0.0.1:0` for a full garbage collection and its live JS heap: the soak's leak
 * signal (RSS alone is a sawtooth that follows the collector, not the live data).
 */

export interface Inspector {
  /** Full GC, then the JS heap still in use, MB. */
  liveHeapMb(): Promise<number>;
  close(): void;
}

export async function connectInspector(child: Child, timeoutMs = 15_000): Promise<Inspector> {
  const until = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url && Date.now() < until) {
    url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(child.stderr())?.[1];
    if (!url) await sleep(100);
  }
  if (!url) throw new Error(`${child.name}: no inspector URL on stderr (was it started with --inspect=127.0.0.1:0?)`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let id = 0;
  const waiting = new Map<number, (message: { result?: any; error?: { message: string } }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id !== undefined) waiting.get(message.id)?.(message);
    if (message.id !== undefined) waiting.delete(message.id);
  });
  const call = (method: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const n = ++id;
      waiting.set(n, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      socket.send(JSON.stringify({ id: n, method }));
    });
  return {
    async liveHeapMb() {
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize / 2 ** 20;
    },
    close: () => socket.close(),
  };
}
