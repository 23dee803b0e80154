import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { loadConfig, resolveConnectorSettings, type Config, type ConnectorSettings, type Environment } from './config/index.ts';
import { loadConnectors } from './connectors/load.ts';
import type { NormalizedConnector } from './connectors/normalize.ts';
import { createConnectorRuntime, type ConnectorRuntime } from './connectors/runtime.ts';
import { createUpstream } from './http/upstream.ts';
import type { Upstream } from './http/types.ts';
import { createRequestLoaders } from './loaders/index.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createDashboard } from './observability/dashboard.ts';
import { buildGatewaySchema } from './schema/index.ts';
import { startHttpServer, type HttpServerOptions, type RunningServer } from './server/index.ts';
import { prepareOperation } from './server/limits.ts';
import { createErrorFormatter } from './server/errors.ts';
import { startEvents, type Events } from './events/index.ts';
import { createCacheTags } from './events/purge.ts';
import { createKeyvStore } from './store/keyv.ts';
import { createLinkStore } from './store/link-store.ts';
import { createSqlStore } from './store/sql-store.ts';
import { createRequestLinks } from './loaders/links.ts';
import { VERSION } from './version.ts';
import { createAuth, type DevelopmentToken } from './auth/index.ts';
import { headerValue } from './auth/gate.ts';
import { createWriteService, type WriteService } from './writes/service.ts';
import type { BackoffOptions } from './writes/retry.ts';

/**
 * The composition root: configuration → connectors → upstreams → runtime → schema → server.
 * Everything built once per gateway lives here and is torn down in reverse order by `stop()`.
 */

export interface GatewayOptions {
  /** Defaults to `process.env`. */
  env?: Environment;
  /** Overrides of the environment-derived configuration (tests pass `port: 0`). */
  config?: Partial<Config>;
  logger?: Logger;
  /** Dispatcher timing (tests shorten them). */
  writes?: { pollMs?: number; leaseMs?: number; settleMs?: number; backoff?: Partial<BackoffOptions> };
  /** Starts the demo simulator for a connector with no URL; returns undefined when there is none. */
  demo?: (connector: string) => Promise<{ url: string; credentials: Record<string, string>; close(): Promise<void> } | undefined>;
}

