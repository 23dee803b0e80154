import { Keyv } from 'keyv';
import { createKeyv } from '@keyv/redis';
import type { Logger } from '../observability/logger.ts';

/**
 * Key-value state with a TTL: response cache, upstream tokens, webhook de-duplication keys.
 * In memory by default; on Redis when a URL is given, so every gateway instance shares it.
 *
 * keyv swallows store errors unless someone listens for 'error'; a cache that cannot reach Redis
 * must degrade to misses, loudly, not crash a query — hence the listener.
 */
export function createKeyvStore(options: { redisUrl: string | undefined; namespace: string; logger: Logger }): Keyv {
  const store = options.redisUrl
    ? createKeyv(options.redisUrl, { namespace: options.namespace, throwOnConnectError: false, throwOnErrors: false })
    : new Keyv({ namespace: options.namespace });
  store.on('error', (error: unknown) => {
    options.logger.warn({ err: error instanceof Error ? error.message : String(error), namespace: options.namespace }, 'key-value store error');
  });
  return store;
}
