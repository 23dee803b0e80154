import { getIntrospectionQuery } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { AUDIENCE, bearer, closeCodeOf, ISSUER, now, overWebSocket, post, signHs256, startSecurityGateway } from './support.ts';

/**
 * A production gateway's transports: graphql-ws authenticates in `connection_init` (4403 for a
 * bad or missing token, 4408 when no init comes), introspection and Sandbox are off, errors are
 * masked, and CSRF prevention holds.
 */

const SECRET = 'production-transport-hs256-secret-0123456789';
const token = (claims: Record<string, unknown> = {}, options = {}) => signHs256(SECRET, { sub: 'user-1', ...claims }, options);

let backend: PeopleBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startPeopleBackend();
  gateway = await startSecurityGateway(backend, {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: SECRET,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    WS_CONNECTION_INIT_TIMEOUT_MS: '500',
  });
});
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

describe('graphql-ws connection_init', () => {
  it('closes with 4403 when connectionParams carry an invalid token', async () => {
    expect(await closeCodeOf(gateway.url, { authorization: `Bearer ${token({}, { audience: 'elsewhere' })}` })).toMatchObject({ code: 4403 });
    expect(await closeCodeOf(gateway.url, { token: 'not-a-jwt' })).toMatchObject({ code: 4403 });
  });

  it('closes with 4403 when no token comes in production', async () => {
    expect(await closeCodeOf(gateway.url, {})).toMatchObject({ code: 4403 });
  });

  it('closes with 4408 when no connection_init arrives in time', async () => {
    const started = Date.now();
    expect(await closeCodeOf(gateway.url, undefined)).toMatchObject({ code: 4408 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('runs operations for a valid token, given as authorization or as token', async () => {
    expect(await overWebSocket(gateway.url, '{ person(id: "1") { name } }', { authorization: `Bearer ${token()}` })).toEqual({ data: { person: { name: 'Person 1' } } });
    expect(await overWebSocket(gateway.url, '{ person(id: "2") { name } }', { token: token() })).toEqual({ data: { person: { name: 'Person 2' } } });
  });

  it('closes the socket with 4403 when the token it was opened with expires', async () => {
    const shortLived = token({ exp: now() + 2 }, { expiresIn: undefined });
    expect(await closeCodeOf(gateway.url, { authorization: `Bearer ${shortLived}` })).toEqual({ code: 4403, reason: 'Forbidden: the token expired' });
  });

  it('refuses introspection over graphql-ws too', async () => {
    const result = await overWebSocket(gateway.url, '{ __schema { queryType { name } } }', { token: token() });
    expect(JSON.stringify(result)).toMatch(/introspection has been disabled/);
  });
});

describe('production over HTTP', () => {
  it('refuses introspection with 400', async () => {
    const response = await post(gateway, { query: getIntrospectionQuery() }, bearer(token()));
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message).toMatch(/introspection is not allowed/);
    expect(response.body.data).toBeUndefined();
  });

  it('masks a resolver crash: a fixed message, no stack, no detail, and the rest of the data intact', async () => {
    const response = await post(gateway, { query: '{ crashingPerson(id: "1") { name crash } }' }, bearer(token()));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ crashingPerson: { name: 'Person 1', crash: null } });
    expect(response.body.errors).toEqual([{ message: 'Internal server error', path: ['crashingPerson', 'crash'], locations: [{ line: 1, column: 34 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(response.text).not.toMatch(/kaboom|\/srv\/|stacktrace|at Object|\.ts:/);
  });

  it('serves no Sandbox to a browser', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    const text = await response.text();
    expect(text).not.toMatch(/sandbox/i);
  });

  it('keeps CSRF prevention on: a simple GET query without a preflight header is refused', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ person(id: "1") { name } }')}`, { headers: bearer(token()) });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
    expect(backend.calls).toHaveLength(0);
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await post(gateway, { query: `{ person(id: "1") { name } }`, variables: { pad: 'x'.repeat(1_100_000) } }, bearer(token()));
    expect(response.status).toBe(413);
  });
});

describe('configuration that would weaken verification stops start-up', () => {
  const start = (env: Record<string, string>) => startSecurityGateway(backend, env).then(async (g) => (await g.stop(), 'started'), (e: Error) => e.message);

  it('production without a way to verify tokens', async () => {
    expect(await start({ NODE_ENV: 'production' })).toMatch(/Production needs a way to verify client tokens: set AUTH_JWKS_URL, AUTH_JWT_PUBLIC_KEY or AUTH_JWT_SECRET/);
  });

  it('production with AUTH_REQUIRED=false', async () => {
    expect(await start({ NODE_ENV: 'production', AUTH_REQUIRED: 'false', AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE })).toMatch(/AUTH_REQUIRED=false is not allowed in production/);
  });

  it('a verification key without issuer and audience', async () => {
    expect(await start({ AUTH_JWT_SECRET: SECRET })).toMatch(/set AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE/);
  });

  it('a shared secret with an asymmetric algorithm, or a short secret', async () => {
    expect(await start({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE, AUTH_JWT_ALGORITHMS: 'HS256,RS256' })).toMatch(/must be among HS256, HS384, HS512, got RS256/);
    expect(await start({ AUTH_JWT_SECRET: 'short', AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE })).toMatch(/at least 32 bytes/);
  });
});
