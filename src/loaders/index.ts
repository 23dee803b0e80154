import DataLoader from 'dataloader';
import type { Args } from '../connectors/define.ts';
import type { NormalizedEndpoint } from '../connectors/normalize.ts';
import type { Page, PageRequest } from '../connectors/pagination.ts';
import { stableStringify } from '../connectors/request.ts';
import type { ConnectorRuntime } from '../connectors/runtime.ts';

/**
 * Per-request loaders. Built for every GraphQL operation and dropped with it: a module-level
 * loader would hand one caller's records to another. Within one operation, every call to an
 * endpoint made in the same tick is collected:
 * - an endpoint with a batch form becomes one batch call per group of identical non-key
 *   arguments (split at the endpoint's maxSize);
 * - any other endpoint is de-duplicated by arguments and its calls run in parallel, bounded by
 *   the connector's quota concurrency below.
 * Across operations, de-duplication and caching happen in the runtime.
 */
export interface RequestLoaders {
  load(endpoint: NormalizedEndpoint, args: Args): Promise<unknown>;
  page(endpoint: NormalizedEndpoint, args: Args, page: PageRequest): Promise<Page>;
  /**
   * Forgets everything the operation read, once it has answered. V8's young-generation collector
   * keeps alive whatever an old object points at, dead or not, so an ended operation's records
   * stayed reachable from its context until the next full collection: at 66 operations/s,
   * 2.2 MB promoted per scavenge and 6–10 ms pauses, against 0.4 MB and 2–4 ms once released.
   */
  release(): void;
}

export function createRequestLoaders(runtime: ConnectorRuntime, options: { deadline: number }): RequestLoaders {
  const loaders = new Map<string | NormalizedEndpoint, DataLoader<unknown, unknown, string>>();
  const pages = new Map<string, Promise<Page>>();
  const callOptions = { deadline: options.deadline };

  function batchLoader(endpoint: NormalizedEndpoint, rest: Args): DataLoader<unknown, unknown, string> {
    // Most bindings pass the key alone: one loader per endpoint, found without building a string.
    const id = isEmpty(rest) ? endpoint : `${endpoint.connector}.${endpoint.name} ${stableStringify(rest)}`;
    let loader = loaders.get(id);
    if (!loader) {
      loader = new DataLoader((keys) => runtime.fetchMany(endpoint, keys, rest, callOptions), {
        maxBatchSize: endpoint.batch!.maxSize,
        cacheKeyFn: (key) => String(key),
      });
      loaders.set(id, loader);
    }
    return loader;
  }

  function singleLoader(endpoint: NormalizedEndpoint): DataLoader<unknown, unknown, string> {
    const id = `${endpoint.connector}.${endpoint.name}`;
    let loader = loaders.get(id);
    if (!loader) {
      loader = new DataLoader(
        async (argsList) => {
          const settled = await Promise.allSettled(argsList.map((args) => runtime.fetch(endpoint, args as Args, callOptions)));
          return settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error)));
        },
        { cacheKeyFn: (args) => stableStringify(args) },
      );
      loaders.set(id, loader);
    }
    return loader;
  }

  return {
    load(endpoint, args) {
      const batch = endpoint.batch;
      if (!batch) return singleLoader(endpoint).load(args);
      const { [batch.key]: key, ...rest } = args;
      if (key === undefined || key === null) return Promise.resolve(null);
      return batchLoader(endpoint, rest).load(key);
    },
    page(endpoint, args, page) {
      const id = `${endpoint.connector}.${endpoint.name} ${stableStringify(args)} ${page.first} ${page.after ?? ''}`;
      let pending = pages.get(id);
      if (!pending) {
        pending = runtime.fetchPage(endpoint, args, page, callOptions);
        pages.set(id, pending);
      }
      return pending;
    },
    release() {
      for (const loader of loaders.values()) loader.clearAll();
      loaders.clear();
      pages.clear();
    },
  };
}

function isEmpty(args: Args): boolean {
  for (const _ in args) return false;
  return true;
}
