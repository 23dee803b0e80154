import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { OperationStatus, StepStateName } from '../writes/types.ts';
import type { WriteService } from '../writes/service.ts';
import { deltaBy, quantile, sum, sumBy, type Sample } from './dashboard-samples.ts';

/**
 * What `GET /dashboard/data` answers: everything the page shows, computed on the server so the
 * page only draws. Counts are whole numbers, rates are shares (0..1) or null when there was
 * nothing to divide, latencies are milliseconds or null when nothing was observed.
 *
 * Nothing here is a secret or an upstream body: connector titles and quotas, counts, the
 * system's short reason on a dead step (sanitised when it was stored), ids and names.
 */
export interface DashboardData {
  generatedAt: string;
  /** Seconds the "last minute" figures really cover (less than 60 right after start). */
  windowSeconds: number;
  connectors: ConnectorView[];
  graphql: OperationTypeView[];
  writes: WritesView;
  webhooks: WebhookView[];
}

/** red: failing; amber: attention (calls wait or are retried, a few errors); grey: idle. */
export type Health = 'failing' | 'attention' | 'ok' | 'idle';

export interface CallStats {
  /** Attempts counted by `interchange_upstream_requests_total` (turned away by the breaker included). */
  calls: number;
  /** 5xx, 401/403, timeouts, network failures and calls the open circuit turned away. */
  errors: number;
  errorRate: number | null;
  /** 429 answers. */
  throttled: number;
  circuitOpen: number;
  retries: number;
  cacheHitRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Calls by code (HTTP status or timeout/network/circuit_open). */
  codes: Record<string, number>;
}

export interface ConnectorView {
  name: string;
  title: string;
  /** The declared quota, e.g. "60/minute"; null when the connector has none. */
  quota: string | null;
  health: Health;
  /** Why the health is what it is, in words, for the page. */
  reasons: string[];
  /**
   * Derived, not read from the breaker: "open" when the breaker turned calls away within its
   * last half-open period. A breaker that opened with nobody calling since reads "closed".
   */
  circuit: 'open' | 'closed';
  /** Calls waiting for the quota right now. */
  queued: number;
  lastMinute: CallStats;
  total: CallStats;
}

export interface OperationTypeView {
  type: string;
  health: Health;
  lastMinute: { operations: number; perSecond: number; errorShare: number | null; partialShare: number | null; p50Ms: number | null; p95Ms: number | null };
  total: { operations: number; errors: number; partials: number };
}

export interface WritesView {
  /** Steps not yet settled: pending, in flight or waiting for a retry. */
  pendingSteps: number;
  retryScheduled: number;
  deadSteps: number;
  /** Step attempts by connector and outcome (succeeded/retried/dead/…), last minute and total. */
  byConnector: Array<{ connector: string; lastMinute: Record<string, number>; total: Record<string, number> }>;
  /** Oldest first, at most 20; `replay` is the command that revives the step. */
  deadLetters: Array<{ stepId: string; operationId: string; mutation: string; step: string; connector: string; endpoint: string; cause: string; attempts: number; reason: string; since: string; replay: string }>;
  /** Newest first, at most 10. */
  recent: Array<{ id: string; mutation: string; status: OperationStatus; createdAt: string; updatedAt: string; steps: Array<{ name: string; connector: string; state: StepStateName }> }>;
}

export interface WebhookView {
  connector: string;
  health: Health;
  lastMinute: { accepted: number; duplicate: number; rejected: number };
  total: { accepted: number; duplicate: number; rejected: number };
}

const UPSTREAM = 'interchange_upstream_requests_total';
const DURATION = 'interchange_upstream_request_duration_seconds';
/** A connector is failing when at least this share of its recent calls failed. */
const FAILING_SHARE = 0.05;

const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10_000) / 10);
const isError = (code: string) => /^5\d\d$/.test(code) || code === '401' || code === '403' || code === 'timeout' || code === 'network' || code === 'circuit_open';

function callStats(now: Sample, then: Sample | undefined, connector: string): CallStats {
  const filter = { connector };
  const codes = Object.fromEntries(deltaBy(now, then, UPSTREAM, 'code', filter));
  const calls = Object.values(codes).reduce((a, b) => a + b, 0);
  const errors = Object.entries(codes).reduce((a, [code, n]) => a + (isError(code) ? n : 0), 0);
  const cache = deltaBy(now, then, 'interchange_cache_requests_total', 'result', filter);
  const hits = cache.get('hit') ?? 0;
  return {
    calls,
    errors,
    errorRate: share(errors, calls),
    throttled: codes['429'] ?? 0,
    circuitOpen: codes['circuit_open'] ?? 0,
    retries: sum(now, 'interchange_upstream_retries_total', filter) - sum(then, 'interchange_upstream_retries_total', filter),
    cacheHitRate: share(hits, hits + (cache.get('miss') ?? 0)),
    p50Ms: ms(quantile(0.5, now, then, DURATION, filter)),
    p95Ms: ms(quantile(0.95, now, then, DURATION, filter)),
    codes,
  };
}

function quotaText(connector: NormalizedConnector): string | null {
  const quota = connector.quota;
  if (!quota) return null;
  const per = quota.perMs === 1_000 ? 'second' : quota.perMs === 60_000 ? 'minute' : quota.perMs === 3_600_000 ? 'hour' : `${quota.perMs} ms`;
  return `${quota.requests}/${per}`;
}

export interface Windows {
  now: Sample;
  /** Start of the "last minute" window. */
  minuteAgo: Sample | undefined;
  /** Start of a window of the given length, for the circuit's half-open period. */
  since(ageMs: number): Sample | undefined;
}

