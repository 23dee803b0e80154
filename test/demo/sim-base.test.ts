import { describe, expect, it } from 'vitest';
import { parseForm } from '../../demo/sim/body.ts';
import { parseFaults } from '../../demo/sim/faults.ts';
import { LeakyBucket, RollingWindow } from '../../demo/sim/rate-limit.ts';
import { Router } from '../../demo/sim/router.ts';
import type { RouteSpec } from '../../demo/sim/types.ts';

const route = (method: RouteSpec['method'], path: string): RouteSpec => ({ method, path, handle: () => ({ status: 200 }) });

describe('the simulator router', () => {
  const router = new Router([route('GET', '/a/search.json'), route('GET', '/a/{id}.json'), route('GET', '/c/{id}'), route('GET', '/admin')]);

  it('decodes each raw segment once, so an encoded slash stays inside one parameter', () => {
    const match = router.match('GET', '/c/..%2F..%2Fadmin');
    expect(match?.spec.path).toBe('/c/{id}');
    expect(match?.params).toEqual({ id: '../../admin' });
  });

  it('matches literal routes before parameter routes, and parameters with a suffix', () => {
    expect(router.match('GET', '/a/search.json')?.spec.path).toBe('/a/search.json');
    expect(router.match('GET', '/a/42.json')?.params).toEqual({ id: '42' });
    expect(router.match('GET', '/a/.json')).toBeUndefined();
  });

  it('never matches malformed escapes, other methods or other segment counts', () => {
    expect(router.match('GET', '/c/%E0%A4%A')).toBeUndefined();
    expect(router.match('POST', '/c/1')).toBeUndefined();
    expect(router.match('GET', '/c/1/2')).toBeUndefined();
  });
});

describe('form bodies', () => {
  it('nest bracketed keys the way Stripe reads them', () => {
    expect(parseForm('amount=100&metadata%5Border%5D=%231001&expand[]=a&expand[]=b&items[0][price]=p1&items[1][price]=p2')).toEqual({
      amount: '100',
      metadata: { order: '#1001' },
      expand: ['a', 'b'],
      items: [{ price: 'p1' }, { price: 'p2' }],
    });
  });
});

describe('rate limiters', () => {
  it('count a rolling window and say when the oldest call leaves it', () => {
    const window = new RollingWindow();
    expect(window.take(0, 2, 1000).allowed).toBe(true);
    expect(window.take(100, 2, 1000).remaining).toBe(0);
    expect(window.take(200, 2, 1000)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 800 });
    expect(window.take(1001, 2, 1000).allowed).toBe(true);
  });

  it('drain a leaky bucket at its leak rate', () => {
    const bucket = new LeakyBucket();
    for (let i = 0; i < 4; i++) expect(bucket.take(0, 4, 2).allowed).toBe(true);
    expect(bucket.take(0, 4, 2).allowed).toBe(false);
    expect(bucket.take(500, 4, 2)).toMatchObject({ allowed: true, used: 4 });
  });
});

describe('fault specs', () => {
  it('say what was expected and what came', () => {
    expect(parseFaults({ errorRate: 2 })).toBe('expected errorRate to be a number in 0..1, got 2');
    expect(parseFaults({ statusSequence: [503, 'x'] })).toContain('expected statusSequence to be an array of HTTP statuses');
    expect(parseFaults({})).toEqual({});
  });
});
