import { randomUUID } from 'node:crypto';
import type { Keyv } from 'keyv';
import type { CacheTags } from '../connectors/runtime.ts';

/**
 * Cache purge by tag. Endpoints say which records an answer holds (`touches` → `shop:order:42`);
 * a change event names the tags it makes stale (`purges`). This index, kept in the same keyv
 * store as the cache (so every instance on one Redis shares it), maps a tag to the cache keys
 * that hold it.
 *
 * Guarantees:
 * - After `purge(tags)` resolves, no entry indexed under those tags before the call is served.
 * - A read that started before a purge and finishes after it is not cached: `set` writes the
 *   entry, then looks for a purge mark at or after the read's start and removes the entry if
 *   there is one. A mark left by another instance is compared with a margin for clock skew (a
 *   read that started just after it may be dropped too: that costs one more upstream call).
 *   Marks outlive any read.
 * Limit: the index is read-modify-write. Within a process, updates to one tag are serialised;
 * two instances indexing different keys under one tag in the same instant can lose one key from
 * the index, which then lives until its TTL.
 */

const INDEX = '#tags ';
const MARK = '#purged ';
/** Longer than any upstream read may take (the request deadline is 15 s by default). */
const MARK_TTL_MS = 120_000;
const SKEW_MARGIN_MS = 1_000;

type Index = Record<string, number>;
interface Mark {
  at: number;
  /** The instance that purged: its clock is ours exactly. */
  by: string;
}

export function createCacheTags(cache: Keyv, now: () => number = Date.now): CacheTags {
  const queues = new Map<string, Promise<unknown>>();
  const self = randomUUID();

  /** Runs `work` after every earlier update of `tag` in this process. */
  function serial<T>(tag: string, work: () => Promise<T>): Promise<T> {
    const next = (queues.get(tag) ?? Promise.resolve()).then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(tag, settled);
    void settled.then(() => {
      if (queues.get(tag) === settled) queues.delete(tag);
    });
    return next;
  }

  function addToIndex(tag: string, key: string, ttlMs: number): Promise<void> {
    return serial(tag, async () => {
      const at = now();
      const index: Index = { ...((await cache.get<Index>(INDEX + tag)) ?? {}) };
      for (const [k, expires] of Object.entries(index)) if (expires <= at) delete index[k];
      index[key] = at + ttlMs;
      const longest = Math.max(...Object.values(index)) - at;
      await cache.set(INDEX + tag, index, longest);
    });
  }

  async function purgedSince(tags: readonly string[], startedAt: number): Promise<boolean> {
    const marks = (await cache.getMany<Mark>(tags.map((t) => MARK + t))) as Array<Mark | undefined>;
    return marks.some((mark) => mark !== undefined && mark.at >= startedAt - (mark.by === self ? 0 : SKEW_MARGIN_MS));
  }

  return {
    async set(tags, key, ttlMs, startedAt, write) {
      await Promise.all(tags.map((tag) => addToIndex(tag, key, ttlMs)));
      await write();
      if (await purgedSince(tags, startedAt)) await cache.delete(key);
    },
    async purge(tags) {
      const unique = [...new Set(tags)];
      if (unique.length === 0) return;
      const at = now();
      // Mark first: a read finishing from here on sees the mark and does not keep its entry.
      const mark: Mark = { at, by: self };
      await Promise.all(unique.map((tag) => cache.set(MARK + tag, mark, MARK_TTL_MS)));
      await Promise.all(
        unique.map((tag) =>
          serial(tag, async () => {
            const index = (await cache.get<Index>(INDEX + tag)) ?? {};
            const keys = Object.keys(index);
            if (keys.length > 0) await cache.deleteMany(keys);
            await cache.delete(INDEX + tag);
          }),
        ),
      );
    },
  };
}
