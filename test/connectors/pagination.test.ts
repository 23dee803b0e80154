import { describe, expect, it } from 'vitest';
import { cursorAt, decodeCursor, type Page } from '../../src/connectors/pagination.ts';

/** Cursors are computed from a page's origin when asked for; the gateway tests pin their bytes. */
describe('cursorAt', () => {
  const page: Page = { items: ['a', 'b', 'c'], origin: { c: 'limit=3&page_info=x', s: 2, z: 50 }, endCursor: null, hasNextPage: false };

  it('gives the position after each item, and nothing outside the page', () => {
    expect([0, 1, 2].map((i) => decodeCursor(cursorAt(page, i)!))).toEqual([
      { c: 'limit=3&page_info=x', s: 3, z: 50 },
      { c: 'limit=3&page_info=x', s: 4, z: 50 },
      { c: 'limit=3&page_info=x', s: 5, z: 50 },
    ]);
    expect(cursorAt(page, 3)).toBeUndefined();
    expect(cursorAt(page, -1)).toBeUndefined();
  });

  it('gives the same cursors after the page went through a JSON cache', () => {
    const cached = JSON.parse(JSON.stringify({ ...page, origin: { s: 0, z: 10 } })) as Page;
    expect(cursorAt(cached, 0)).toBe('eyJzIjoxLCJ6IjoxMH0');
  });

  it('has no cursor on an empty page', () => {
    expect(cursorAt({ items: [], endCursor: null, hasNextPage: false }, 0)).toBeUndefined();
  });
});
