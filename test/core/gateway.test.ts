import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleBackend, API_KEY, PEOPLE, type PeopleBackend } from '../fixtures/people/backend.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const fixture = { CONNECTORS_DIR: 'test/fixtures/people/connectors', SCHEMA_DIR: 'test/fixtures/people/schema' };

let backend: PeopleBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startPeopleBackend();
  gateway = await startTestGateway({ ...fixture, PEOPLE_URL: backend.url, PEOPLE_API_KEY: API_KEY });
});
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});
afterEach(() => {
  backend.calls.length = 0;
});

describe('batching and de-duplication', () => {
  it('two fields needing the same system in one query make one batched upstream call', async () => {
    const { body } = await gateway.query('{ a: person(id: "1") { name } b: person(id: "2") { name } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ a: { name: 'Person 1' }, b: { name: 'Person 2' } });
    expect(backend.calls.map((c) => c.url)).toEqual(['/people?ids=1%2C2']);
  });

  it('a hundred identical concurrent queries make one upstream call', async () => {
    backend.override('/people/7', () => ({ delayMs: 1_500, body: { id: '7', name: 'Slow Seven' } }));
    const results = await Promise.all(Array.from({ length: 100 }, () => gateway.query('{ freshPerson(id: "7") { name } }')));
    for (const r of results) expect(r.body.data).toEqual({ freshPerson: { name: 'Slow Seven' } });
    expect(backend.calls.filter((c) => c.pathname === '/people/7')).toHaveLength(1);
  });

  it('identical batch reads from concurrent queries share one upstream call, and each query gets its own records', async () => {
    // The fixture's batch builder sorts the ids, so both orders below make the same request.
    const slow = { people: PEOPLE.filter((p) => p.id === '23' || p.id === '24') };
    backend.override('/people', (call) => (call.query.get('ids') === '23,24' ? { delayMs: 500, body: slow } : undefined));
    const orders = [['23', '24'], ['24', '23'], ['23', '24'], ['24', '23']];
    const results = await Promise.all(orders.map(([a, b]) => gateway.query(`{ a: person(id: "${a}") { name } b: person(id: "${b}") { name } }`)));
    results.forEach((r, i) => expect(r.body).toEqual({ data: { a: { name: `Person ${orders[i]![0]}` }, b: { name: `Person ${orders[i]![1]}` } } }));
    expect(backend.calls.filter((c) => c.pathname === '/people').map((c) => c.query.get('ids'))).toEqual(['23,24']);
  });

  it('a nested field reads its parent record and batches across the list', async () => {
    const { body } = await gateway.query('{ a: person(id: "1") { team { title } } b: person(id: "4") { team { title } } }');
    expect(body.data).toEqual({ a: { team: { title: 'Team 1' } }, b: { team: { title: 'Team 1' } } });
    // Both people are in team 1: one call for the people, one for the team (de-duplicated).
    expect(backend.calls.map((c) => c.pathname)).toEqual(['/people', '/teams/1']);
  });
});

describe('response cache', () => {
  it('serves the same upstream request from the cache inside its TTL and asks again after it', async () => {
    await gateway.query('{ person(id: "11") { name } }');
    await gateway.query('{ person(id: "11") { name } }');
    expect(backend.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await gateway.query('{ person(id: "11") { name } }');
    expect(backend.calls).toHaveLength(2);
  });

  it('caches batch answers per record, so a later batch asks only for the missing ones', async () => {
    await gateway.query('{ person(id: "12") { name } }');
    await gateway.query('{ a: person(id: "12") { name } b: person(id: "13") { name } }');
    expect(backend.calls.map((c) => c.query.get('ids'))).toEqual(['12', '13']);
  });
});

describe('safety of upstream paths', () => {
  it('sends a path argument of ../../admin encoded inside its segment, never as a path', async () => {
    const { body } = await gateway.query('query($p: String!) { document(path: $p) }', { p: '../../admin' });
    expect(backend.calls.map((c) => c.url)).toEqual(['/docs/..%2F..%2Fadmin']);
    expect(body.data).toEqual({ document: '..%2F..%2Fadmin' });
  });

  it('refuses a lone dot-dot segment before any call, so it cannot climb a level', async () => {
    const { body } = await gateway.query('{ document(path: "..") }');
    expect(body.data).toEqual({ document: null });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', connector: 'people', endpoint: 'document' });
    expect(backend.calls).toHaveLength(0);
  });
});

describe('failures', () => {
  it('gives partial data when one backend call fails, with the code and site, and no upstream body', async () => {
    backend.override('/teams/9', () => ({ status: 503, body: { error: 'stack trace: secret-internal-detail' } }));
    const { status, body, text } = await gateway.query('{ person(id: "3") { name } team(id: "9") { title } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ person: { name: 'Person 3' }, team: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({ path: ['team'], extensions: { code: 'UPSTREAM_UNAVAILABLE', connector: 'people', endpoint: 'team' } });
    expect(text).not.toContain('secret-internal-detail');
    // A GET is retried: three attempts in all.
    expect(backend.calls.filter((c) => c.pathname === '/teams/9')).toHaveLength(3);
  });

  it('reports drift (a missing required field) as UPSTREAM_BAD_RESPONSE naming the field', async () => {
    backend.override('/people/21', () => ({ body: { id: '21' } }));
    const { body } = await gateway.query('{ freshPerson(id: "21") { name } }');
    expect(body.data).toEqual({ freshPerson: null });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', connector: 'people', endpoint: 'freshPerson', field: 'name' });
  });

  it('answers null for a record the backend does not have', async () => {
    const { body } = await gateway.query('{ freshPerson(id: "999") { name } }');
    expect(body).toEqual({ data: { freshPerson: null } });
  });

  it('refuses malformed GraphQL with a clear 400 and calls no backend', async () => {
    const { status, body } = await gateway.query('{ person(id: "1") { name ');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(backend.calls).toHaveLength(0);
  });
});

describe('pagination', () => {
  it('pages through a cursor-paginated endpoint as a Relay connection to the end', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { body }: { body: any } = await gateway.query('query($after: String) { people(first: 10, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }', { after });
      seen.push(...body.data.people.nodes.map((n: { id: string }) => n.id));
      if (!body.data.people.pageInfo.hasNextPage) break;
      after = body.data.people.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    expect(backend.calls).toHaveLength(3);
  });

  it('reads every page for a plain list field', async () => {
    const { body } = await gateway.query('{ everyone { id } }');
    expect(body.data.everyone).toHaveLength(25);
    expect(backend.calls.map((c) => c.query.get('cursor'))).toEqual([null]);
  });

  it('hands out the cursors clients already hold: base64url JSON of the upstream position, per edge and at both ends', async () => {
    const edges = 'edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage }';
    const first: any = (await gateway.query(`{ people(first: 10) { ${edges} } }`)).body.data.people;
    expect(first.edges.map((e: { cursor: string }) => e.cursor)).toEqual(Array.from({ length: 10 }, (_, i) => Buffer.from(`{"s":${i + 1},"z":10}`).toString('base64url')));
    expect(first.edges[0].cursor).toBe('eyJzIjoxLCJ6IjoxMH0');
    expect(first.pageInfo).toEqual({ startCursor: 'eyJzIjoxLCJ6IjoxMH0', endCursor: 'eyJjIjoiMTAifQ', hasNextPage: true });

    // After an edge inside the upstream page: the rest of that page, read again at its own size.
    const middle: any = (await gateway.query(`query($after: String) { people(first: 2, after: $after) { ${edges} } }`, { after: first.edges[3].cursor })).body.data.people;
    expect(middle.edges).toEqual([
      { cursor: 'eyJzIjo1LCJ6IjoxMH0', node: { id: '5' } },
      { cursor: 'eyJzIjo2LCJ6IjoxMH0', node: { id: '6' } },
    ]);
    expect(middle.pageInfo).toEqual({ startCursor: 'eyJzIjo1LCJ6IjoxMH0', endCursor: 'eyJzIjo2LCJ6IjoxMH0', hasNextPage: true });

    const next: any = (await gateway.query(`query($after: String) { people(first: 1, after: $after) { ${edges} } }`, { after: first.pageInfo.endCursor })).body.data.people;
    expect(next.edges).toEqual([{ cursor: Buffer.from('{"c":"10","s":1,"z":1}').toString('base64url'), node: { id: '11' } }]);
  });

  it('reads the same edges twice in one query without changing them', async () => {
    const { body } = await gateway.query('{ people(first: 2) { a: edges { cursor } b: edges { cursor node { name } } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.people.a).toEqual([{ cursor: 'eyJzIjoxLCJ6IjoyfQ' }, { cursor: 'eyJzIjoyLCJ6IjoyfQ' }]);
    expect(body.data.people.b).toEqual([
      { cursor: 'eyJzIjoxLCJ6IjoyfQ', node: { name: 'Person 1' } },
      { cursor: 'eyJzIjoyLCJ6IjoyfQ', node: { name: 'Person 2' } },
    ]);
  });

  it('refuses a forged cursor with BAD_USER_INPUT', async () => {
    const { body } = await gateway.query('{ people(first: 5, after: "not-a-cursor") { nodes { id } } }');
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(backend.calls).toHaveLength(0);
  });
});

describe('answers', () => {
  it('sends a large answer byte for byte with its Content-Length, non-ASCII text included', async () => {
    const text = 'Zoë Ørsted 東京 🚀 '.repeat(8_000);
    backend.override('/docs/long', () => ({ body: { path: text } }));
    const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ document(path: "long") }' }) });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(bytes.length).toBeGreaterThan(200_000);
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ data: { document: text } });
  });
});

