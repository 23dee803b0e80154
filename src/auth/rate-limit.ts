import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/**
 * Per-client request budgets: `requests` per window of `perMs`, counted in fixed windows keyed by
 * the client (its principal's subject, or its IP address when anonymous). In memory for one
 * process; in Redis when REDIS_URL is set, so every instance draws on the same budget.
 *
 * A fixed window lets a client spend up to twice its budget across a window boundary; that is
 * the price of one INCR per request, and a limit meant to stop floods tolerates it. When Redis
 * cannot be reached the request is let through (and logged): the limit protects the backends,
 * which have their own quotas, and is not worth an outage of its own.
 */

export interface RateLimit {
  requests: number;
  perMs: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(client: string): Promise<RateDecision>;
  close(): Promise<void>;
}

const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function createMemoryLimiter(limit: RateLimit): RateLimiter {
  let window = 0;
  let counts = new Map<string, number>();
  return {
    async take(client) {
      const now = Date.now();
      const current = Math.floor(now / limit.perMs);
      // A new window starts every count afresh; dropping the old map keeps memory bounded by
      // the clients of one window.
      if (current !== window) {
        window = current;
        counts = new Map();
      }
      const count = (counts.get(client) ?? 0) + 1;
      counts.set(client, count);
      return count <= limit.requests ? { allowed: true } : { allowed: false, retryAfterSeconds: retryAfter((current + 1) * limit.perMs - now) };
    },
    async close() {},
  };
}

/** INCR, with the expiry set by the first request of the window; answers the count and the ms left. */
const TAKE_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }
`;

function createRedisLimiter(limit: RateLimit, url: string, logger: Logger): RateLimiter {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  redis.on('error', (error: unknown) => logger.warn({ err: error }, 'rate limit store unavailable'));
  return {
    async take(client) {
      const window = Math.floor(Date.now() / limit.perMs);
      try {
        const [count, ttl] = (await redis.eval(TAKE_SCRIPT, 1, `interchange:ratelimit:${window}:${client}`, String(limit.perMs))) as [number, number];
        return count <= limit.requests ? { allowed: true } : { allowed: false, retryAfterSeconds: retryAfter(ttl > 0 ? ttl : limit.perMs) };
      } catch (error) {
        logger.warn({ err: error }, 'rate limit not checked: the store is unavailable');
        return { allowed: true };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function createRateLimiter(options: { limit: RateLimit | undefined; redisUrl: string | undefined; logger: Logger }): RateLimiter | undefined {
  if (!options.limit) return undefined;
  return options.redisUrl ? createRedisLimiter(options.limit, options.redisUrl, options.logger) : createMemoryLimiter(options.limit);
}
