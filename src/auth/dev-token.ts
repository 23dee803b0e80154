import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTokenVerifier, type TokenVerifier } from './tokens.ts';

/**
 * Outside production, a newcomer should be able to try scoped fields in Sandbox without an
 * identity provider: start-up signs a short-lived token carrying every scope the schema uses,
 * with a secret of its own (generated per process unless AUTH_DEV_SECRET sets one, so tokens
 * survive restarts). Never built in production; it has its own issuer, so it can never pass for
 * a token of the configured provider, nor the other way round.
 */

export const DEV_ISSUER = 'interchange-development';
export const DEV_AUDIENCE = 'interchange';
export const DEV_SUBJECT = 'developer';

export interface DevelopmentToken {
  token: string;
  scopes: readonly string[];
  expiresAt: Date;
}

export interface DevelopmentAuth {
  verifier: TokenVerifier;
  issue(scopes: readonly string[]): DevelopmentToken;
}

export function createDevelopmentAuth(options: { secret: string | undefined; ttlSeconds: number; clockToleranceSeconds: number }): DevelopmentAuth {
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  return {
    verifier: createTokenVerifier(
      { kind: 'secret', secret },
      { algorithms: ['HS256'], issuer: DEV_ISSUER, audience: DEV_AUDIENCE, clockToleranceSeconds: options.clockToleranceSeconds, tenantClaim: 'tenant' },
    ),
    issue(scopes) {
      const token = jwt.sign({ scope: scopes.join(' ') }, secret, {
        algorithm: 'HS256',
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        subject: DEV_SUBJECT,
        expiresIn: options.ttlSeconds,
      });
      return { token, scopes, expiresAt: new Date(Date.now() + options.ttlSeconds * 1000) };
    },
  };
}
