import { createHash } from 'node:crypto';
import type { Keyv } from 'keyv';
import type { AuthDefinition } from '../connectors/define.ts';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import { UpstreamBadResponseError, UpstreamUnavailableError, type UpstreamSite } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HttpClient, OutgoingCall } from './client.ts';
import { TransportError } from './client.ts';

/**
 * OAuth2 client-credentials and refresh-token grants, with the token shared through keyv so
 * every gateway instance uses one token per connector and client id.
 *
 * Guarantees:
 * - At most one token request in flight per connector in this process, however many calls
 *   wait; they all share its outcome, success or failure.
 * - A token is renewed `renewBeforeSeconds` before it expires (or half-way through its life
 *   when that is shorter), so no call is sent with a token about to lapse. If that early
 *   renewal fails, calls keep using the old token while it is still valid.
 * - A token request the endpoint refuses (400/401: wrong client id or secret) is a
 *   configuration error: it is logged once at error level, shared by every waiting call, and
 *   not repeated for `breaker.halfOpenAfterMs`, so a bad secret never becomes a request loop.
 * - A rotated refresh token is kept (without expiry) and used next time; if the endpoint refuses
 *   it, the configured refresh token is tried once before giving up.
 */
export interface TokenSource {
  /** A token valid now: this process's copy, the shared cache, or a new one. */
  current(site: UpstreamSite): Promise<string>;
  /** The backend refused `stale`: renews it unless another call already did. */
  renew(stale: string, site: UpstreamSite): Promise<void>;
}

export interface OAuth2Deps {
  baseUrl: string;
  secret: (name: string) => string;
  tokens: Keyv;
  client: HttpClient;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
}

type OAuth2Definition = Extract<AuthDefinition, { type: 'oauth2' }>;

interface TokenEntry {
  accessToken: string;
  renewAt: number;
  expiresAt: number;
}

/** Used when a token answer carries no `expires_in`: short, since a 401 renews anyway. */
const DEFAULT_LIFETIME_S = 300;

/** Why the token could not be had; each waiting call turns it into its own error. */
class TokenFailure extends Error {
  constructor(
    readonly reason: string,
    readonly status?: number,
    readonly kind: 'refused' | 'failed' | 'malformed' = 'failed',
  ) {
    super(reason);
  }

  toError(site: UpstreamSite) {
    if (this.kind === 'malformed') return new UpstreamBadResponseError({ ...site, endpoint: 'auth' }, this.reason, { status: this.status ?? 200 });
    return new UpstreamUnavailableError(site, this.reason, this.status === undefined ? {} : { status: this.status });
  }
}

