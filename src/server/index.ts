import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { GatewayContext } from '../schema/context.ts';
import { createGraphqlHandler, sendJson } from './graphql.ts';
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
  context: (request: { headers: IncomingMessage['headers']; requestId: string }) => Promise<GatewayContext>;
  /** Readiness: resolves with the state of each dependency; any false makes /readyz answer 503. */
  ready: () => Promise<Record<string, boolean>>;
  routes?: Array<{ method: string; pattern: RegExp; handler: RouteHandler }>;
}

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions, listen: { port: number; host: string }): Promise<RunningServer> {
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const formatError = createErrorFormatter(options.logger);
  const wsCleanup = useServer(
    {
      schema: options.schema,
      context: () => options.context({ headers: {}, requestId: randomUUID() }),
      // Every subscription event runs with a fresh context (its own loaders and deadline), for the
      // same principal as the subscription itself.
      subscribe: (args) =>
        subscribeWithFreshContext(args, async () => ({
          ...(await options.context({ headers: {}, requestId: randomUUID() })),
          principal: (args.contextValue as GatewayContext).principal,
        })),
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
    if (path === '/graphql') return graphql.handle(req, res, search);
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
