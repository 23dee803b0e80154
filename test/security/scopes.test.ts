import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { AUDIENCE, bearer, deliverPersonUpdated, ISSUER, overWebSocket, post, signHs256, startSecurityGateway } from './support.ts';

/**
 * What each caller may see: every scoped field of the security fixture (and the engine's admin
 * fields) under every role, over HTTP and through a graphql-ws subscription. A field the caller
 * may not see is an error for that field only; the rest of the answer is intact.
 */

const SECRET = 'scope-matrix-hs256-secret-0123456789abcdef';

const ROLES: Record<string, string[] | undefined> = {
  anonymous: undefined,
  'no scopes': [],
  hr: ['hr:read'],
  teams: ['teams:read'],
  events: ['people:events'],
  admin: ['admin'],
};

interface ScopedField {
  query: string;
  /** Where the scoped value sits in `data`. */
  path: readonly string[];
  scopes: readonly string[];
  /** What the rest of the answer still holds when the field is refused. */
  intact?: (data: any) => unknown;
}

const FIELDS: Record<string, ScopedField> = {
  'Query.person (unscoped)': { query: '{ person(id: "1") { name } }', path: ['person'], scopes: [] },
  'Person.salaryBand (@auth on the field)': { query: '{ person(id: "1") { name salaryBand } }', path: ['person', 'salaryBand'], scopes: ['hr:read'], intact: (d) => d.person.name },
  'Query.team (@auth on the type it returns)': { query: '{ team(id: "1") { title } about { name } }', path: ['team'], scopes: ['teams:read'], intact: (d) => d.about.name },
  'Person.team (the same type, nested)': { query: '{ person(id: "1") { name team { title } } }', path: ['person', 'team'], scopes: ['teams:read'], intact: (d) => d.person.name },
  // Non-null: a refusal nulls the parent, here the whole data, as GraphQL prescribes.
  'Query.deadLetters (admin)': { query: '{ deadLetters { operationId } }', path: ['deadLetters'], scopes: ['admin'] },
  'Mutation.replayDeadLetters (admin)': { query: 'mutation { replayDeadLetters { operationId } }', path: ['replayDeadLetters'], scopes: ['admin'] },
};

const tokenFor = (role: string) => {
  const scopes = ROLES[role];
  return scopes === undefined ? undefined : signHs256(SECRET, { sub: `user-${role}`, scope: scopes.join(' ') });
};

const expected = (field: ScopedField, role: string) => {
  const scopes = ROLES[role];
  if (field.scopes.length === 0 || (scopes && field.scopes.every((s) => scopes.includes(s)))) return 'allowed';
  return scopes === undefined ? 'UNAUTHENTICATED' : 'FORBIDDEN';
};

const valueAt = (data: any, path: readonly string[]) => path.reduce((v, key) => (v == null ? v : v[key]), data);
const samePath = (a: readonly unknown[] | undefined, b: readonly string[]) => JSON.stringify(a) === JSON.stringify(b);

let backend: PeopleBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startPeopleBackend();
  gateway = await startSecurityGateway(backend, { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
});
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

const matrix = Object.entries(FIELDS).flatMap(([name, field]) => Object.keys(ROLES).map((role) => [name, role, expected(field, role)] as const));

describe('the scope matrix over HTTP', () => {
  it.each(matrix)('%s as %s: %s', async (name, role, outcome) => {
    const field = FIELDS[name]!;
    const token = tokenFor(role);
    const { status, body } = await post(gateway, { query: field.query }, token ? bearer(token) : {});
    expect(status).toBe(200);
    const error = body.errors?.find((e: any) => samePath(e.path, field.path));
    if (outcome === 'allowed') {
      expect(error).toBeUndefined();
      expect(valueAt(body.data, field.path)).not.toBeNull();
    } else {
      expect(error?.extensions.code).toBe(outcome);
      expect(error?.message).toContain(outcome === 'FORBIDDEN' ? `needs scope ${field.scopes.join(', ')}` : 'needs a signed-in caller');
      expect(valueAt(body.data, field.path)).toBeNull();
      if (field.intact) expect(field.intact(body.data)).toBeTruthy();
    }
  });

  it('refuses a scoped field before its connector is called', async () => {
    await post(gateway, { query: '{ team(id: "1") { title } }' }, bearer(tokenFor('hr')!));
    expect(backend.calls).toHaveLength(0);
  });
});

const SUBSCRIPTION = 'subscription { personChanged { subject { id } person { name } } }';

describe('the scope matrix through a graphql-ws subscription', () => {
  const subscriptionMatrix = Object.keys(ROLES).map((role) => [role, expected({ query: '', path: [], scopes: ['people:events'] }, role)] as const);

  it.each(subscriptionMatrix)('Subscription.personChanged (people:events) as %s: %s', async (role, outcome) => {
    const token = tokenFor(role);
    const params = token ? { authorization: `Bearer ${token}` } : {};
    // A refused subscription answers at once; an accepted one waits for the event delivered here.
    const deliver = async () => void expect(await deliverPersonUpdated(gateway, '3')).toBe(200);
    const result = await overWebSocket(gateway.url, SUBSCRIPTION, params, outcome === 'allowed' ? deliver : undefined);
    if (outcome === 'allowed') {
      expect(result).toEqual({ data: { personChanged: { subject: { id: '3' }, person: { name: 'Person 3' } } } });
    } else {
      expect('errors' in result && result.errors?.[0]?.extensions?.code).toBe(outcome);
      expect('data' in result ? result.data : null).toBeNull();
    }
  });
});

describe('Server-Sent Events (/graphql/stream)', () => {
  const sse = async (query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gateway.url}/graphql/stream?query=${encodeURIComponent(query)}`, { headers: { accept: 'text/event-stream', ...headers } });
    return { status: response.status, text: await response.text() };
  };

  it('refuses a present but invalid token with 401', async () => {
    const response = await sse('{ person(id: "1") { name } }', bearer(signHs256(SECRET, { sub: 'x' }, { issuer: 'https://other/' })));
    expect(response.status).toBe(401);
    expect(backend.calls).toHaveLength(0);
  });

  it('applies the same scopes as /graphql', async () => {
    const query = '{ person(id: "1") { name salaryBand } }';
    expect((await sse(query, bearer(tokenFor('hr')!))).text).toContain('"salaryBand":"band-1"');
    const refused = await sse(query, bearer(tokenFor('teams')!));
    expect(refused.text).toContain('"code":"FORBIDDEN"');
    expect(refused.text).toContain('"name":"Person 1"');
  });
});