export function connectorViews(connectors: readonly NormalizedConnector[], w: Windows): ConnectorView[] {
  return connectors.map((connector) => {
    const lastMinute = callStats(w.now, w.minuteAgo, connector.name);
    const queued = sum(w.now, 'interchange_quota_queued', { connector: connector.name });
    const recent = w.since(connector.breaker.halfOpenAfterMs);
    const turnedAway = sum(w.now, UPSTREAM, { connector: connector.name, code: 'circuit_open' }) - sum(recent, UPSTREAM, { connector: connector.name, code: 'circuit_open' });
    const circuit = turnedAway > 0 ? 'open' : 'closed';
    const reasons: string[] = [];
    if (circuit === 'open') reasons.push('circuit open');
    if (lastMinute.errors > 0) reasons.push(`${lastMinute.errors} failed ${lastMinute.errors === 1 ? 'call' : 'calls'}`);
    if (queued > 0) reasons.push(`${queued} waiting for quota`);
    if (lastMinute.throttled > 0) reasons.push(`${lastMinute.throttled} rate-limited`);
    if (lastMinute.retries > 0) reasons.push(`${lastMinute.retries} retried`);
    const failing = circuit === 'open' || (lastMinute.errors > 0 && (lastMinute.errorRate ?? 0) >= FAILING_SHARE);
    const health: Health = failing ? 'failing' : reasons.length > 0 ? 'attention' : lastMinute.calls === 0 ? 'idle' : 'ok';
    return { name: connector.name, title: connector.title, quota: quotaText(connector), health, reasons, circuit, queued, lastMinute, total: callStats(w.now, undefined, connector.name) };
  });
}

export function graphqlViews(w: Windows, windowSeconds: number): OperationTypeView[] {
  const types = [...sumBy(w.now, 'interchange_graphql_operations_total', 'type').keys()].sort();
  return types.map((type) => {
    const recent = deltaBy(w.now, w.minuteAgo, 'interchange_graphql_operations_total', 'outcome', { type });
    const total = sumBy(w.now, 'interchange_graphql_operations_total', 'outcome', { type });
    const operations = [...recent.values()].reduce((a, b) => a + b, 0);
    const errors = recent.get('error') ?? 0;
    const partials = recent.get('partial') ?? 0;
    const health: Health = operations === 0 ? 'idle' : (share(errors, operations) ?? 0) >= FAILING_SHARE ? 'failing' : errors + partials > 0 ? 'attention' : 'ok';
    return {
      type,
      health,
      lastMinute: {
        operations,
        perSecond: windowSeconds > 0 ? Math.round((operations / windowSeconds) * 100) / 100 : 0,
        errorShare: share(errors, operations),
        partialShare: share(partials, operations),
        p50Ms: ms(quantile(0.5, w.now, w.minuteAgo, 'interchange_graphql_duration_seconds', { type })),
        p95Ms: ms(quantile(0.95, w.now, w.minuteAgo, 'interchange_graphql_duration_seconds', { type })),
      },
      total: { operations: [...total.values()].reduce((a, b) => a + b, 0), errors: total.get('error') ?? 0, partials: total.get('partial') ?? 0 },
    };
  });
}

export function webhookViews(w: Windows): WebhookView[] {
  const connectors = [...sumBy(w.now, 'interchange_webhooks_total', 'connector').keys()].sort();
  const counts = (then: Sample | undefined, connector: string) => {
    const by = deltaBy(w.now, then, 'interchange_webhooks_total', 'outcome', { connector });
    return { accepted: by.get('accepted') ?? 0, duplicate: by.get('duplicate') ?? 0, rejected: by.get('rejected') ?? 0 };
  };
  return connectors.map((connector) => {
    const lastMinute = counts(w.minuteAgo, connector);
    const any = lastMinute.accepted + lastMinute.duplicate + lastMinute.rejected;
    const health: Health = lastMinute.rejected > 0 ? (lastMinute.accepted === 0 ? 'failing' : 'attention') : any > 0 ? 'ok' : 'idle';
    return { connector, health, lastMinute, total: counts(undefined, connector) };
  });
}

export async function writesView(writes: WriteService, w: Windows): Promise<WritesView> {
  const [counts, dead, recent] = await Promise.all([
    writes.outbox.counts(),
    writes.outbox.deadLetters({ first: 20 }),
    writes.outbox.listOperations({ first: 10 }),
  ]);
  const connectors = [...sumBy(w.now, 'interchange_writes_total', 'connector').keys()].sort();
  return {
    pendingSteps: counts.pending + counts.in_flight + counts.retry_scheduled,
    retryScheduled: counts.retry_scheduled,
    deadSteps: counts.dead,
    byConnector: connectors.map((connector) => ({
      connector,
      lastMinute: Object.fromEntries(deltaBy(w.now, w.minuteAgo, 'interchange_writes_total', 'outcome', { connector })),
      total: Object.fromEntries(sumBy(w.now, 'interchange_writes_total', 'outcome', { connector })),
    })),
    deadLetters: dead.map(({ operationId, mutation, step }) => ({
      stepId: step.id,
      operationId,
      mutation,
      step: step.name,
      connector: step.connector,
      endpoint: step.endpoint,
      cause: step.deadCause,
      attempts: step.attempts,
      reason: step.lastError.slice(0, 300),
      since: new Date(step.updatedAt).toISOString(),
      replay: `npx interchange replay ${step.id}`,
    })),
    recent: recent.nodes.map((op) => ({
      id: op.id,
      mutation: op.mutation,
      status: op.status,
      createdAt: new Date(op.createdAt).toISOString(),
      updatedAt: new Date(op.updatedAt).toISOString(),
      steps: op.steps.map((step) => ({ name: step.name, connector: step.connector, state: step.state })),
    })),
  };
}
