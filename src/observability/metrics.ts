import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics. Names and labels are a stable contract (DESIGN.md,
 * "Metrics"): dashboards and alerts are built on them, so they change only with a README note.
 *
 * One registry per gateway instance, so several gateways in one process (tests) never share
 * counters.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'interchange_process_' });
  const registers = [registry];
  // Set by the write dispatcher; read when the outbox gauges are collected (a /metrics scrape).
  let countOutbox: (() => Promise<{ pending: number; dead: number } | undefined>) | undefined;
  let counting: ReturnType<NonNullable<typeof countOutbox>> | undefined;
  const outboxCounts = () => {
    if (!countOutbox) return Promise.resolve(undefined);
    // Both gauges are collected in one scrape: one count serves both.
    counting ??= countOutbox().finally(() => (counting = undefined));
    return counting;
  };
  return {
    registry,
    /** Where the outbox gauges get their numbers (the SQL outbox every instance shares). */
    countOutboxWith(count: () => Promise<{ pending: number; dead: number } | undefined>) {
      countOutbox = count;
    },
    upstreamRequests: new Counter({
      name: 'interchange_upstream_requests_total',
      help: 'Calls made to backends, by HTTP status or timeout/network/circuit_open.',
      labelNames: ['connector', 'endpoint', 'code'] as const,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'interchange_upstream_request_duration_seconds',
      help: 'Time from sending a backend call to its full answer.',
      labelNames: ['connector', 'endpoint'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    upstreamRetries: new Counter({
      name: 'interchange_upstream_retries_total',
      help: 'Backend calls repeated after a transient failure.',
      labelNames: ['connector', 'endpoint'] as const,
      registers,
    }),
    cacheRequests: new Counter({
      name: 'interchange_cache_requests_total',
      help: 'Response cache look-ups by result (hit/miss).',
      labelNames: ['connector', 'endpoint', 'result'] as const,
      registers,
    }),
    quotaQueued: new Gauge({
      name: 'interchange_quota_queued',
      help: 'Backend calls waiting for their connector quota.',
      labelNames: ['connector'] as const,
      registers,
    }),
    graphqlOperations: new Counter({
      name: 'interchange_graphql_operations_total',
      help: 'GraphQL operations by type and outcome (success/partial/error).',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    graphqlDuration: new Histogram({
      name: 'interchange_graphql_duration_seconds',
      help: 'GraphQL operation time, from request to response.',
      labelNames: ['type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    writes: new Counter({
      name: 'interchange_writes_total',
      help: 'Fan-out write steps by connector and outcome.',
      labelNames: ['connector', 'outcome'] as const,
      registers,
    }),
    outboxPending: new Gauge({
      name: 'interchange_outbox_pending',
      help: 'Write steps not yet succeeded or dead.',
      registers,
      async collect() {
        const counts = await outboxCounts();
        if (counts) this.set(counts.pending);
      },
    }),
    deadLetters: new Gauge({
      name: 'interchange_dead_letters',
      help: 'Write steps that exhausted their attempts and wait for replay.',
      registers,
      async collect() {
        const counts = await outboxCounts();
        if (counts) this.set(counts.dead);
      },
    }),
    webhooks: new Counter({
      name: 'interchange_webhooks_total',
      help: 'Inbound webhooks by connector and outcome (accepted/duplicate/rejected).',
      labelNames: ['connector', 'outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
