import type { ZodType } from 'zod';
import type { SignatureScheme } from '../events/signatures/types.ts';

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
  /** Writes: how the idempotency key travels (Xero, Stripe: a header; Square: a body field). */
  idempotency?: { header: string } | { bodyField: string };
  /** Writes: what the arguments must satisfy before anything is written (BAD_USER_INPUT names the field). */
  input?: ZodType;
  /** Writes: the id of the record the answer created or changed. */
  id?: (raw: any, args: Args) => string | null | undefined;
  /**
   * Writes to systems without idempotency keys: an "already exists" answer (HubSpot's 409
   * "Existing ID: 123", Shopify's 422 "has already been taken") names the record a repeat
   * would have created. Return its id, or an endpoint of this connector that finds it, so a
   * retry resolves to the existing record instead of failing or writing twice.
   */
  existing?: (answer: { status: number; body: any }, args: Args) => string | { lookup: string; args: Args } | undefined;
}

/**
 * One change in the gateway's own terms, produced from a vendor's webhook or by a poller. The
 * log keeps one row per (connector, id): a redelivery with the same id is dropped.
 */
export interface ChangeEventInput {
  /** The vendor's event id: the de-duplication key within this connector. */
  id: string;
  /** Unified type, `<entity>.<change>` (`order.created`): one of the connector's declared `types`. */
  type: string;
  /** When it happened at the vendor: ISO-8601 text or epoch ms. Default: when it was received. */
  occurredAt?: string | number;
  /** The record the change is about, by this system's id. */
  subject: { type: string; id: string };
  /** Small JSON facts subscriptions filter on (`customerId`, `propertyId`). */
  data?: Record<string, unknown>;
  /** Cache tags (see `touches`) the change makes stale. Default `<connector>:<subject.type>:<subject.id>`. */
  purges?: readonly string[];
}

/** What the mapping may know about a delivery besides its parsed body. */
export interface WebhookDeliveryInfo {
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The event id the signature scheme read from a signed header (Shopify, GitHub, Standard Webhooks). */
  eventId: string | undefined;
  /** The signed timestamp, epoch ms, when the scheme has one. */
  timestamp: number | undefined;
  receivedAt: number;
  /** SHA-256 hex of the raw body, for vendors that send no event id. */
  digest: string;
}

export interface WebhookDefinition {
  /**
   * How deliveries are verified (`stripeSignature()`, `shopifyHmac()`, …). A function builds the
   * scheme for each delivery from the URL it was received at and the resolved settings (Square
   * signs the notification URL).
   */
  scheme: SignatureScheme | ((target: { url: string; settings: Settings }) => SignatureScheme);
  /**
   * Names of the active secrets, resolved like every other secret (`CRM_WEBHOOK_SECRET`). A
   * trailing `?` marks one that may be absent: the previous secret during a rotation.
   */
  secrets: readonly string[];
  /** Every unified event type `events` can produce; `@event(from:)` bindings are checked against it. */
  types: readonly string[];
  /** Pure: the parsed body of one verified delivery → its changes (none for a handshake). */
  events: (payload: any, delivery: WebhookDeliveryInfo) => readonly ChangeEventInput[];
  /** Larger bodies are refused with 413 before they are verified; default 1 MiB. */
  maxBodyBytes?: number;
}

/** A poller, for systems (or records) without webhooks: changes it finds become the same events. */
export interface PollDefinition {
  /** An endpoint of this connector that lists records changed since a time; never cached. */
  endpoint: string;
  intervalMs: number;
  /** The modified-since cursor: the argument that carries it and how the time is written (default ISO-8601). */
  cursor: { arg: string; format?: (epochMs: number) => string; overlapMs?: number };
  types: readonly string[];
  /** Pure: one changed record (as the endpoint maps it) → its changes; ids should name the version. */
  events: (record: any) => readonly ChangeEventInput[];
  /** How far back the very first poll looks when the log holds nothing from this connector; default 0. */
  lookbackMs?: number;
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
  /** The system's own explanation in an error answer (shown to operators for failed writes; never a whole body). */
  errorMessage?: (body: any, status: number) => string | undefined;
  endpoints: Record<string, EndpointDefinition>;
  /** Signed webhooks this system sends, and how they map into unified events. */
  webhooks?: WebhookDefinition;
  /** Changes found by polling an endpoint, for systems without webhooks. */
  poll?: PollDefinition;
}

/** Types a connector declaration. Validation happens at start-up (`normalizeConnector`). */
export function defineConnector<const T extends ConnectorDefinition>(definition: T): T {
  return definition;
}
