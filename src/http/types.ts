import type { HttpMethod, QueryParams } from '../connectors/define.ts';

/**
 * The one door to backends. Everything above `http/` describes a call with an UpstreamRequest;
 * everything below (quota, auth, retry, breaker, timeout, undici) lives behind `Upstream`.
 * `http/` knows nothing of GraphQL.
 */
export interface UpstreamRequest {
  /** Endpoint name, for metrics and errors (`interchange_upstream_requests_total{endpoint}`). */
  endpoint: string;
  method: HttpMethod;
  /** Path on the connector's base URL, already built with encoded parameters; may carry a query string. */
  path: string;
  query?: QueryParams | undefined;
  headers?: Record<string, string> | undefined;
  /** Sent as JSON when present. */
  body?: unknown;
  /** Whether the call may be repeated automatically (GET-like reads, keyed writes). */
  idempotent: boolean;
  /** Absolute time (epoch ms) after which no attempt starts and no backoff waits. */
  deadline?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the backend said JSON, the text otherwise, undefined when empty. */
  body: unknown;
}

/**
 * Resolves with any answer that is final for the caller to judge: 2xx, and 4xx other than 401
 * after renewal and 429. Rejects with an UpstreamError subclass (src/errors.ts) for what the
 * caller cannot fix: network failure, timeout, 5xx or 429 after the retries, an open circuit,
 * credentials the backend refuses.
 */
export interface Upstream {
  readonly connector: string;
  request(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}
