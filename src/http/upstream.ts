import { isBrokenCircuitError } from 'cockatiel';
import type { Keyv } from 'keyv';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import {
  ConfigurationError,
  UpstreamError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  type UpstreamSite,
} from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createAuth } from './auth.ts';
import { openCallScope, type CallScope } from './call-scope.ts';
import { createHttpClient, resolveTarget, TransportError, UnsafePathError, type OutgoingCall } from './client.ts';
import { InProgress } from './in-flight.ts';
import { createQuota, QuotaUnavailableError } from './quota.ts';
import { createBreaker, createRetryPlan, type Answered, type RetryReason } from './resilience.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sleep } from './sleep.ts';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './types.ts';

export interface UpstreamDeps {
  /** Resolved base URL; may carry a path prefix (`https://api.example.com/v3`). */
  baseUrl: string;
  /** Resolved secret values by name (`SecretRef.secret`). */
  secrets: Readonly<Record<string, string>>;
  /** Shared token cache (memory or Redis); tokens are keyed by connector and client id. */
  tokens: Keyv;
  metrics: Metrics;
  logger: Logger;
  /** When set, the quota and its pauses are shared by every instance through Redis. */
  redisUrl?: string | undefined;
  /** Clock for token lifetimes; default Date.now. */
  now?: () => number;
}

/**
 * One connector's door to its backend. Policies are built here once and shared by every call.
 * Per attempt: circuit breaker → quota → auth → timeout → undici. The retry loop wraps the
 * whole attempt, so every retry passes the breaker and waits for the quota again.
 */
