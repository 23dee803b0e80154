import { describe, expect, it } from 'vitest';
import { encodeQuery } from '../../src/http/client.ts';
import { parseRetryAfter } from '../../src/http/retry-after.ts';
import { get, harness, post, rejection } from './harness.ts';

describe('the wire', () => {
  it('joins the path onto the base URL’s path prefix and sends the query as declared', async () => {
    const h = await harness({}, { basePath: '/api/v3/' });
    await h.upstream.request(get('/contacts/a%2Fb?archived=false', { query: { ids: [1, 2, 'x,y'], 'tag[]': ['vip', 'new'], email: null, after: undefined, q: 'ada lovelace' } }));
    const seen = h.backend.calls[0]!;
    expect(seen.url).toBe('/api/v3/contacts/a%2Fb?archived=false&ids=1,2,x%2Cy&tag[]=vip&tag[]=new&q=ada%20lovelace');
    expect(seen.query.getAll('tag[]')).toEqual(['vip', 'new']);
  });

  it('refuses a "." or ".." path segment with BAD_USER_INPUT, before any call', async () => {
    const h = await harness({});
    for (const path of ['/contacts/..', '/contacts/./x', '/contacts/%2e%2E/admin']) {
      expect(await rejection(h.upstream.request(get(path)))).toMatchObject({ code: 'BAD_USER_INPUT', connector: 'crm' });
    }
    expect(h.backend.calls).toHaveLength(0);
  });

  it('sends bodies as JSON and decodes JSON answers; other answers come back as text', async () => {
    const h = await harness({}, { handler: (call) => (call.method === 'POST' ? { status: 201, body: { echo: JSON.parse(call.body) } } : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'plain' }) });
    expect(await h.upstream.request(post('/contacts', { name: 'Ada', tags: ['a'] }))).toMatchObject({ status: 201, body: { echo: { name: 'Ada', tags: ['a'] } } });
    expect((await h.upstream.request(get('/ping'))).body).toBe('"plain"');
    expect(h.backend.calls[0]!.headers['content-type']).toBe('application/json');
    expect(h.backend.calls[0]!.headers.accept).toBe('application/json');
  });

  it('an empty answer has an undefined body', async () => {
    const h = await harness({}, { handler: () => ({ status: 204 }) });
    expect(await h.upstream.request(get('/contacts/1'))).toMatchObject({ status: 204, body: undefined });
  });

  it('close() ends calls in progress and in the queue, and later calls fail at once', async () => {
    const h = await harness({ quota: { requests: 1, per: 'second', concurrency: 1 } }, { handler: () => ({ status: 200, delayMs: 2_000 }) });
    const inFlight = h.upstream.request(get('/contacts/1'));
    const queued = h.upstream.request(get('/contacts/2'));
    while (h.backend.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    const [a, b] = await Promise.all([rejection(inFlight), rejection(queued), h.upstream.close()]);
    for (const error of [a, b]) {
      expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'crm is unavailable (the gateway is shutting down)' });
    }
    expect(Date.now() - started).toBeLessThan(500);
    expect((await rejection(h.upstream.request(get('/contacts/3')))).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(h.backend.calls).toHaveLength(1);
  });
});

describe('encodeQuery', () => {
  it('omits undefined, null and empty lists; joins lists with commas unless the name ends with []', () => {
    expect(encodeQuery({ a: undefined, b: null, c: [], d: true, e: 0, 'f[]': [1], g: ['p q', 'r'] })).toBe('d=true&e=0&f[]=1&g=p%20q,r');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2025-03-01T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Sat, 01 Mar 2025 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
