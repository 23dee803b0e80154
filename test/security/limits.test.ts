import { getIntrospectionQuery } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { overWebSocket, post, startSecurityGateway } from './support.ts';

/**
 * How much one request may ask for, with the default limits. Each abusive request is refused
 * with 400 and a message naming the limit — never a 500 — and the backend hears nothing.
 */

let backend: PeopleBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startPeopleBackend();
  gateway = await startSecurityGateway(backend);
});
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

const nested = (levels: number, inner: string) => {
  let selection = inner;
  for (let i = 0; i < levels; i++) selection = `friends { ${selection} }`;
  return selection;
};

const abusive: Array<[string, () => unknown, RegExp]> = [
  ['a query 12 levels deep', () => ({ query: `{ person(id: "1") { ${nested(10, 'name')} } }` }), /depth 12 exceeds the limit of 8 \(QUERY_MAX_DEPTH\)/],
  ['50 aliases of an expensive field', () => ({ query: `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: everyone { name }`).join(' ')} }` }), /50 aliases, over the limit of 15 \(QUERY_MAX_ALIASES\)/],
  ['a document of thousands of tokens', () => ({ query: `{ person(id: "1") { ${'name '.repeat(3_000)} } }` }), /Document contains more th.. 2000 tokens/],
  ['60 directives', () => ({ query: `{ person(id: "1") { ${'name @include(if: true) '.repeat(60)} } }` }), /60 directives, over the limit of 50 \(QUERY_MAX_DIRECTIVES\)/],
  [
    'a cost bomb through nested lists',
    () => ({ query: '{ people(first: 50) { nodes { friends(first: 50) { friends(first: 50) { name } } } } }' }),
    /Query cost \d+ exceeds the limit of 10000 \(QUERY_MAX_COST/,
  ],
  [
    'a cost bomb whose list sizes come in variables',
    () => ({ query: 'query($n: Int) { everyone { friends(first: $n) { friends(first: $n) { name } } } }', variables: { n: 1_000 } }),
    /Query cost \d+ exceeds the limit of 10000/,
  ],
  [
    'a cost bomb of unsized lists (each counted as 10)',
    () => ({ query: '{ everyone { friends { friends { friends { friends { name } } } } } }' }),
    /Query cost 211110 exceeds the limit of 10000/,
  ],
  ['a batch of 100 operations', () => Array.from({ length: 100 }, () => ({ query: '{ person(id: "1") { name } }' })), /Batched requests are not accepted/],
  ['a batch of two', () => [{ query: '{ person(id: "1") { name } }' }, { query: '{ person(id: "2") { name } }' }], /QUERY_MAX_BATCH/],
  [
    'a fragment cycle',
    () => ({ query: '{ person(id: "1") { ...A } } fragment A on Person { friends { ...B } } fragment B on Person { friends { ...A } }' }),
    /Cannot spread fragment "A" within itself/,
  ],
];

describe('query limits over HTTP', () => {
  it.each(abusive)('refuses %s with 400 naming the limit, before any upstream call', async (_name, body, message) => {
    const response = await post(gateway, body());
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message).toMatch(message);
    expect(response.body.errors[0].extensions.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED|BAD_REQUEST)$/);
    expect(backend.calls).toHaveLength(0);
  });

  it('answers queries within the limits, a page of 50 with nested fields included', async () => {
    const response = await post(gateway, { query: '{ people(first: 20) { nodes { name team { id } } pageInfo { hasNextPage } } a: person(id: "1") { name } }' });
    expect(response.status).toBe(200);
    expect(response.body.data.people.nodes).toHaveLength(20);
    expect(response.body.data.a).toEqual({ name: 'Person 1' });
  });

  it("lets Sandbox's introspection query through: introspection fields are not counted", async () => {
    const response = await post(gateway, { query: getIntrospectionQuery() });
    expect(response.status).toBe(200);
    expect(response.body.data.__schema.queryType.name).toBe('Query');
  });
});

describe('query limits over graphql-ws', () => {
  it('refuses an over-limit operation with an error message, before any upstream call', async () => {
    const result = await overWebSocket(gateway.url, `{ person(id: "1") { ${nested(11, 'name')} } }`, {});
    expect('error' in result ? JSON.stringify(result.error) : '').toMatch(/QUERY_MAX_DEPTH/);
    const cost = await overWebSocket(gateway.url, '{ people(first: 50) { nodes { friends(first: 50) { friends(first: 50) { name } } } } }', {});
    expect('error' in cost ? JSON.stringify(cost.error) : '').toMatch(/QUERY_MAX_COST/);
    expect(backend.calls).toHaveLength(0);
  });

  it('runs an operation within the limits', async () => {
    expect(await overWebSocket(gateway.url, '{ person(id: "1") { name } }', {})).toEqual({ data: { person: { name: 'Person 1' } } });
  });
});

describe('per-deployment limits', () => {
  it('follows QUERY_MAX_DEPTH, QUERY_MAX_COST and QUERY_MAX_BATCH from the environment', async () => {
    const strict = await startSecurityGateway(backend, { QUERY_MAX_DEPTH: '3', QUERY_MAX_COST: '50', QUERY_MAX_BATCH: '3' });
    try {
      const deep = await post(strict, { query: '{ person(id: "1") { friends { team { title } } } }' });
      expect([deep.status, deep.body.errors[0].message]).toEqual([400, 'Query depth 4 exceeds the limit of 3 (QUERY_MAX_DEPTH)']);
      // A page of 20 names costs 1 + 20 × 2 = 41; a page of 30, 61.
      expect((await post(strict, { query: '{ people(first: 20) { nodes { name } } }' })).status).toBe(200);
      expect((await post(strict, { query: '{ people(first: 30) { nodes { name } } }' })).status).toBe(400);
      const batch = await post(strict, [{ query: '{ person(id: "1") { name } }' }, { query: '{ person(id: "2") { name } }' }]);
      expect(batch.status).toBe(200);
      expect(batch.body.map((r: any) => r.data.person.name)).toEqual(['Person 1', 'Person 2']);
      expect((await post(strict, Array.from({ length: 4 }, () => ({ query: '{ person(id: "1") { name } }' })))).body.errors[0].message).toBe(
        'A batch of 4 operations exceeds the limit of 3 (QUERY_MAX_BATCH)',
      );
    } finally {
      await strict.stop();
    }
  });
});

describe('query limits over Server-Sent Events', () => {
  it.each(abusive.filter(([name]) => !name.startsWith('a batch')))('refuses %s on /graphql/stream with 400, before any upstream call', async (_name, body, message) => {
    const response = await fetch(`${gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body()),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { errors: Array<{ message: string }> };
    expect(answer.errors.map((e) => e.message).join('\n')).toMatch(message);
    expect(backend.calls).toHaveLength(0);
  });
});
