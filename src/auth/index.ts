import { createPublicKey } from 'node:crypto';
import type { Algorithm } from 'jsonwebtoken';
import type { GraphQLSchema } from 'graphql';
import type { AuthConfig } from '../config/index.ts';
import { ConfigurationError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { createDevelopmentAuth, type DevelopmentToken } from './dev-token.ts';
import { declaredScopes } from './directive.ts';
import { createGate, type Gate } from './gate.ts';
import { createJwksKeyStore } from './jwks.ts';
import { createRateLimiter, type RateLimit } from './rate-limit.ts';
import { createTokenVerifier, type KeySource, type TokenVerifier } from './tokens.ts';
import { createWsAuth, type WsAuth } from './websocket.ts';

/**
 * Who may ask, built once from the configuration: the verifier for the deployment's identity
 * provider (HS256 secret, a PEM public key, or a JWKS URL), the development token outside
 * production, and the per-client rate limiter, behind one gate used by HTTP and graphql-ws.
 * Every configuration mistake that would weaken verification stops start-up instead.
 */

export interface Auth {
  gate: Gate;
  ws: WsAuth;
  /** Outside production: a token carrying every scope the schema uses, to paste into Sandbox. */
  developmentToken: DevelopmentToken | undefined;
  close(): Promise<void>;
}

const SYMMETRIC = new Set(['HS256', 'HS384', 'HS512']);
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);
const EC_CURVE_ALGORITHM: Record<string, Algorithm> = { 'P-256': 'ES256', 'prime256v1': 'ES256', 'P-384': 'ES384', 'secp384r1': 'ES384', 'P-521': 'ES512', 'secp521r1': 'ES512' };

function publicKeyAlgorithm(pem: string): Algorithm {
  let key;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new ConfigurationError('AUTH_JWT_PUBLIC_KEY is not a PEM public key', { cause });
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve && EC_CURVE_ALGORITHM[curve]) return EC_CURVE_ALGORITHM[curve];
  throw new ConfigurationError(`AUTH_JWT_PUBLIC_KEY must be an RSA or EC (P-256/384/521) key, got ${key.asymmetricKeyType ?? 'unknown'}`);
}

function keySourceOf(config: AuthConfig, logger: Logger): { source: KeySource; defaults: Algorithm[] } | undefined {
  const given = [config.jwtSecret && 'AUTH_JWT_SECRET', config.publicKey && 'AUTH_JWT_PUBLIC_KEY', config.jwksUrl && 'AUTH_JWKS_URL'].filter(Boolean);
  if (given.length > 1) throw new ConfigurationError(`Set one way to verify client tokens, not ${given.join(' and ')}`);
  if (config.jwtSecret !== undefined) {
    if (Buffer.byteLength(config.jwtSecret) < 32) throw new ConfigurationError('AUTH_JWT_SECRET must be at least 32 bytes');
    return { source: { kind: 'secret', secret: config.jwtSecret }, defaults: ['HS256'] };
  }
  if (config.publicKey !== undefined) return { source: { kind: 'public_key', pem: config.publicKey }, defaults: [publicKeyAlgorithm(config.publicKey)] };
  if (config.jwksUrl !== undefined) {
    const store = createJwksKeyStore({ url: config.jwksUrl, cacheMs: config.jwksCacheSeconds * 1000, refetchIntervalMs: config.jwksRefetchIntervalSeconds * 1000, logger });
    return { source: { kind: 'jwks', store }, defaults: ['RS256', 'ES256'] };
  }
  return undefined;
}

/** The configured verifier; refuses algorithm lists that would let one kind of key pass for another. */
function configuredVerifier(config: AuthConfig, production: boolean, logger: Logger): TokenVerifier | undefined {
  const key = keySourceOf(config, logger);
  if (!key) {
    if (production) throw new ConfigurationError('Production needs a way to verify client tokens: set AUTH_JWKS_URL, AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET, with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE');
    return undefined;
  }
  const missing = [!config.issuer && 'AUTH_JWT_ISSUER', !config.audience && 'AUTH_JWT_AUDIENCE'].filter(Boolean);
  if (missing.length > 0) throw new ConfigurationError(`Client tokens are verified, so set ${missing.join(' and ')}: a token for another service or from another issuer must not pass`);
  const algorithms = (config.algorithms ?? key.defaults) as Algorithm[];
  const allowed = key.source.kind === 'secret' ? SYMMETRIC : ASYMMETRIC;
  const wrong = algorithms.filter((a) => !allowed.has(a));
  if (wrong.length > 0 || algorithms.length === 0) {
    throw new ConfigurationError(`AUTH_JWT_ALGORITHMS for ${key.source.kind === 'secret' ? 'a shared secret' : 'public keys'} must be among ${[...allowed].join(', ')}, got ${wrong.join(', ') || 'none'}`);
  }
  return createTokenVerifier(key.source, { algorithms, issuer: config.issuer!, audience: config.audience!, clockToleranceSeconds: config.clockToleranceSeconds, tenantClaim: config.tenantClaim });
}

export function createAuth(options: {
  config: AuthConfig;
  production: boolean;
  schema: GraphQLSchema;
  rateLimit: RateLimit | undefined;
  redisUrl: string | undefined;
  logger: Logger;
}): Auth {
  const { config, production, logger } = options;
  const configured = configuredVerifier(config, production, logger);
  const development = production ? undefined : createDevelopmentAuth({ secret: config.devSecret, ttlSeconds: config.devTokenTtlSeconds, clockToleranceSeconds: config.clockToleranceSeconds });
  const rateLimiter = createRateLimiter({ limit: options.rateLimit, redisUrl: options.redisUrl, logger });
  const gate = createGate({ verifiers: { configured, development: development?.verifier }, required: config.required, rateLimiter, logger });
  return {
    gate,
    ws: createWsAuth(gate),
    developmentToken: development?.issue(declaredScopes(options.schema)),
    close: async () => rateLimiter?.close(),
  };
}

export { applyAuthDirective, declaredScopes } from './directive.ts';
export type { DevelopmentToken } from './dev-token.ts';
export type { Gate, Refusal } from './gate.ts';
export type { RateLimit } from './rate-limit.ts';
