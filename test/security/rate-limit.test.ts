import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { AUDIENCE, bearer, ISSUER, overWebSocket, post, signHs256, startSecurityGateway } from './support.ts';

/**
 * Per-client budgets: keyed by the principal's subject (or the address when anonymous), 429 with
 * Retry-After once spent, before any backend call; shared by every instance through Redis.
 */

const SECRET = 'rate-limit-suite-hs256-secret-0123456789ab';
const auth = { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE };
const QUERY = { query: '{ person(id: "1") { name } }' };
const tokenFor = (subject: string) => bearer(signHs256(SECRET, { sub: subject }));

/** Budgets are counted in fixed hourly windows: keep a test from straddling the boundary. */
async function awayFromWindowEdge(): Promise<void> {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
}

let backend: PeopleBackend;

beforeAll(async () => {
  backend = await startPeopleBackend();
});
afterAll(async () => {
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

describe('in one process', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startSecurityGateway(backend, { ...auth, RATE_LIMIT: '5/hour' });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers 429 with Retry-After once a subject has spent its budget, and calls no backend for it', async () => {
    await awayFromWindowEdge();
    const alice = tokenFor('alice');
    for (let i = 0; i < 5; i++) expect((await post(gateway, QUERY, alice)).status).toBe(200);
    backend.calls.length = 0;
    const refused = await post(gateway, QUERY, alice);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(3_600);
    expect(refused.body.errors[0]).toMatchObject({ message: expect.stringMatching(/^Too many requests/), extensions: { code: 'RATE_LIMITED' } });
    expect(backend.calls).toHaveLength(0);
  });

  it('keeps separate budgets per subject, and per address for anonymous callers', async () => {
    expect((await post(gateway, QUERY, tokenFor('bob'))).status).toBe(200);
    expect((await post(gateway, QUERY)).status).toBe(200);
  });

  it('charges operations over graphql-ws to the same budget', async () => {
    const result = await overWebSocket(gateway.url, QUERY.query, { authorization: tokenFor('alice').authorization });
    expect(JSON.stringify(result)).toMatch(/Too many requests/);
    expect(backend.calls).toHaveLength(0);
  });
});

describe('across instances sharing Redis', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    const shared = { ...auth, RATE_LIMIT: '4/hour', REDIS_URL: inject('redisUrl') };
    a = await startSecurityGateway(backend, shared);
    b = await startSecurityGateway(backend, shared);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('spends one budget whichever instance answers', async () => {
    await awayFromWindowEdge();
    const carol = tokenFor(`carol-${randomUUID()}`);
    const statuses = [];
    for (const gateway of [a, b, a, b, a, b]) statuses.push((await post(gateway, QUERY, carol)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(backend.calls).toHaveLength(4);
  });
});
