import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
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
import { buildGatewaySchema } from './schema/index.ts';
import { startHttpServer, type HttpServerOptions, type RunningServer } from './server/index.ts';
import { createErrorFormatter } from './server/errors.ts';
import { startEvents, type Events } from './events/index.ts';
import { createCacheTags } from './events/purge.ts';
import { createKeyvStore } from './store/keyv.ts';
import { createLinkStore } from './store/link-store.ts';
import { createSqlStore } from './store/sql-store.ts';
import { createRequestLinks } from './loaders/links.ts';
import { VERSION } from './version.ts';
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
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const env = options.env ?? process.env;
  const config: Config = Object.freeze({ ...loadConfig(env), ...options.config });
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error during shutdown'));
  };
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
    const cache = createKeyvStore({ redisUrl: config.redisUrl, namespace: 'interchange:cache', logger });
    const tokens = createKeyvStore({ redisUrl: config.redisUrl, namespace: 'interchange:tokens', logger });
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
    const context: HttpServerOptions['context'] = async ({ requestId, headers }) => {
      const deadline = Date.now() + config.requestDeadlineMs;
      const key = headers['idempotency-key'];
      return {
        requestId,
        deadline,
        loaders: createRequestLoaders(runtime, { deadline }),
        links: createRequestLinks(linkStore),
        principal: undefined,
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
      context: (req) => context({ headers: req.headers, requestId: randomUUID() }),
      formatError: createErrorFormatter(logger),
    });

    const server: RunningServer = await startHttpServer(
      {
        schema,
        logger,
        metrics,
        introspection: config.introspection,
        sandbox: config.sandbox,
        production: config.production,
        context,
        routes,
        ready: async () => ({ schema: true, database: await sql.ping().then(() => true, () => false) }),
      },
      { port: config.port, host: config.host },
    );
    cleanups.push(() => server.stop());
    // Runs before the server drains: subscriptions complete (SSE streams end cleanly) instead of being cut.
    cleanups.push(async () => events.feed.close());
    return { url: server.url, config, schema, runtime, metrics, logger, connectors, settings, events, writes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
