import { afterEach, describe, expect, it } from 'vitest';
import type { Keyv } from 'keyv';
import { createKeyvStore } from '../../src/store/keyv.ts';
import { createLogger } from '../../src/observability/logger.ts';

const logger = createLogger({ level: 'silent' });
const opened: Keyv[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.disconnect();
});

function memory(maxEntries: number): Keyv {
  const store = createKeyvStore({ redisUrl: undefined, namespace: 'test', maxEntries, logger });
  opened.push(store);
  return store;
}

describe('the in-memory key-value store', () => {
  it('hands back the stored object itself, without a serialising round trip', async () => {
    const store = memory(10);
    const page = { items: [{ id: 1, total: { amount: '1.00', currency: 'EUR' } }] };
    await store.set('page', page, 1_000);
    expect(await store.get('page')).toBe(page);
    expect(await store.getMany(['page', 'absent'])).toEqual([page, undefined]);
  });

  it('forgets an entry once its TTL has passed', async () => {
    const store = memory(10);
    await store.set('short', { v: 1 }, 40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.get('short')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used first', async () => {
    const store = memory(3);
    for (const key of ['a', 'b', 'c']) await store.set(key, { key }, 60_000);
    await store.get('a');
    await store.set('d', { key: 'd' }, 60_000);
    expect(await store.getMany(['a', 'b', 'c', 'd'])).toEqual([{ key: 'a' }, undefined, { key: 'c' }, { key: 'd' }]);
  });
});
