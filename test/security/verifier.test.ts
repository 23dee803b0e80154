import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, InvalidTokenError, scopesOf, type TokenRules } from '../../src/auth/tokens.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createJwksKeyStore } from '../../src/auth/jwks.ts';
import { AUDIENCE, forge, ISSUER, now, rsaKey, signRs256, startJwks } from './support.ts';

/**
 * The verifier on its own: each refused token is refused for the reason it should be (the HTTP
 * suites see only "401"), and the principal is read from the claims as documented.
 */

const RULES: TokenRules = { algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 30, tenantClaim: 'tenant' };
const key = rsaKey('k1');
const verifier = createTokenVerifier({ kind: 'public_key', pem: key.publicPem }, RULES);

async function reasonFor(token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    return error instanceof InvalidTokenError ? error.reason : `unexpected: ${String(error)}`;
  }
}

const claims = { sub: 'u', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 };

describe('each refusal has its reason', () => {
  it.each([
    ['alg: none', () => forge({ alg: 'none' }, claims), 'algorithm'],
    ['HS256 signed with the public key', () => forge({ alg: 'HS256' }, claims, key.publicPem), 'algorithm'],
    ['no exp', () => signRs256(key, { sub: 'u' }, { expiresIn: undefined }), 'missing_exp'],
    ['expired 2 minutes ago', () => signRs256(key, { sub: 'u', exp: now() - 120 }, { expiresIn: undefined }), 'expired'],
    ['not valid for another minute', () => signRs256(key, { sub: 'u' }, { notBefore: 60 }), 'not_yet_valid'],
    ['another audience', () => signRs256(key, { sub: 'u' }, { audience: 'other' }), 'audience'],
    ['another issuer', () => signRs256(key, { sub: 'u' }, { issuer: 'https://other/' }), 'issuer'],
    ['signed by another key', () => signRs256(rsaKey('k1'), { sub: 'u' }), 'signature'],
    ['no subject', () => signRs256(key, {}), 'missing_subject'],
    ['not a JWT', () => 'abc.def', 'malformed'],
  ])('%s → %s', async (_name, token, reason) => {
    expect(await reasonFor(token())).toBe(reason);
  });

  it('accepts a token expired within the tolerance', async () => {
    expect(await reasonFor(signRs256(key, { sub: 'u', exp: now() - 10 }, { expiresIn: undefined }))).toBe('accepted');
  });

  it('refuses an ES256 token when only RS256 is pinned, even with a valid EC signature', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecVerifier = createTokenVerifier({ kind: 'public_key', pem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, RULES);
    const token = jwt.sign({ sub: 'u' }, ec.privateKey, { algorithm: 'ES256', issuer: ISSUER, audience: AUDIENCE, expiresIn: 60 });
    await expect(ecVerifier.verify(token)).rejects.toMatchObject({ reason: 'algorithm' });
    const es = createTokenVerifier({ kind: 'public_key', pem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, { ...RULES, algorithms: ['ES256'] });
    await expect(es.verify(token)).resolves.toMatchObject({ principal: { subject: 'u' } });
  });
});

describe('the principal', () => {
  it('takes scopes from scope or scp, and the tenant from its claim', async () => {
    const verified = await verifier.verify(signRs256(key, { sub: 'u-1', scope: 'a b', scp: ['b', 'c'], tenant: 'hotel-7' }));
    expect(verified.principal).toEqual({ subject: 'u-1', scopes: ['a', 'b', 'c'], tenant: 'hotel-7' });
    expect(scopesOf({ scp: 'x y' })).toEqual(['x', 'y']);
  });
});

describe('the JWKS key store', () => {
  it('refuses a key published for another algorithm', async () => {
    const provider = await startJwks([{ ...key, jwk: { ...key.jwk, alg: 'RS512' } }]);
    try {
      const store = createJwksKeyStore({ url: provider.url, cacheMs: 60_000, refetchIntervalMs: 30_000, logger: createLogger({ level: 'silent' }) });
      const viaJwks = createTokenVerifier({ kind: 'jwks', store }, RULES);
      await expect(viaJwks.verify(signRs256(key))).rejects.toMatchObject({ reason: 'unknown_key' });
    } finally {
      await provider.close();
    }
  });

  it('does not hammer a failing provider: one attempt per refetch interval, keys served once it recovers', async () => {
    let healthy = false;
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(healthy ? JSON.stringify({ keys: [key.jwk] }) : '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const store = createJwksKeyStore({ url, cacheMs: 60_000, refetchIntervalMs: 300, logger: createLogger({ level: 'silent' }) });
      for (let i = 0; i < 20; i++) expect(await store.keyFor('k1')).toBeUndefined();
      expect(calls).toBe(1);
      healthy = true;
      await new Promise((r) => setTimeout(r, 350));
      expect((await store.keyFor('k1'))?.pem).toBe(key.publicPem);
      expect(calls).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
