import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { GatewayContext, Principal } from '../schema/context.ts';
import type { Gate, Refusal } from '../auth/gate.ts';
import type { WsAuth } from '../auth/websocket.ts';
import { createGraphqlHandler, sendJson } from './graphql.ts';
import { prepareOperation, type QueryLimits } from './limits.ts';
import { createErrorFormatter } from './errors.ts';
import { formatResult, subscribeWithFreshContext } from '../events/execute.ts';

/**
 * The gateway's HTTP surface (DESIGN.md, "HTTP"): `/graphql` for queries and mutations over HTTP
 * and subscriptions over graphql-ws on the same path, `/healthz`, `/readyz`, `/metrics`, and the
 * routes other modules register (`/webhooks/:connector`, `/dashboard`).
 */

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void> | void;

export interface HttpServerOptions {
  schema: GraphQLSchema;
  logger: Logger;
  metrics: Metrics;
  introspection: boolean;
  sandbox: boolean;
  production: boolean;
  context: (request: { headers: IncomingMessage['headers']; requestId: string; principal: Principal | undefined }) => Promise<GatewayContext>;
  /** Admission to /graphql and /graphql/*: the bearer token (401) and the client's rate limit (429). */
  gate: Gate;
  /** The same over graphql-ws: token in connection_init (close 4403), budget per operation. */
  wsAuth: WsAuth;
  limits: QueryLimits;
  /** A WebSocket that sends no connection_init within this is closed with 4408. */
  wsConnectionInitTimeoutMs: number;
  /** Readiness: resolves with the state of each dependency; any false makes /readyz answer 503. */
  ready: () => Promise<Record<string, boolean>>;
  routes?: Array<{ method: string; pattern: RegExp; handler: RouteHandler }>;
}

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  sendJson(res, refusal.status, refusal.body);
}

export async function startHttpServer(options: HttpServerOptions, listen: { port: number; host: string }): Promise<RunningServer> {
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const formatError = createErrorFormatter(options.logger);
  const wsCleanup = useServer(
    {
      schema: options.schema,
      connectionInitWaitTimeout: options.wsConnectionInitTimeoutMs,
      onConnect: (ctx) => options.wsAuth.onConnect(ctx),
      // Apollo's pipeline does not run here: the same limits (and introspection switch) are applied
      // before graphql-ws executes anything, and each operation spends the client's budget.
      onSubscribe: async (ctx, _id, payload) =>
        (await options.wsAuth.throttle(ctx)) ?? prepareOperation(options.schema, payload, options.limits, options.introspection),
      context: (ctx) => options.context({ headers: {}, requestId: randomUUID(), principal: options.wsAuth.principalOf(ctx) }),
      // Every subscription event runs with a fresh context (its own loaders and deadline), for the
      // same principal as the subscription itself.
      subscribe: (args) =>
        subscribeWithFreshContext(args, () => options.context({ headers: {}, requestId: randomUUID(), principal: (args.contextValue as GatewayContext).principal })),
      // Apollo masks errors on HTTP only; results sent over the WebSocket get the same masking.
      onNext: (_ctx, _id, _payload, _args, result) => formatResult(result, formatError),
    },
    wsServer,
  );
  const graphql = await createGraphqlHandler({
    ...options,
    httpServer: server,
    plugins: [{ async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } }],
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((error: unknown) => {
      options.logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q);
    if (path === '/graphql' || path.startsWith('/graphql/')) {
      const admission = await options.gate.admitHttp(req);
      if (admission.kind === 'refused') return sendRefusal(res, admission.refusal);
      if (path === '/graphql') return graphql.handle(req, res, search, admission.principal);
    }
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const checks = await options.ready().catch(() => ({ checks: false }));
      const ok = Object.values(checks).every(Boolean);
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready', checks });
    }
    if (path === '/metrics') {
      const text = await options.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
      res.end(text);
      return;
    }
    for (const r of options.routes ?? []) {
      const match = r.pattern.exec(path);
      if (match && (r.method === req.method || r.method === '*')) return r.handler(req, res, match.groups ?? {});
    }
    sendJson(res, 404, { error: 'not_found', message: `No route for ${req.method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;
  return {
    server,
    url: `http://${host}:${address.port}`,
    // Apollo's stop() runs the drain plugins: WebSocket clients are closed, HTTP stops accepting
    // and in-flight requests get a grace period before their connections are cut.
    stop: () => graphql.stop(),
  };
}
