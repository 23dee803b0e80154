import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import type { Principal } from '../schema/context.ts';
import type { JwksKeyStore } from './jwks.ts';

/**
 * Verifies a client's bearer token (a JWT) and turns it into the principal resolvers see.
 *
 * jsonwebtoken accepts a token without `exp`, with any `aud` or `iss`, and with whichever
 * algorithm its header names unless told otherwise, so every rule is pinned here: the
 * algorithms (checked against the header before any key is looked up, so `alg: none` or an
 * HS256 token signed with an RSA public key never gets as far as a signature check), the issuer,
 * the audience, a required `exp` and `sub`, and a small clock tolerance.
 */

export type InvalidTokenReason =
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'audience'
  | 'issuer'
  | 'missing_exp'
  | 'missing_subject';

/** Why a token was refused. The reason is for the server log; clients learn only "invalid". */
export class InvalidTokenError extends Error {
  readonly reason: InvalidTokenReason;
  constructor(reason: InvalidTokenReason, options?: { cause?: unknown }) {
    super(`invalid bearer token: ${reason}`, options);
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'public_key'; pem: string }
  | { kind: 'jwks'; store: JwksKeyStore };

export interface TokenRules {
  algorithms: readonly Algorithm[];
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  /** The claim holding the caller's tenant, when there is one. */
  tenantClaim: string;
}

export interface VerifiedToken {
  principal: Principal;
  /** Epoch ms of `exp`: a WebSocket authenticated with this token is closed then. */
  expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

async function keyFor(source: KeySource, kid: string | undefined, alg: string): Promise<string> {
  if (source.kind === 'secret') return source.secret;
  if (source.kind === 'public_key') return source.pem;
  const key = await source.store.keyFor(kid);
  // A key the provider publishes for one algorithm is not to be used with another.
  if (!key || (key.alg !== undefined && key.alg !== alg)) throw new InvalidTokenError('unknown_key');
  return key.pem;
}

function reasonOf(error: unknown): InvalidTokenReason {
  if (error instanceof jwt.TokenExpiredError) return 'expired';
  if (error instanceof jwt.NotBeforeError) return 'not_yet_valid';
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('jwt audience invalid')) return 'audience';
  if (message.startsWith('jwt issuer invalid')) return 'issuer';
  if (message === 'invalid signature') return 'signature';
  if (message.includes('algorithm') || message.includes('asymmetric')) return 'algorithm';
  return 'malformed';
}

/** `scope: "a b"` (RFC 8693) or `scp: ["a", "b"]` / `scp: "a b"` (Azure AD, Okta). */
export function scopesOf(payload: JwtPayload): string[] {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    if (typeof claim === 'string') claim.split(' ').forEach((s) => s && scopes.add(s));
    else if (Array.isArray(claim)) claim.forEach((s) => typeof s === 'string' && s && scopes.add(s));
  }
  return [...scopes];
}

export function createTokenVerifier(source: KeySource, rules: TokenRules): TokenVerifier {
  const algorithms = [...rules.algorithms];
  return {
    async verify(token) {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw new InvalidTokenError('malformed');
      const { alg, kid } = decoded.header;
      if (!algorithms.includes(alg as Algorithm)) throw new InvalidTokenError('algorithm');
      const key = await keyFor(source, kid, alg);
      let payload: JwtPayload;
      try {
        payload = jwt.verify(token, key, { algorithms, issuer: rules.issuer, audience: rules.audience, clockTolerance: rules.clockToleranceSeconds }) as JwtPayload;
      } catch (cause) {
        throw new InvalidTokenError(reasonOf(cause), { cause });
      }
      if (typeof payload.exp !== 'number') throw new InvalidTokenError('missing_exp');
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('missing_subject');
      const tenant = payload[rules.tenantClaim];
      return {
        principal: { subject: payload.sub, scopes: scopesOf(payload), tenant: typeof tenant === 'string' ? tenant : undefined },
        expiresAt: payload.exp * 1000,
      };
    },
  };
}
