/**
 * The closed list of public error codes (DESIGN.md, "Error codes") and the small family of
 * classes that carry them. Every expected failure in the engine is one of these; anything else
 * is a bug and reaches clients as INTERNAL_SERVER_ERROR with its message masked.
 *
 * `message` is always safe to show a client: it never contains an upstream body, a token or a
 * secret. The upstream detail, when there is one, stays on `cause` for the server log (which
 * redacts it again).
 */

export const ERROR_CODES = [
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_BAD_RESPONSE',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface UpstreamSite {
  connector: string;
  endpoint: string;
}

export class InterchangeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** What a client may see in `extensions`, besides `code`. */
  extensions(): Record<string, unknown> {
    return {};
  }
}

/** A failure that involved a backend: carries which connector and endpoint. */
export class UpstreamError extends InterchangeError {
  readonly connector: string;
  readonly endpoint: string;
  /** HTTP status the backend answered, when it answered at all. */
  readonly status: number | undefined;
  constructor(
    code: Extract<
      ErrorCode,
      | 'UPSTREAM_UNAVAILABLE'
      | 'UPSTREAM_TIMEOUT'
      | 'UPSTREAM_RATE_LIMITED'
      | 'UPSTREAM_BAD_RESPONSE'
      | 'NOT_FOUND'
      | 'CONFLICT'
      | 'BAD_USER_INPUT'
      | 'UNAUTHENTICATED'
      | 'FORBIDDEN'
    >,
    site: UpstreamSite,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, options);
    this.connector = site.connector;
    this.endpoint = site.endpoint;
    this.status = options?.status;
  }

  override extensions(): Record<string, unknown> {
    return { connector: this.connector, endpoint: this.endpoint };
  }
}

/** The backend could not be reached, answered 5xx, or its circuit is open. */
export class UpstreamUnavailableError extends UpstreamError {
  /** When trying again makes sense at the earliest (an open circuit's next probe). */
  readonly retryAfterMs: number | undefined;
  constructor(site: UpstreamSite, reason: string, options?: { cause?: unknown; status?: number; retryAfterMs?: number }) {
    super('UPSTREAM_UNAVAILABLE', site, `${site.connector} is unavailable (${reason})`, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export class UpstreamTimeoutError extends UpstreamError {
  constructor(site: UpstreamSite, afterMs: number, options?: { cause?: unknown }) {
    super('UPSTREAM_TIMEOUT', site, `${site.connector} did not answer within ${afterMs} ms`, options);
  }
}

export class UpstreamRateLimitedError extends UpstreamError {
  readonly retryAfterMs: number | undefined;
  constructor(site: UpstreamSite, retryAfterMs?: number, options?: { cause?: unknown }) {
    super('UPSTREAM_RATE_LIMITED', site, `${site.connector} is rate limiting this gateway`, {
      ...options,
      status: 429,
    });
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The backend answered, but not in the shape the connector declares (drift). `field` names the
 * first path that did not match, so the connector author knows what changed.
 */
export class UpstreamBadResponseError extends UpstreamError {
  readonly field: string | undefined;
  constructor(site: UpstreamSite, detail: string, options?: { cause?: unknown; field?: string; status?: number }) {
    super('UPSTREAM_BAD_RESPONSE', site, `${site.connector}.${site.endpoint} answered in an unexpected shape: ${detail}`, options);
    this.field = options?.field;
  }

  override extensions(): Record<string, unknown> {
    return this.field === undefined ? super.extensions() : { ...super.extensions(), field: this.field };
  }
}

/** Start-up refused: a connector file, a schema binding or the environment is wrong. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

export function isInterchangeError(error: unknown): error is InterchangeError {
  return error instanceof InterchangeError;
}
