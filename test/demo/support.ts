import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningSimulator } from '../../demo/index.ts';

/** Test helpers: plain HTTP against a simulator, its admin routes, and a webhook receiver. */

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

export async function call(base: string, path: string, init: CallInit = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  } else if (init.form !== undefined) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  const res = await fetch(base + path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // plain-text answers (Xero's 404) stay text
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export const admin = {
  faults: (sim: RunningSimulator, spec: unknown) => call(sim.url, '/__admin/faults', { json: spec }),
  config: (sim: RunningSimulator, patch: unknown) => call(sim.url, '/__admin/config', { json: patch }),
  stats: async (sim: RunningSimulator) => (await call(sim.url, '/__admin/stats')).body,
  resetStats: (sim: RunningSimulator) => call(sim.url, '/__admin/stats/reset', { method: 'POST' }),
  webhook: (sim: RunningSimulator, url: string) => call(sim.url, '/__admin/webhooks', { json: { url } }),
  clearWebhooks: (sim: RunningSimulator) => call(sim.url, '/__admin/webhooks', { method: 'DELETE' }),
  emit: (sim: RunningSimulator, type: string, id: string) => call(sim.url, '/__admin/emit', { json: { type, id } }),
  records: async (sim: RunningSimulator, collection: string) => (await call(sim.url, `/__admin/records/${collection}`)).body as Array<Record<string, unknown>>,
};

export interface ReceivedWebhook {
  method: string;
  /** The full URL the simulator posted to, as the receiver saw it. */
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface WebhookReceiver {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; post targets are `${url}/hooks/…`. */
  url: string;
  /** Resolves with the next delivery (or one already received and not yet taken). */
  next(timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const queue: ReceivedWebhook[] = [];
  const waiting: Array<(w: ReceivedWebhook) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', url: `http://${req.headers.host ?? ''}${req.url ?? ''}`, headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      const waiter = waiting.shift();
      if (waiter) waiter(received);
      else queue.push(received);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    next(timeoutMs = 2_000) {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no webhook arrived within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((w) => {
          clearTimeout(timer);
          resolve(w);
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let counter = 0;
/** A value unique within the test run, for emails, names and keys. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}
