import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Environment } from '../config/index.ts';
import type { Settings } from '../connectors/define.ts';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { ConnectorRuntime } from '../connectors/runtime.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayContext } from '../schema/context.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RouteHandler } from '../server/index.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { createLocalBus, createRedisBus, type EventBus } from './bus.ts';
import { createEventFeed, type EventFeed, type FeedOptions } from './feed.ts';
import { startEventHub, type EventHub } from './hub.ts';
import { createIngest } from './ingest.ts';
import { createWebhookIntake, type WebhookReceiver } from './intake.ts';
import { createEventLog, type EventLog } from './log.ts';
import { startPollers, type Pollers } from './poller.ts';
import { webhookSecrets } from './secrets.ts';
import { createSseRoute, type SseOptions } from './sse.ts';

/**
 * The webhook flow, assembled: POST /webhooks/:connector → verify → map → purge → log → bus →
 * hub → feed → subscriptions (graphql-ws on /graphql, SSE on /graphql/stream), plus pollers.
 *
 * Two phases, because the schema needs the feed and the intake needs the runtime and schema:
 * `startEvents` (log, bus, hub, feed) runs before the schema is built, `serve` after.
 */

export interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

export interface ServeDeps {
  connectors: readonly NormalizedConnector[];
  /** Each connector's resolved secrets and variables, by connector name. */
  settings: Readonly<Record<string, Settings>>;
  /** Where optional webhook secrets (a rotation's previous one) are read from. */
  env: Environment;
  runtime: ConnectorRuntime;
  metrics: Metrics;
  schema: GraphQLSchema;
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Parse, validate and apply the query limits, as for every other transport. */
  prepare: SseOptions['prepare'];
}

export interface Events {
  log: EventLog;
  bus: EventBus;
  hub: EventHub;
  feed: EventFeed;
  /** Set once `serve` ran. */
  pollers: Pollers | undefined;
  serve(deps: ServeDeps): Promise<Route[]>;
  stop(): Promise<void>;
}

/** Events older than this are deleted; a redelivery after it is no longer recognised. Vendors retry for up to 3 days (Stripe). */
export const EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
const BUS_CONNECT_WAIT_MS = 2_000;

export async function startEvents(options: { sql: SqlStore; redisUrl: string | undefined; logger: Logger; feed?: Omit<FeedOptions, 'hub' | 'log'>; catchUpMs?: number }): Promise<Events> {
  const { logger } = options;
  const log = createEventLog(options.sql);
  const bus = options.redisUrl ? createRedisBus({ url: options.redisUrl, logger }) : createLocalBus();
  // Redis down at start-up must not stop the gateway: until the bus connects, the hub's catch-up
  // reads still deliver every event, only later.
  const connected = await Promise.race([bus.ready().then(() => true, () => false), sleep(BUS_CONNECT_WAIT_MS, false, { ref: false })]);
  if (!connected) logger.warn('the event bus (Redis) is not connected yet: other instances hear of events through the catch-up reads until it is');
  const hub = await startEventHub({ log, bus, logger, ...(options.catchUpMs === undefined ? {} : { catchUpMs: options.catchUpMs }) });
  const feed = createEventFeed({ hub, log, ...options.feed });
  const pruner = setInterval(() => {
    log.prune(Date.now() - EVENT_RETENTION_MS).catch((error: unknown) => logger.warn({ err: error }, 'pruning the event log failed'));
  }, PRUNE_EVERY_MS);
  pruner.unref();

  const events: Events = {
    log,
    bus,
    hub,
    feed,
    pollers: undefined,
    async serve(deps) {
      const ingest = createIngest({ log, bus, purge: (tags) => deps.runtime.purge(tags), logger });
      const intake = createWebhookIntake({ receivers: receiversOf(deps, logger), ingest, metrics: deps.metrics, logger });
      events.pollers = await startPollers({ connectors: deps.connectors, runtime: deps.runtime, ingest, log, logger });
      const sse = createSseRoute({ context: deps.context, formatError: deps.formatError, prepare: deps.prepare, logger });
      return [
        { method: 'POST', pattern: /^\/webhooks\/(?<connector>[a-z][a-z0-9]*)$/, handler: intake },
        { method: 'GET', pattern: /^\/graphql\/stream$/, handler: sse },
        { method: 'POST', pattern: /^\/graphql\/stream$/, handler: sse },
      ];
    },
    async stop() {
      clearInterval(pruner);
      feed.close();
      events.pollers?.stop();
      hub.stop();
      await bus.close();
    },
  };
  return events;
}

/**
 * One receiver per connector with webhooks. The scheme is built once here so a misconfigured one
 * (Square without a URL to sign) fails start-up, not the first delivery.
 */
function receiversOf(deps: ServeDeps, logger: Logger): Map<string, WebhookReceiver> {
  const receivers = new Map<string, WebhookReceiver>();
  for (const connector of deps.connectors) {
    const webhooks = connector.webhooks;
    if (!webhooks) continue;
    const settings = deps.settings[connector.name] ?? {};
    webhooks.schemeFor({ url: `https://gateway.invalid/webhooks/${connector.name}`, settings });
    const secrets = webhookSecrets(connector.name, webhooks, settings, deps.env);
    if (secrets.length === 0) logger.warn({ connector: connector.name }, 'no webhook secret is set: every delivery will be refused');
    receivers.set(connector.name, { webhooks, secrets, settings, types: new Set(webhooks.types) });
  }
  return receivers;
}
