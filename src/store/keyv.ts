import { Keyv } from 'keyv';
import { createKeyv } from '@keyv/redis';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.ts';

/**
 * Key-value state with a TTL: response cache, upstream tokens, webhook de-duplication keys.
 * In memory by default; on Redis when a URL is given, so every gateway instance shares it.
 *
 * In memory, values are kept as they are, not serialised: reading a cached page of 50 orders
 * through keyv's serialiser costs ~2.8 ms, the object itself ~7 µs. Cached values are therefore
 * shared, and nobody may change one after storing it (the runtime never does; answers in flight
 * are shared the same way). The store is a bounded LRU, so keys that are never read again cannot
 * grow the heap; keyv itself drops entries past their TTL when they are read.
 *
 * keyv swallows store errors unless someone listens for 'error'; a cache that cannot reach Redis
 * must degrade to misses, loudly, not crash a query — hence the listener.
 */
export function createKeyvStore(options: { redisUrl: string | undefined; namespace: string; maxEntries: number; logger: Logger }): Keyv {
  const store = options.redisUrl
    ? createKeyv(options.redisUrl, { namespace: options.namespace, throwOnConnectError: false, throwOnErrors: false })
    : new Keyv({
        namespace: options.namespace,
        store: boundedMap(options.maxEntries),
        serialize: undefined,
        deserialize: undefined,
      });
  store.on('error', (error: unknown) => {
    options.logger.warn({ err: error instanceof Error ? error.message : String(error), namespace: options.namespace }, 'key-value store error');
  });
  return store;
}

/** The Map-like store keyv expects, over an LRU: keyv passes a TTL in milliseconds as `set`'s third argument. */
function boundedMap(maxEntries: number) {
  const lru = new LRUCache<string, object>({ max: maxEntries });
  return {
    get: (key: string) => lru.get(key),
    set: (key: string, value: object, ttlMs?: number) => lru.set(key, value, ttlMs ? { ttl: ttlMs } : undefined),
    delete: (key: string) => lru.delete(key),
    has: (key: string) => lru.has(key),
    clear: () => lru.clear(),
  };
}