export interface Gateway {
  url: string;
  config: Config;
  schema: GraphQLSchema;
  runtime: ConnectorRuntime;
  metrics: Metrics;
  logger: Logger;
  connectors: readonly NormalizedConnector[];
  settings: Readonly<Record<string, ConnectorSettings>>;
  /** The webhook flow: event log, bus, subscription feed, pollers. */
  events: Events;
  writes: WriteService;
  /** Outside production: a short-lived token with every scope the schema uses (the CLI prints it). */
  developmentToken: DevelopmentToken | undefined;
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const env = options.env ?? process.env;
  const config: Config = Object.freeze({ ...loadConfig(env), ...options.config });
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const cleanups: Array<() => Promise<unknown>> = [];
  // Tears down in reverse order of start-up, once, however often it is called.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error during shutdown'));
    })());
  try {
    const connectors = await loadConnectors(resolve(config.connectorsDir));
    const settings = await resolveConnectorSettings(connectors, config, env, async (name) => {
      const started = await options.demo?.(name);
      if (!started) return undefined;
      cleanups.push(() => started.close());
      logger.info({ connector: name, url: started.url }, `no ${name.toUpperCase()}_URL set: using the ${name} demo simulator`);
      return started;
    });
    const sql = await createSqlStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, 'interchange.db'), logger });
    cleanups.push(() => sql.close());
    const events = await startEvents({ sql, redisUrl: config.redisUrl, logger });
    cleanups.push(() => events.stop());
    const schema = buildGatewaySchema({ directory: resolve(config.schemaDir), connectors, version: VERSION, events: events.feed });
    const linkStore = createLinkStore(sql);

    const metrics = createMetrics();
    const cache = createKeyvStore({ redisUrl: config.redisUrl, namespace: 'interchange:cache', maxEntries: config.cacheMaxEntries, logger });
    const tokens = createKeyvStore({ redisUrl: config.redisUrl, namespace: 'interchange:tokens', maxEntries: 1_000, logger });
    cleanups.push(() => Promise.all([cache.disconnect(), tokens.disconnect()]));
    const upstreams = new Map<string, Upstream>();
    for (const connector of connectors) {
      const { baseUrl, secrets, quota } = settings[connector.name]!;
      const upstream = createUpstream({ ...connector, quota }, { baseUrl, secrets, tokens, metrics, logger, redisUrl: config.redisUrl });
      upstreams.set(connector.name, upstream);
    }
    const connectorSettings = Object.fromEntries(connectors.map((c) => [c.name, settings[c.name]!.secrets]));
    const runtime = createConnectorRuntime({ connectors, upstreams, settings: connectorSettings, cache, metrics, tags: createCacheTags(cache) });
    cleanups.push(() => runtime.close());
    const writes = createWriteService({ store: sql, runtime, metrics, logger, leaseMs: config.writeLeaseMs, ...options.writes });
    writes.start();
    cleanups.push(() => writes.stop());
    const auth = createAuth({ config: config.auth, production: config.production, schema, rateLimit: config.rateLimit, redisUrl: config.redisUrl, logger });
    cleanups.push(() => auth.close());
    const context: HttpServerOptions['context'] = async ({ requestId, headers, principal }) => {
      const deadline = Date.now() + config.requestDeadlineMs;
      const key = headers['idempotency-key'];
      return {
        requestId,
        deadline,
        loaders: createRequestLoaders(runtime, { deadline }),
        links: createRequestLinks(linkStore),
        principal,
        writes,
        idempotencyKey: typeof key === 'string' && key !== '' ? key.slice(0, 200) : undefined,
      };
    };
    const routes = await events.serve({
      connectors,
      settings: connectorSettings,
      env,
      runtime,
      metrics,
      schema,
      // /graphql/* passed the server's gate, which remembered the principal it admitted.
      context: (req) => context({ headers: req.headers, requestId: randomUUID(), principal: auth.gate.principalOf(req) }),
      formatError: createErrorFormatter(logger),
      prepare: (payload) => prepareOperation(schema, payload, config.limits, config.introspection),
    });
    const authorize = async (req: IncomingMessage) => {
      const verified = await auth.gate.authenticate(headerValue(req.headers, 'authorization'), { optional: true });
      return verified.kind === 'verified' ? verified.principal : undefined;
    };
    // The dashboard shows the quota in force (`<NAME>_QUOTA` may replace the declared one).
    const withQuotas = connectors.map((connector) => ({ ...connector, quota: settings[connector.name]!.quota }));
    const dashboard = createDashboard({ metrics, writes, connectors: withQuotas, production: config.production, authorize });
    cleanups.push(async () => dashboard.stop());

    const server: RunningServer = await startHttpServer(
      {
        schema,
        logger,
        metrics,
        introspection: config.introspection,
        sandbox: config.sandbox,
        production: config.production,
        context,
        gate: auth.gate,
        wsAuth: auth.ws,
        limits: config.limits,
        wsConnectionInitTimeoutMs: config.wsConnectionInitTimeoutMs,
        routes: [...routes, ...dashboard.routes],
        ready: async () => ({ schema: true, database: await sql.ping().then(() => true, () => false) }),
      },
      { port: config.port, host: config.host },
    );
    cleanups.push(() => server.stop());
    // Runs before the server drains: subscriptions complete (SSE streams end cleanly) instead of being cut.
    cleanups.push(async () => events.feed.close());
    return { url: server.url, config, schema, runtime, metrics, logger, connectors, settings, events, writes, developmentToken: auth.developmentToken, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
