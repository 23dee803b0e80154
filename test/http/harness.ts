import { Keyv } from 'keyv';
import { afterEach } from 'vitest';
import { normalizeConnector } from '../../src/connectors/normalize.ts';
import { createUpstream, type UpstreamDeps } from '../../src/http/upstream.ts';
import type { Upstream, UpstreamRequest } from '../../src/http/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { startBackend, type Backend, type Handler } from '../support/backend.ts';

/**
 * What every `http/` suite needs: a scripted backend, a connector built the way start-up builds
 * it, and an upstream whose metrics and log lines the test can read. Everything opened here is
 * closed after each test.
 */

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

export interface Harness {
  backend: Backend;
  upstream: Upstream;
  metrics: Metrics;
  /** Parsed log lines written so far. */
  logs: () => Array<Record<string, unknown>>;
  /** Raw log text, to assert what never appears in it. */
  logText: () => string;
}

export async function startBackendForTest(handler?: Handler): Promise<Backend> {
  const backend = await startBackend(handler);
  open.push(() => backend.close());
  return backend;
}

let counter = 0;
/** Connector names are unique per test, so Redis keys of one test never meet another's. */
export const uniqueName = (prefix: string) => `${prefix}${process.pid}x${++counter}x${Math.floor(Math.random() * 1e6)}`;

export function buildUpstream(definition: Record<string, unknown>, deps: Partial<UpstreamDeps> & { baseUrl: string }): Omit<Harness, 'backend'> {
  const connector = normalizeConnector({ name: 'crm', endpoints: { contact: { path: '/contacts/{id}', args: ['id'] } }, ...definition }, 'test');
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });
  const lines: string[] = [];
  const logger = deps.logger ?? createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const upstream = createUpstream(connector, { secrets: {}, tokens: new Keyv(), metrics, logger, ...deps });
  open.push(() => upstream.close());
  return {
    upstream,
    metrics,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join(''),
  };
}

export async function harness(definition: Record<string, unknown>, options: { handler?: Handler; deps?: Partial<UpstreamDeps>; basePath?: string } = {}): Promise<Harness> {
  const backend = await startBackendForTest(options.handler);
  const built = buildUpstream(definition, { baseUrl: `${backend.url}${options.basePath ?? ''}`, ...options.deps });
  return { ...built, backend };
}

export const get = (path: string, extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  endpoint: 'contact',
  method: 'GET',
  path,
  idempotent: true,
  ...extra,
});

export const post = (path: string, body: unknown, extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  endpoint: 'createContact',
  method: 'POST',
  path,
  body,
  idempotent: false,
  ...extra,
});

/** The value of one labelled series in the Prometheus text, or undefined when absent. */
export async function series(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const parts = inside.split(',');
    if (want.every((w) => parts.includes(w)) && parts.length === want.length) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the call succeeded');
}
