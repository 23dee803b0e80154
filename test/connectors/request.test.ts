import { describe, expect, it } from 'vitest';
import { buildRequest, canonicalQuery, endpointRequestKey, requestKey, stableStringify } from '../../src/connectors/request.ts';
import type { NormalizedEndpoint } from '../../src/connectors/normalize.ts';

describe('request keys', () => {
  it('key the same query parameters the same in any order, undefined and null left out', () => {
    expect(canonicalQuery({ b: '2', a: 1, c: undefined, d: null })).toBe('a=1&b=2');
    expect(canonicalQuery({ a: 1, b: '2' })).toBe('a=1&b=2');
    expect(canonicalQuery({ z: 'x', where: 'Reference=="A 1"', IDs: ['1', '2'] })).toBe('IDs=1%2C2&where=Reference%3D%3D%22A%201%22&z=x');
  });

  it('key a request by what the backend would see, bodies by value whatever their key order', () => {
    const base = { endpoint: 'e', method: 'POST' as const, path: '/p', headers: undefined, idempotent: false, deadline: undefined };
    const one = requestKey('crm', { ...base, query: { b: 1, a: 2 }, body: { x: [1, { q: 1, p: 2 }], y: 'v' } });
    const two = requestKey('crm', { ...base, query: { a: 2, b: 1 }, body: { y: 'v', x: [1, { p: 2, q: 1 }] } });
    expect(one).toBe(two);
    expect(requestKey('crm', { ...base, query: { a: 2, b: 1 }, body: { y: 'w', x: [1, { p: 2, q: 1 }] } })).not.toBe(one);
  });

  it('key a record of a batch read as the single-record read of it would be keyed', () => {
    const endpoint = {
      connector: 'crm',
      name: 'contactByEmail',
      method: 'GET',
      path: '/contacts/{email}',
      query: (args: Record<string, unknown>) => ({ idProperty: 'email', properties: ['a', 'b'], v: args.v }),
      headers: () => ({ authorization: 'never part of a key' }),
    } as unknown as NormalizedEndpoint;
    const args = { email: 'zoë@example.com', v: 2 };
    expect(endpointRequestKey(endpoint, args, {})).toBe(requestKey('crm', buildRequest(endpoint, args, {})));
    expect(endpointRequestKey(endpoint, args, {})).toBe('crm GET /contacts/zo%C3%AB%40example.com?idProperty=email&properties=a%2Cb&v=2 ');
  });
});

describe('stableStringify', () => {
  /** The definition: JSON with every object's defined keys sorted. */
  const reference = (value: unknown): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(record[k])}`).join(',')}}`;
  };

  it('keys the same value the same whatever the order of its keys, skipping undefined', () => {
    const body = { properties: ['email', 'phone'], idProperty: 'email', inputs: [{ id: 'a@example.com' }, { id: 'b"\\\n@example.com' }] };
    const reordered = { inputs: [{ id: 'a@example.com' }, { id: 'b"\\\n@example.com' }], skipped: undefined, idProperty: 'email', properties: ['email', 'phone'] };
    expect(stableStringify(reordered)).toBe(stableStringify(body));
    expect(stableStringify(body)).toBe('{"idProperty":"email","inputs":[{"id":"a@example.com"},{"id":"b\\"\\\\\\n@example.com"}],"properties":["email","phone"]}');
  });

  it('agrees with its definition on nested, empty, unordered and non-ASCII values', () => {
    const values: unknown[] = [
      null,
      undefined,
      0,
      -1.5,
      'ü "quoted"',
      [],
      {},
      [undefined, null, 1],
      { b: 1, a: { d: [{ z: 1, y: undefined, x: [2, { q: 'é' }] }], c: undefined } },
      { first: undefined, second: 2 },
      { 'Z': 1, a: 2, _: 3, '10': 4, '9': 5 },
    ];
    for (const value of values) expect(stableStringify(value)).toBe(reference(value));
  });
});