describe('operations surface', () => {
  it('exposes the fixed metric names with connector and endpoint labels', async () => {
    await gateway.query('{ freshPerson(id: "5") { name } }');
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/interchange_upstream_requests_total\{connector="people",endpoint="freshPerson",code="200"\} \d+/);
    expect(text).toMatch(/interchange_graphql_operations_total\{type="query",outcome="success"\} \d+/);
    expect(text).toContain('interchange_upstream_request_duration_seconds_bucket{le="0.005",connector="people",endpoint="freshPerson"}');
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { schema: true, database: true } });
  });

  it('serves the Sandbox landing page to a browser outside production', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('sandbox');
  });
});

describe('execution answers as graphql-js would', () => {
  it('refuses a variable of the wrong type, or a missing one, with 400 BAD_USER_INPUT naming it, and calls nothing', async () => {
    const query = 'query ($id: ID!) { person(id: $id) { name } }';
    const wrong = await gateway.query(query, { id: { a: 1 } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^Variable "\$id" got invalid value/), extensions: { code: 'BAD_USER_INPUT' } }),
    ]);
    const missing = await gateway.query(query, {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.[0]).toMatchObject({ message: 'Variable "$id" of required type "ID!" was not provided.', extensions: { code: 'BAD_USER_INPUT' } });
    expect(backend.calls).toHaveLength(0);
  });

  it('resolves aliases, fragments, skipped fields and __typename, the same on a second run of the same text', async () => {
    const query = 'query ($skip: Boolean!) { a: person(id: "2") { ...P } b: person(id: "3") { name @skip(if: $skip) } __typename } fragment P on Person { name __typename }';
    for (const skip of [true, false]) {
      const { body } = await gateway.query(query, { skip });
      expect(body).toEqual({ data: { a: { name: 'Person 2', __typename: 'Person' }, b: skip ? {} : { name: 'Person 3' }, __typename: 'Query' } });
    }
  });
});
