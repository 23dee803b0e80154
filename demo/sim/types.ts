import type { IncomingHttpHeaders } from 'node:http';

export type SimulatorName = 'crm' | 'shop' | 'accounting' | 'pms' | 'pos' | 'payments';

/** What a handler answers. Objects are sent as JSON, strings as text/plain, undefined as no body. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RequestContext {
  readonly method: string;
  /** Raw, still-encoded path without the query string. */
  readonly path: string;
  /** Raw path with the query string, as the client sent it. */
  readonly url: string;
  /** `METHOD /pattern`, e.g. `GET /crm/v3/objects/contacts/{contactId}`; the stats key. */
  readonly route: string;
  /** Path parameters, each decoded once from its own raw segment. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed JSON or form body; undefined when empty or of another type. */
  readonly body: unknown;
  /** `http://host:port` as the client addressed the simulator, for links and resource URLs. */
  readonly baseUrl: string;
  readonly now: number;
  /** Added to whatever answer this request gets, faults included (rate-limit counters, request ids). */
  readonly responseHeaders: Record<string, string>;
  /** Recorded in the call log when the vendor honours idempotency keys. */
  idempotencyKey?: string;
  header(name: string): string | undefined;
  /** Queues one webhook payload, delivered to every registered target after the answer is sent. */
  emit(payload: unknown): void;
  /** Runs once the answer is sent or lost (releases concurrency slots). */
  defer(fn: () => void): void;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Literal segments and `{param}` segments, optionally with a literal prefix/suffix: `{id}.json`. */
  path: string;
  /** Whether the call changes state (`loseResponses` applies). Defaults to any method but GET. */
  write?: boolean;
  /** Token endpoints: the vendor's guard (auth, quota) is skipped. */
  public?: boolean;
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}

export interface SignedDelivery {
  url: string;
  headers: Record<string, string>;
}

export interface WebhookScheme {
  /** Event types `POST /__admin/emit` accepts. */
  readonly types: readonly string[];
  /** The vendor-shaped payload for an on-demand event; undefined when the id is unknown. */
  build(type: string, id: string, extra: Record<string, unknown>, baseUrl: string): unknown;
  /** Target URL and headers for one serialized payload, signed the vendor's way. */
  sign(targetUrl: string, rawBody: string, now: number): SignedDelivery;
  /** Splits an emitted payload into the body to send and per-event headers (Shopify's topic). */
  unwrap?(payload: unknown): { body: unknown; headers: Record<string, string> };
}

/** Everything vendor-specific; the shared server (server.ts) does routing, faults, stats and admin. */
export interface VendorSimulator {
  readonly name: SimulatorName;
  readonly credentials: Record<string, string>;
  /** Mutable runtime settings, patched by `POST /__admin/config` (keys and types are fixed). */
  readonly settings: Record<string, unknown>;
  readonly routes: readonly RouteSpec[];
  readonly webhooks: WebhookScheme;
  /** Auth and quota for every non-public route; a reply short-circuits the handler. */
  guard?(ctx: RequestContext, route: RouteSpec): Reply | undefined;
  /** Called first for every counted request (request ids, version headers). */
  decorate?(ctx: RequestContext): void;
  /** The vendor's own answer for an error status: outages, 429 bursts, status sequences, crashes. */
  errorReply(ctx: RequestContext, status: number, retryAfterSeconds?: number): Reply;
  /** No route matched. */
  notFound(ctx: RequestContext): Reply;
  /** The body could not be parsed. */
  badRequest(ctx: RequestContext, message: string): Reply;
  /** Stored records by collection, in the vendor's own shape. */
  collections(): Record<string, readonly unknown[]>;
}

/** What every vendor factory receives. */
export interface VendorOptions {
  seed: number;
  /**
   * `vendor` (default): the vendor's documented limits. `relaxed`: the same rules with limits a
   * thousand times higher, for benchmarks that measure the gateway rather than the quota.
   */
  limits: 'vendor' | 'relaxed';
}
