import type { ZodType } from 'zod';

/**
 * The shape of a connector file (`connectors/<name>.ts`): everything the gateway knows about one
 * backend, as data and small pure functions. No I/O here and no engine code; defaults live in
 * `normalize.ts`, beside the validation that runs at start-up.
 *
 * Secrets are never written in a connector. Where a value is secret (a client secret, an API key,
 * a tenant id) the connector names it, and the configuration resolves the name from the
 * environment as `<CONNECTOR>_<NAME>` (or `<CONNECTOR>_<NAME>_FILE`).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Arguments of one endpoint call, after selectors were evaluated. */
export type Args = Record<string, unknown>;

/**
 * The connector's resolved settings (its declared `variables` and secrets), for builders that
 * need a tenant value in a body (Square's location ids). Never logged.
 */
export type Settings = Readonly<Record<string, string>>;

export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;
export type QueryParams = Record<string, QueryValue>;

/** A reference to a secret value, resolved from the environment at start-up. */
export interface SecretRef {
  readonly secret: string;
}
export const secret = (name: string): SecretRef => ({ secret: name });

export type HeaderValue = string | SecretRef;

export type AuthDefinition =
  | { type: 'none' }
  | { type: 'apiKey'; in: 'header' | 'query'; name: string; value: SecretRef }
  | { type: 'bearer'; token: SecretRef }
  | { type: 'basic'; username: SecretRef; password: SecretRef }
  | {
      type: 'oauth2';
      grant: 'client_credentials' | 'refresh_token';
      /** Path on the connector's base URL, or an absolute URL. */
      tokenUrl: string;
      clientId: SecretRef;
      clientSecret: SecretRef;
      /** Required for the refresh_token grant. */
      refreshToken?: SecretRef;
      scope?: string;
      /** How the client authenticates at the token endpoint; default `body`. */
      clientAuth?: 'body' | 'basic';
      /** Renew this long before the token's expiry; default 60 s. */
      renewBeforeSeconds?: number;
    }
  | {
      /** Tokens travel inside a JSON body (Mews Connector API style). */
      type: 'bodyTokens';
      fields: Record<string, SecretRef | string>;
    };

export interface QuotaDefinition {
  /** Calls allowed per `per` window; the gateway spaces calls so no window sees more. */
  requests: number;
  per: 'second' | 'minute' | 'hour';
  /** Calls in flight at once; default 10. */
  concurrency?: number;
}

export interface RetryDefinition {
  /** Attempts after the first; default 2. */
  attempts?: number;
  /** First backoff; default 100 ms, doubled each attempt, with full jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface BreakerDefinition {
  /** Consecutive failures that open the circuit; default 5. */
  consecutiveFailures?: number;
  /** Time before one probe call is let through; default 10 s. */
  halfOpenAfterMs?: number;
}

export interface TimeoutDefinition {
  connectMs?: number;
  /** Whole call, first byte to last; default 10 s. */
  requestMs?: number;
}

/** What the backend's answer headers say about its rate limit, in the connector's dialect. */
export type RateLimitReader = (headers: Record<string, string | string[] | undefined>) => {
  /** Stop sending for this long. */
  pauseMs?: number;
} | undefined;

export interface BatchDefinition {
  /** The argument whose values are collected from many calls into one. */
  key: string;
  /** Most keys in one batch call; default 100. */
  maxSize?: number;
  method?: HttpMethod;
  /** Defaults to the endpoint's path. */
  path?: string;
  query?: (keys: readonly unknown[], args: Args, settings: Settings) => QueryParams;
  body?: (keys: readonly unknown[], args: Args, settings: Settings) => unknown;
  /** The raw items in the batch answer. */
  items: (raw: any) => readonly unknown[];
  /** Which key a raw item answers; a key no item answers resolves to null. */
  keyOf: (item: any) => unknown;
  /**
   * Each key owns many items (orders by customer id): a key resolves to the list of mapped items
   * that name it, empty when none do. Default: one item per key.
   */
  many?: boolean;
}

export type PaginationDefinition =
  | {
      style: 'cursor';
      items: (raw: any) => readonly unknown[];
      /** The cursor of the next page, nothing on the last; `size` is the page size asked for. */
      next: (raw: any, size: number) => string | null | undefined;
      cursorParam: string;
      sizeParam?: string;
      /** Where the cursor and size travel; default `query`. */
      in?: 'query' | 'body';
      maxPageSize?: number;
    }
  | {
      style: 'page';
      items: (raw: any) => readonly unknown[];
      pageParam: string;
      sizeParam?: string;
      /** Default 1. */
      firstPage?: 0 | 1;
      maxPageSize?: number;
    }
  | {
      style: 'offset';
      items: (raw: any) => readonly unknown[];
      offsetParam: string;
      sizeParam?: string;
      maxPageSize?: number;
    }
  | {
      /** RFC 8288 `Link: <…>; rel="next"` (Shopify's page_info). */
      style: 'link';
      items: (raw: any) => readonly unknown[];
      sizeParam?: string;
      maxPageSize?: number;
    };

export interface EndpointDefinition {
  /** Default GET. */
  method?: HttpMethod;
  /** Path template on the base URL: `/contacts/{id}`. Parameters are always URL-encoded. */
  path: string;
  /** Arguments the endpoint takes; a trailing `?` marks an optional one. Bindings are checked against this. */
  args?: readonly string[];
  query?: (args: Args, settings: Settings) => QueryParams;
  body?: (args: Args, settings: Settings) => unknown;
  headers?: (args: Args, settings: Settings) => Record<string, string>;
  /** The single record inside a single-record answer, when the backend wraps it. */
  unwrap?: (raw: any) => unknown;
  /**
   * The shape the mapping relies on, for one record (or the whole answer of a non-list call).
   * An answer that does not match is drift: UPSTREAM_BAD_RESPONSE naming the field.
   */
  response?: ZodType;
  /** Vendor record → unified type. Default: the record as it came. */
  map?: (raw: any, args: Args) => unknown;
  batch?: BatchDefinition;
  pagination?: PaginationDefinition;
  /** Seconds a successful answer is reused; default the connector's. 0 = never cached. */
  cacheTtlSeconds?: number;
  /** Safe to repeat automatically. Default: true for GET, PUT, DELETE; false for POST, PATCH. */
  idempotent?: boolean;
  /** Entities the answer holds, as `type:id` tags, so a change event can purge it. */
  touches?: (args: Args, result: unknown) => readonly string[];
}

export interface ConnectorDefinition {
  name: string;
  title?: string;
  /** Where the real system lives; overridden by `<NAME>_URL`. Absent: configure or use the demo. */
  baseUrl?: string;
  apiVersion?: string;
  auth?: AuthDefinition;
  /**
   * Non-secret settings the connector needs (a tenant's location ids), resolved like secrets
   * from `<CONNECTOR>_<NAME>` and handed to request builders.
   */
  variables?: readonly string[];
  /** Headers sent on every call (API version pins, tenant ids). */
  headers?: Record<string, HeaderValue>;
  quota?: QuotaDefinition;
  timeouts?: TimeoutDefinition;
  retry?: RetryDefinition;
  breaker?: BreakerDefinition;
  /** Default cache TTL for idempotent endpoints, seconds; default 30. */
  cacheTtlSeconds?: number;
  rateLimit?: RateLimitReader;
  endpoints: Record<string, EndpointDefinition>;
}

/** Types a connector declaration. Validation happens at start-up (`normalizeConnector`). */
export function defineConnector<const T extends ConnectorDefinition>(definition: T): T {
  return definition;
}
