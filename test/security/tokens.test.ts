import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { AUDIENCE, bearer, forge, ISSUER, now, post, rsaKey, signHs256, signRs256, startJwks, startSecurityGateway, type JwksServer } from './support.ts';

/**
 * Who may ask. A production gateway verifies RS256 tokens against a JWKS served over real HTTP;
 * every refused token gets 401 with `WWW-Authenticate`, and nothing reaches the backend.
 */

const QUERY = { query: '{ person(id: "1") { name } }' };
const keyA = rsaKey('key-a');
const keyB = rsaKey('key-b');
const stranger = rsaKey('key-a'); // same kid as A, different key: a forged signature

let backend: PeopleBackend;
let jwks: JwksServer;
let gateway: TestGateway;

const productionEnv = (jwksUrl: string) => ({ NODE_ENV: 'production', AUTH_JWKS_URL: jwksUrl, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });

beforeAll(async () => {
  backend = await startPeopleBackend();
  jwks = await startJwks([keyA]);
  gateway = await startSecurityGateway(backend, productionEnv(jwks.url));
});
afterAll(async () => {
  await gateway?.stop();
  await jwks?.close();
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

describe('a production gateway', () => {
  it('answers a query with a valid token, and the backend is called', async () => {
    const response = await post(gateway, QUERY, bearer(signRs256(keyA)));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { person: { name: 'Person 1' } } });
    expect(backend.calls).toHaveLength(1);
  });

  it('accepts a token expired within the clock tolerance', async () => {
    const token = signRs256(keyA, { sub: 'user-1', exp: now() - 5 }, { expiresIn: undefined });
    expect((await post(gateway, QUERY, bearer(token))).status).toBe(200);
  });

  it('refuses a request with no token: 401, a Bearer challenge, no backend call', async () => {
    const response = await post(gateway, QUERY);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="interchange"');
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(backend.calls).toHaveLength(0);
  });

  const refused: Array<[string, () => string]> = [
    ['alg: none', () => forge({ alg: 'none', typ: 'JWT' }, { sub: 'user-1', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })],
    ['an HS256 token signed with the RSA public key', () => forge({ alg: 'HS256', typ: 'JWT', kid: keyA.kid }, { sub: 'user-1', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }, keyA.publicPem)],
    ['a token without exp', () => signRs256(keyA, { sub: 'user-1' }, { expiresIn: undefined })],
    ['a token expired beyond the tolerance', () => signRs256(keyA, { sub: 'user-1', exp: now() - 120 }, { expiresIn: undefined })],
    ['a token for another audience', () => signRs256(keyA, { sub: 'user-1' }, { audience: 'some-other-api' })],
    ['a token from another issuer', () => signRs256(keyA, { sub: 'user-1' }, { issuer: 'https://evil.example.test/' })],
    ['a token whose key id is not in the JWKS', () => signRs256(rsaKey('key-unknown'), { sub: 'user-1' })],
    ['a token signed by another key under a published key id', () => signRs256(stranger, { sub: 'user-1' })],
    ['a token without a subject', () => signRs256(keyA, { scope: 'admin' })],
    ['an HS256 token with a guessable secret', () => signHs256('secret', { sub: 'user-1' })],
    ['garbage', () => 'not-a-jwt'],
  ];

  it.each(refused)('refuses %s: 401 invalid_token, no backend call', async (_name, token) => {
    const response = await post(gateway, QUERY, bearer(token()));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="interchange", error="invalid_token"/);
    expect(response.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(response.text).not.toContain('key-');
    expect(backend.calls).toHaveLength(0);
  });

  it('refuses credentials that are not a bearer token', async () => {
    const response = await post(gateway, QUERY, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    expect(backend.calls).toHaveLength(0);
  });
});

describe('JWKS key rotation', () => {
  it('picks up a rotated key with exactly one refetch', async () => {
    const rotation = await startJwks([keyA]);
    const rotating = await startSecurityGateway(backend, productionEnv(rotation.url));
    try {
      expect((await post(rotating, QUERY, bearer(signRs256(keyA)))).status).toBe(200);
      expect((await post(rotating, QUERY, bearer(signRs256(keyA)))).status).toBe(200);
      expect(rotation.calls).toBe(1);
      rotation.publish([keyB]);
      expect((await post(rotating, QUERY, bearer(signRs256(keyB)))).status).toBe(200);
      expect((await post(rotating, QUERY, bearer(signRs256(keyB)))).status).toBe(200);
      expect(rotation.calls).toBe(2);
    } finally {
      await rotating.stop();
      await rotation.close();
    }
  });

  it('does not pass a flood of unknown key ids on to the JWKS endpoint', async () => {
    const provider = await startJwks([keyA]);
    const flooded = await startSecurityGateway(backend, productionEnv(provider.url));
    try {
      expect((await post(flooded, QUERY, bearer(signRs256(keyA)))).status).toBe(200);
      backend.calls.length = 0;
      const forgedKeys = Array.from({ length: 5 }, (_, i) => rsaKey(`forged-${i}`));
      const tokens = Array.from({ length: 200 }, (_, i) => signRs256({ ...forgedKeys[i % 5]!, kid: `forged-${i}` }));
      const concurrent = await Promise.all(tokens.slice(0, 100).map((t) => post(flooded, QUERY, bearer(t))));
      const sequential = [];
      for (const t of tokens.slice(100)) sequential.push(await post(flooded, QUERY, bearer(t)));
      expect([...concurrent, ...sequential].every((r) => r.status === 401)).toBe(true);
      // One fetch at start-up, at most one refetch for the whole flood.
      expect(provider.calls).toBeLessThanOrEqual(2);
      expect(backend.calls).toHaveLength(0);
      // The legitimate key still works throughout.
      expect((await post(flooded, QUERY, bearer(signRs256(keyA)))).status).toBe(200);
    } finally {
      await flooded.stop();
      await provider.close();
    }
  });
});

describe('outside production', () => {
  let dev: TestGateway;
  const secret = 'a-development-hs256-secret-of-at-least-32-bytes';
  beforeAll(async () => {
    dev = await startSecurityGateway(backend, { AUTH_JWT_SECRET: secret, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    await dev?.stop();
  });

  it('lets an anonymous caller query unscoped fields', async () => {
    expect((await post(dev, QUERY)).body).toEqual({ data: { person: { name: 'Person 1' } } });
  });

  it('still refuses a present but invalid token with 401, never as anonymous', async () => {
    const response = await post(dev, QUERY, bearer(signHs256(secret, { sub: 'user-1' }, { audience: 'elsewhere' })));
    expect(response.status).toBe(401);
    expect(backend.calls).toHaveLength(0);
  });

  it('issues a short-lived development token with every scope the schema uses', async () => {
    const token = dev.developmentToken!;
    expect(token.scopes).toEqual(['admin', 'hr:read', 'people:events', 'teams:read']);
    expect(token.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    const response = await post(dev, { query: '{ person(id: "2") { salaryBand team { title } } }' }, bearer(token.token));
    expect(response.body).toEqual({ data: { person: { salaryBand: 'band-2', team: { title: 'Team 2' } } } });
  });

  it('accepts tokens signed with the configured secret', async () => {
    const response = await post(dev, { query: '{ person(id: "2") { salaryBand } }' }, bearer(signHs256(secret, { sub: 'hr-1', scope: 'hr:read' })));
    expect(response.body).toEqual({ data: { person: { salaryBand: 'band-2' } } });
  });
});