export function createUpstream(connector: NormalizedConnector, deps: UpstreamDeps): Upstream {
  const secret = secretLookup(connector, deps.secrets);
  if (!URL.canParse(deps.baseUrl)) throw new ConfigurationError(`${connector.name}: the base URL is not a URL`);
  const baseUrl = new URL(deps.baseUrl);
  const baseHeaders = Object.fromEntries(
    Object.entries(connector.headers).map(([name, v]) => [name.toLowerCase(), typeof v === 'string' ? v : secret(v.secret)]),
  );
  const log = deps.logger.child({ connector: connector.name });
  const client = createHttpClient(connector.timeouts);
  const auth = createAuth(connector, { ...deps, secret, client, now: deps.now ?? Date.now });
  const quota = createQuota(connector, deps);
  const breaker = createBreaker(connector);
  const retryPlan = createRetryPlan(connector);
  // Calls in progress, so close() can end them; one list rather than a listener per call.
  const active = new InProgress<CallScope>();
  let closed = false;

  /** Sends one attempt and records it: one metric, one duration, one debug line. */
  async function send(call: OutgoingCall, site: UpstreamSite, scope: CallScope): Promise<UpstreamResponse> {
    const stopTimer = deps.metrics.upstreamDuration.startTimer(site);
    const started = performance.now();
    let code = 'network';
    const attempt = scope.attempt(connector.timeouts.requestMs);
    try {
      const response = await client.send(call, attempt.signal);
      code = String(response.status);
      return response;
    } catch (error) {
      const why = scope.why();
      if (why === 'caller' || why === 'closed') {
        code = 'aborted';
        throw scope.signal.reason;
      }
      // Anything but undici's own failure here is the attempt's signal: requestMs or the deadline passed.
      const kind = error instanceof TransportError ? error.kind : 'timeout';
      code = kind;
      throw new TransportError(kind, { cause: error instanceof TransportError ? error.cause : error, byDeadline: why === 'deadline' });
    } finally {
      attempt.end();
      stopTimer();
      // A call its caller abandoned is not the backend's doing: logged, not counted.
      if (code !== 'aborted') deps.metrics.upstreamRequests.inc({ ...site, code });
      const ms = Math.round(performance.now() - started);
      log.debug({ endpoint: site.endpoint, method: call.method, path: call.path, status: code, ms }, 'upstream attempt');
    }
  }

  /** breaker → quota → auth → timeout → send. Transport failures come back as a reason. */
  async function attempt(call: OutgoingCall, site: UpstreamSite, scope: CallScope): Promise<Answered | { failure: TransportError }> {
    try {
      return await breaker.execute(() =>
        quota.schedule(async (depart) => {
          const signed = await auth.apply(call, site);
          // Departure is claimed after auth, so a slow token request cannot bunch calls up.
          await depart();
          return { response: await send(signed.call, site, scope), token: signed.token };
        }, scope.signal),
      );
    } catch (error) {
      if (error instanceof TransportError) return { failure: error };
      if (error instanceof QuotaUnavailableError && scope.why() === undefined) {
        log.error({ endpoint: site.endpoint, err: error.cause }, 'quota limiter failed');
        throw new UpstreamUnavailableError(site, 'rate limiter unavailable', { cause: error.cause });
      }
      if (isBrokenCircuitError(error)) {
        deps.metrics.upstreamRequests.inc({ ...site, code: 'circuit_open' });
        log.debug({ endpoint: site.endpoint, method: call.method, path: call.path, status: 'circuit_open' }, 'upstream attempt');
        throw new UpstreamUnavailableError(site, 'circuit open', { retryAfterMs: connector.breaker.halfOpenAfterMs });
      }
      throw error;
    }
  }

  /** A 429's Retry-After, or the connector's reading of its rate-limit headers, pauses everyone. */
  async function adapt(response: UpstreamResponse, site: UpstreamSite): Promise<number | undefined> {
    const retryAfterMs = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
    let toldMs: number | undefined;
    try {
      toldMs = connector.rateLimit?.(response.headers)?.pauseMs;
    } catch (error) {
      log.warn({ endpoint: site.endpoint, err: error }, 'the connector rateLimit reader threw; ignored');
    }
    const pauseMs = Math.max(toldMs ?? 0, response.status === 429 ? (retryAfterMs ?? 0) : 0);
    if (pauseMs > 0) {
      log.warn({ endpoint: site.endpoint, status: response.status, pauseMs }, 'backend asked to slow down: connector paused');
      await quota.pause(pauseMs);
    }
    return retryAfterMs;
  }

  async function run(request: UpstreamRequest, site: UpstreamSite, call: OutgoingCall, scope: CallScope): Promise<UpstreamResponse> {
    const budget = retryPlan.begin(request);
    let renewed = false;
    for (;;) {
      const outcome = await attempt(call, site, scope);
      let reason: RetryReason;
      if ('failure' in outcome) {
        reason = { kind: outcome.failure.kind };
      } else {
        const { response, token } = outcome;
        const retryAfterMs = await adapt(response, site);
        if (response.status === 401 && token !== undefined) {
          // The refused call had no effect, so even a non-idempotent call gets this one retry.
          if (renewed || !(await auth.renewAfterRefusal(token, site))) {
            throw new UpstreamUnavailableError(site, "the backend refused the gateway's credentials", { status: 401 });
          }
          renewed = true;
          deps.metrics.upstreamRetries.inc(site);
          log.warn({ endpoint: site.endpoint, status: 401 }, 'credentials refused: token renewed, retrying once');
          continue;
        }
        if (response.status < 500 && response.status !== 429) return response;
        reason = { kind: 'status', status: response.status, retryAfterMs };
      }
      const delay = budget.delayAfter(reason);
      if (delay === undefined) throw finalError(reason, site, scope, 'failure' in outcome ? outcome.failure : undefined);
      deps.metrics.upstreamRetries.inc(site);
      log.warn({ endpoint: site.endpoint, reason: reason.kind === 'status' ? reason.status : reason.kind, delayMs: delay }, 'retrying upstream call');
      await sleep(delay, scope.signal);
    }
  }

  function finalError(reason: RetryReason, site: UpstreamSite, scope: CallScope, failure?: TransportError): UpstreamError {
    if (reason.kind !== 'status') {
      if (reason.kind === 'network') return new UpstreamUnavailableError(site, 'network error', { cause: failure?.cause });
      const afterMs = failure?.byDeadline ? Date.now() - scope.startedAt : connector.timeouts.requestMs;
      return new UpstreamTimeoutError(site, afterMs, { cause: failure });
    }
    if (reason.status === 429) return new UpstreamRateLimitedError(site, reason.retryAfterMs);
    return new UpstreamUnavailableError(site, `status ${reason.status}`, { status: reason.status });
  }

  /** Why the scope ended, as the error the caller sees; a caller's own abort stays its own. */
  function ended(scope: CallScope, site: UpstreamSite, error: unknown): unknown {
    switch (scope.why()) {
      case 'deadline':
        return new UpstreamTimeoutError(site, Date.now() - scope.startedAt, { cause: error });
      case 'closed':
        return new UpstreamUnavailableError(site, 'the gateway is shutting down');
      case 'caller':
        return scope.signal.reason;
      case undefined:
        return error;
    }
  }

  return {
    connector: connector.name,
    async request(request) {
      const site = { connector: connector.name, endpoint: request.endpoint };
      const call = prepare(request, site, baseUrl, baseHeaders);
      const scope = openCallScope({ signal: request.signal, deadline: request.deadline });
      if (closed) scope.close();
      const entry = active.add(scope);
      try {
        return await run(request, site, call, scope);
      } catch (error) {
        throw error instanceof UpstreamError ? error : ended(scope, site, error);
      } finally {
        active.remove(entry);
        scope.dispose();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const scope of active.values()) scope.close();
      await quota.close();
      await client.close();
    },
  };
}

function prepare(request: UpstreamRequest, site: UpstreamSite, baseUrl: URL, baseHeaders: Record<string, string>): OutgoingCall {
  let target;
  try {
    target = resolveTarget(baseUrl, request.path, request.query);
  } catch (error) {
    if (error instanceof UnsafePathError) throw new UpstreamError('BAD_USER_INPUT', site, 'an argument used in a path cannot be "." or ".."');
    throw error;
  }
  const headers = { ...baseHeaders };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  return { method: request.method, ...target, headers, json: request.body };
}

/** Every secret the connector names must be resolved before the first call, not during one. */
function secretLookup(connector: NormalizedConnector, secrets: Readonly<Record<string, string>>): (name: string) => string {
  const envName = (name: string) => `${connector.name.toUpperCase()}_${name}`;
  const missing = connector.secrets.filter((name) => typeof secrets[name] !== 'string');
  if (missing.length > 0) throw new ConfigurationError(`${connector.name}: missing secret(s) ${missing.map(envName).join(', ')}`);
  return (name) => {
    const value = secrets[name];
    if (value === undefined) throw new ConfigurationError(`${connector.name}: missing secret ${envName(name)}`);
    return value;
  };
}