export function createOAuth2(connector: NormalizedConnector, auth: OAuth2Definition, deps: OAuth2Deps): TokenSource {
  const clientId = deps.secret(auth.clientId.secret);
  const clientSecret = deps.secret(auth.clientSecret.secret);
  const configuredRefresh = auth.refreshToken && deps.secret(auth.refreshToken.secret);
  const renewBeforeMs = (auth.renewBeforeSeconds ?? 60) * 1000;
  const tokenUrl = new URL(auth.tokenUrl, new URL(deps.baseUrl).origin);
  // The client id stays out of key names (they show in Redis); a digest still tells clients apart.
  const key = `oauth2:${connector.name}:${createHash('sha256').update(clientId).digest('hex').slice(0, 16)}`;
  const refreshKey = `${key}:refresh`;
  const env = (ref: { secret: string }) => `${connector.name.toUpperCase()}_${ref.secret}`;
  const hint = [auth.clientId, auth.clientSecret, ...(auth.grant === 'refresh_token' && auth.refreshToken ? [auth.refreshToken] : [])].map(env).join(' / ');
  const site = { connector: connector.name, endpoint: 'auth' };

  let memo: TokenEntry | undefined;
  let inflight: Promise<TokenEntry> | undefined;
  let refusedUntil = 0;
  let refusal: TokenFailure | undefined;

  // Not type guards: whether a token is fresh changes with the clock, not with its type.
  const fresh = (e: TokenEntry | undefined) => (e !== undefined && deps.now() < e.renewAt ? e : undefined);
  const valid = (e: TokenEntry | undefined) => (e !== undefined && deps.now() < e.expiresAt ? e : undefined);

  async function cached<T>(k: string): Promise<T | undefined> {
    try {
      return (await deps.tokens.get<T>(k)) ?? undefined;
    } catch (error) {
      deps.logger.warn({ connector: connector.name, err: error }, 'token cache read failed');
      return undefined;
    }
  }
  async function store(k: string, value: unknown, ttlMs?: number): Promise<void> {
    try {
      await (value === undefined ? deps.tokens.delete(k) : deps.tokens.set(k, value, ttlMs));
    } catch (error) {
      deps.logger.warn({ connector: connector.name, err: error }, 'token cache write failed');
    }
  }

  /** This process's token, else the shared one (another instance may have renewed it). */
  async function freshEntry(): Promise<TokenEntry | undefined> {
    if (fresh(memo)) return memo;
    const shared = valid(await cached<TokenEntry>(key));
    const mine = valid(memo);
    if (shared && !(mine && mine.expiresAt >= shared.expiresAt)) memo = shared;
    return fresh(memo);
  }

  async function renewOnce(force: boolean): Promise<TokenEntry> {
    const known = fresh(memo);
    if (!force && known) return known;
    if (refusal && Date.now() < refusedUntil) throw refusal;
    inflight ??= obtain().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function obtain(): Promise<TokenEntry> {
    if (auth.grant === 'client_credentials') return requestToken(undefined, true);
    const rotated = await cached<string>(refreshKey);
    if (rotated && rotated !== configuredRefresh) {
      try {
        return await requestToken(rotated, false);
      } catch (error) {
        if (!(error instanceof TokenFailure && error.kind === 'refused')) throw error;
        await store(refreshKey, undefined);
      }
    }
    return requestToken(configuredRefresh, true);
  }

  /** `last`: no other credential is left to try, so a refusal is final, held and logged. */
  async function requestToken(refreshToken: string | undefined, last: boolean): Promise<TokenEntry> {
    const answer = await send(refreshToken);
    if (answer.status === 400 || answer.status === 401) {
      const failure = new TokenFailure(`token request refused: check ${hint}`, answer.status, 'refused');
      if (!last) throw failure;
      refusal = failure;
      refusedUntil = Date.now() + connector.breaker.halfOpenAfterMs;
      deps.logger.error({ connector: connector.name, endpoint: 'auth', status: answer.status }, `${connector.name}: ${failure.reason}`);
      throw failure;
    }
    if (answer.status < 200 || answer.status >= 300) throw new TokenFailure(`token request failed with status ${answer.status}`, answer.status);
    const body = (answer.body ?? {}) as Record<string, unknown>;
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new TokenFailure('the token answer carries no access_token', answer.status, 'malformed');
    }
    const lifetimeMs = (Number(body.expires_in) > 0 ? Number(body.expires_in) : DEFAULT_LIFETIME_S) * 1000;
    const obtainedAt = deps.now();
    const entry: TokenEntry = {
      accessToken: body.access_token,
      renewAt: obtainedAt + Math.max(lifetimeMs - renewBeforeMs, lifetimeMs / 2),
      expiresAt: obtainedAt + lifetimeMs,
    };
    memo = entry;
    refusal = undefined;
    await store(key, entry, lifetimeMs);
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '') await store(refreshKey, body.refresh_token);
    return entry;
  }

  /** One POST to the token endpoint, counted and timed as endpoint "auth". */
  async function send(refreshToken: string | undefined) {
    const form = new URLSearchParams({ grant_type: auth.grant });
    if (refreshToken) form.set('refresh_token', refreshToken);
    if (auth.scope) form.set('scope', auth.scope);
    const headers: Record<string, string> = {};
    if (auth.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const call: OutgoingCall = { method: 'POST', origin: tokenUrl.origin, path: tokenUrl.pathname, search: tokenUrl.search.slice(1), headers, form };
    const stopTimer = deps.metrics.upstreamDuration.startTimer(site);
    const signal = AbortSignal.timeout(connector.timeouts.requestMs);
    try {
      const answer = await deps.client.send(call, signal);
      deps.metrics.upstreamRequests.inc({ ...site, code: String(answer.status) });
      return answer;
    } catch (error) {
      const code = signal.aborted || (error instanceof TransportError && error.kind === 'timeout') ? 'timeout' : 'network';
      deps.metrics.upstreamRequests.inc({ ...site, code });
      throw new TokenFailure(`token request failed: ${code === 'timeout' ? 'no answer in time' : 'network error'}`);
    } finally {
      stopTimer();
    }
  }

  const asCallerError = (callSite: UpstreamSite) => (error: unknown): never => {
    throw error instanceof TokenFailure ? error.toError(callSite) : error;
  };

  return {
    async current(callSite) {
      const fresh = await freshEntry();
      if (fresh) return fresh.accessToken;
      try {
        return (await renewOnce(false)).accessToken;
      } catch (error) {
        const stillValid = valid(memo);
        if (stillValid) return stillValid.accessToken;
        return asCallerError(callSite)(error);
      }
    },
    async renew(stale, callSite) {
      if (valid(memo) && memo?.accessToken !== stale) return;
      const shared = valid(await cached<TokenEntry>(key));
      if (shared && shared.accessToken !== stale) {
        memo = shared;
        return;
      }
      await renewOnce(true).catch(asCallerError(callSite));
    },
  };
}
