import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import jwt from 'jsonwebtoken';
import type { Logger } from '../observability/logger.ts';
import type { Principal } from '../schema/context.ts';
import { DEV_ISSUER } from './dev-token.ts';
import type { RateLimiter } from './rate-limit.ts';
import { InvalidTokenError, type InvalidTokenReason, type TokenVerifier } from './tokens.ts';

/**
 * Admission to the GraphQL surface, before Apollo or graphql-ws see an operation: who is asking
 * (a bearer token, verified), and whether they still have budget (the per-client rate limit).
 *
 * Guarantees: a token that is present but invalid is refused — 401 over HTTP, close 4403 over
 * graphql-ws — in every mode, never treated as anonymous; with `required` (always in production)
 * a missing token is refused the same way; nothing refused here reaches a resolver, so nothing
 * reaches a backend. The token itself is never logged.
 */

export type Authentication =
  | { kind: 'anonymous' }
  | { kind: 'verified'; principal: Principal; expiresAt: number }
  | { kind: 'refused'; reason: InvalidTokenReason | 'missing' };

/** An HTTP answer that ends the request. */
export interface Refusal {
  status: 401 | 429;
  headers: Record<string, string>;
  body: { errors: Array<{ message: string; extensions: { code: string } }> };
}

export type Admission = { kind: 'admitted'; principal: Principal | undefined } | { kind: 'refused'; refusal: Refusal };

export interface Verifiers {
  /** The deployment's identity provider; undefined when none is configured. */
  configured: TokenVerifier | undefined;
  /** Development tokens; never present in production. */
  development: TokenVerifier | undefined;
}

export interface GateOptions {
  verifiers: Verifiers;
  /** Every operation needs a valid token. */
  required: boolean;
  rateLimiter: RateLimiter | undefined;
  logger: Logger;
}

export interface Gate {
  readonly required: boolean;
  /** Reads `Authorization: Bearer …`; refuses an invalid token whatever `required` says. */
  authenticate(authorization: string | undefined, options?: { optional?: boolean }): Promise<Authentication>;
  /** Spends one request of the client's budget; undefined when it is within it. */
  throttle(client: string): Promise<Refusal | undefined>;
  /** The whole HTTP admission: authentication, then the rate limit. Remembers the principal for `principalOf`. */
  admitHttp(req: IncomingMessage): Promise<Admission>;
  /** The principal admitted for this request (routes that build their own context read it here). */
  principalOf(req: IncomingMessage): Principal | undefined;
}

const REALM = 'Bearer realm="interchange"';

function unauthorized(reason: InvalidTokenReason | 'missing'): Refusal {
  const code = { code: 'UNAUTHENTICATED' };
  if (reason === 'missing') {
    return { status: 401, headers: { 'www-authenticate': REALM }, body: { errors: [{ message: 'A bearer token is required', extensions: code }] } };
  }
  // RFC 6750 §3.1. Which check failed is for the server log, except expiry: a client can act on it.
  const description = reason === 'expired' ? 'The access token expired' : 'The access token is invalid';
  return {
    status: 401,
    headers: { 'www-authenticate': `${REALM}, error="invalid_token", error_description="${description}"` },
    body: { errors: [{ message: description, extensions: code }] },
  };
}

export function tooManyRequests(retryAfterSeconds: number): Refusal {
  return {
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: { errors: [{ message: `Too many requests: try again in ${retryAfterSeconds} s`, extensions: { code: 'RATE_LIMITED' } }] },
  };
}

/** The rate-limit key: the principal when there is one (all its connections share a budget), else the address. */
export function clientKey(principal: Principal | undefined, address: string | undefined): string {
  return principal ? `sub:${principal.tenant ?? ''}:${principal.subject}` : `ip:${address ?? 'unknown'}`;
}

/** A browser opening Apollo Sandbox: no operation runs, and a browser cannot send a token. */
function isLandingPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && !/[?&]query=/.test(req.url ?? '') && (req.headers.accept ?? '').includes('text/html');
}

function pickVerifier(verifiers: Verifiers, token: string): TokenVerifier | undefined {
  if (!verifiers.development) return verifiers.configured;
  // The unverified issuer only chooses which verifier to try; each pins its own key and algorithms.
  const claims = jwt.decode(token, { json: true });
  return claims?.iss === DEV_ISSUER || !verifiers.configured ? verifiers.development : verifiers.configured;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createGate(options: GateOptions): Gate {
  const principals = new WeakMap<IncomingMessage, Principal>();

  async function authenticate(authorization: string | undefined, call: { optional?: boolean } = {}): Promise<Authentication> {
    if (authorization === undefined || authorization.trim() === '') {
      return options.required && !call.optional ? { kind: 'refused', reason: 'missing' } : { kind: 'anonymous' };
    }
    const token = /^Bearer\s+([A-Za-z0-9\-_.=]+)\s*$/i.exec(authorization)?.[1];
    const verifier = token === undefined ? undefined : pickVerifier(options.verifiers, token);
    if (token === undefined || !verifier) return { kind: 'refused', reason: 'malformed' };
    try {
      const verified = await verifier.verify(token);
      return { kind: 'verified', ...verified };
    } catch (error) {
      const reason = error instanceof InvalidTokenError ? error.reason : 'malformed';
      if (!(error instanceof InvalidTokenError)) options.logger.error({ err: error }, 'token verification failed unexpectedly');
      options.logger.debug({ reason }, 'bearer token refused');
      return { kind: 'refused', reason };
    }
  }

  async function throttle(client: string): Promise<Refusal | undefined> {
    const decision = await options.rateLimiter?.take(client);
    return decision && !decision.allowed ? tooManyRequests(decision.retryAfterSeconds) : undefined;
  }

  return {
    required: options.required,
    authenticate,
    throttle,
    async admitHttp(req) {
      const authorization = headerValue(req.headers, 'authorization');
      const auth = await authenticate(authorization, { optional: isLandingPage(req) });
      if (auth.kind === 'refused') return { kind: 'refused', refusal: unauthorized(auth.reason) };
      const principal = auth.kind === 'verified' ? auth.principal : undefined;
      const throttled = await throttle(clientKey(principal, req.socket.remoteAddress));
      if (throttled) return { kind: 'refused', refusal: throttled };
      if (principal) principals.set(req, principal);
      return { kind: 'admitted', principal };
    },
    principalOf: (req) => principals.get(req),
  };
}

/** A GraphQL error for the graphql-ws error message, when a subscriber is over its budget. */
export function refusalError(refusal: Refusal): GraphQLError {
  const first = refusal.body.errors[0]!;
  return new GraphQLError(first.message, { extensions: first.extensions });
}
