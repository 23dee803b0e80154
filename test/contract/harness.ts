import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Keyv } from 'keyv';
import { loadConnectors } from '../../src/connectors/load.ts';
import type { NormalizedConnector } from '../../src/connectors/normalize.ts';
import { createConnectorRuntime, type ConnectorRuntime } from '../../src/connectors/runtime.ts';
import { createUpstream } from '../../src/http/upstream.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { RunningSimulator } from '../../demo/index.ts';

/** The reference connectors, loaded and validated as the gateway loads them. */
export const connectors: Promise<Map<string, NormalizedConnector>> = loadConnectors('connectors').then((list) => new Map(list.map((c) => [c.name, c])));

/**
 * One connector's runtime against a base URL (its simulator, or a proxy in front of it), built
 * the way the gateway builds it, with its own cache and metrics.
 */
export async function runtimeFor(name: string, baseUrl: string, sim: RunningSimulator): Promise<ConnectorRuntime & { metrics: ReturnType<typeof createMetrics> }> {
  const connector = (await connectors).get(name)!;
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger({ level: 'silent' });
  const secrets = Object.fromEntries(connector.secrets.map((s) => [s, sim.credentials[s] ?? '']));
  const upstream = createUpstream({ ...connector, quota: undefined }, { baseUrl, secrets, tokens: new Keyv(), metrics, logger });
  const runtime = createConnectorRuntime({ connectors: [connector], upstreams: new Map([[name, upstream]]), settings: { [name]: secrets }, cache: new Keyv(), metrics });
  return Object.assign(runtime, { metrics });
}

/** Calls the simulator saw on routes containing `route`, since the last reset. */
export async function callsTo(sim: RunningSimulator, route: string): Promise<Array<{ route: string; status: number; path: string }>> {
  const stats = (await (await fetch(`${sim.url}/__admin/stats`)).json()) as { log: Array<{ route: string; status: number; path: string }> };
  return stats.log.filter((c) => c.route.includes(route));
}

export async function admin(sim: RunningSimulator, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${sim.url}/__admin/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`admin ${path} answered ${response.status}: ${await response.text()}`);
}

/**
 * A backend that lies: forwards to the simulator and deletes one property wherever it occurs in a
 * JSON answer, as a vendor changing its API would.
 */
export async function startDriftProxy(target: string, property: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        if ((answer.headers['content-type'] ?? '').includes('json') && !(req.url ?? '').includes('token')) body = JSON.stringify(strip(JSON.parse(body), property));
        const headers = { ...answer.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function strip(value: unknown, property: string): unknown {
  if (Array.isArray(value)) return value.map((v) => strip(v, property));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== property).map(([k, v]) => [k, strip(v, property)]));
  }
  return value;
}
