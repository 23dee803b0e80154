import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin, type Runtime } from './admin.ts';
import { BodyTooLargeError, parseBody, readBody } from './body.ts';
import { Faults } from './faults.ts';
import { createRandom } from './ids.ts';
import { Router, type RouteMatch } from './router.ts';
import { CallStats } from './stats.ts';
import type { Reply, RequestContext, VendorSimulator } from './types.ts';
import { WebhookDispatcher } from './webhooks.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Seeds the fault PRNG (errorRate) so fault runs repeat. */
  seed?: number;
}

export interface ServingSimulator {
  url: string;
  close(): Promise<void>;
}

/** Serves one vendor over node:http with the shared pipeline and the `/__admin` routes. */
export async function serveSimulator(vendor: VendorSimulator, options: ServeOptions = {}): Promise<ServingSimulator> {
  const rt: Runtime = {
    vendor,
    stats: new CallStats(),
    faults: new Faults(createRandom((options.seed ?? 42) ^ 0x5eed)),
    webhooks: new WebhookDispatcher(vendor.webhooks),
    latencyMs: options.latencyMs ?? 0,
  };
  const router = new Router(vendor.routes);
  const server = createServer((req, res) => {
    handle(rt, router, req, res).catch((err: unknown) => {
      console.error(`[demo:${vendor.name}] request failed`, err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(rt: Runtime, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const baseUrl = `http://${req.headers.host ?? 'localhost'}`;
  let rawBody: string;
  try {
    rawBody = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLargeError && !res.headersSent) res.writeHead(413).end();
    return;
  }
  if (path === '/__admin' || path.startsWith('/__admin/')) {
    send(res, await handleAdmin(rt, method, path, query, rawBody, baseUrl), {});
    return;
  }

  const match = router.match(method, path);
  const route = match ? `${method} ${match.spec.path}` : `${method} (no route)`;
  const parsed = parseBody(req.headers['content-type'], rawBody);
  const pending: unknown[] = [];
  const deferred: Array<() => void> = [];
  const ctx: RequestContext = {
    method,
    path,
    url,
    route,
    params: match?.params ?? {},
    query,
    headers: req.headers,
    rawBody,
    body: parsed.ok ? parsed.value : undefined,
    baseUrl,
    now: Date.now(),
    responseHeaders: {},
    header(name) {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    emit: (payload) => pending.push(payload),
    defer: (fn) => deferred.push(fn),
  };

  let reply: Reply;
  let lose = false;
  try {
    rt.vendor.decorate?.(ctx);
    const write = match ? (match.spec.write ?? method !== 'GET') : false;
    const fault = rt.faults.decide(route);
    const latency = rt.latencyMs + fault.latencyMs;
    const early = earlyReply(rt.vendor, ctx, match, fault.status, fault.retryAfterSeconds, parsed.ok ? undefined : parsed.message);
    if (latency > 0) await sleep(latency);
    if (early) reply = early;
    else {
      lose = write && rt.faults.takeLoss(route);
      reply = await match!.spec.handle(ctx);
    }
  } catch (err) {
    console.error(`[demo:${rt.vendor.name}] ${route} threw`, err);
    reply = rt.vendor.errorReply(ctx, 500);
  } finally {
    for (const fn of deferred) fn();
  }

  rt.stats.record({
    at: ctx.now,
    method,
    path: url,
    route,
    status: reply.status,
    ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
    ...(lose ? { lost: true as const } : {}),
  });
  // Why destroy after the handler: the write is committed, the client never hears about it,
  // which is the case a durable outbox and idempotency keys exist for.
  if (lose) req.socket.destroy();
  else send(res, reply, ctx.responseHeaders);
  for (const payload of pending) void rt.webhooks.send(payload);
}

/** Fault, missing route, unparsable body or the vendor's guard, in the order a real edge meets them. */
function earlyReply(
  vendor: VendorSimulator,
  ctx: RequestContext,
  match: RouteMatch | undefined,
  faultStatus: number | undefined,
  retryAfterSeconds: number | undefined,
  parseError: string | undefined,
): Reply | undefined {
  if (faultStatus !== undefined) return vendor.errorReply(ctx, faultStatus, retryAfterSeconds);
  if (!match) return vendor.notFound(ctx);
  if (parseError !== undefined) return vendor.badRequest(ctx, parseError);
  if (match.spec.public) return undefined;
  return vendor.guard?.(ctx, match.spec);
}

function send(res: ServerResponse, reply: Reply, extra: Record<string, string>): void {
  const headers: Record<string, string> = { ...extra, ...reply.headers };
  let payload: string | undefined;
  if (typeof reply.body === 'string') {
    payload = reply.body;
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
