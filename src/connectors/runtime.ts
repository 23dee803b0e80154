import type { Keyv } from 'keyv';
import {
  InterchangeError,
  UpstreamBadResponseError,
  UpstreamError,
  UpstreamUnavailableError,
  type UpstreamSite,
} from '../errors.ts';
import { InFlight } from '../http/in-flight.ts';
import type { Upstream, UpstreamRequest, UpstreamResponse } from '../http/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Args, Settings } from './define.ts';
import type { NormalizedConnector, NormalizedEndpoint } from './normalize.ts';
import { buildPath, buildRequest, endpointRequestKey, requestKey } from './request.ts';
import { pageRequest, readPage, type Page, type PageRequest } from './pagination.ts';

/**
 * The connector runtime: from "call endpoint E with these arguments" to a mapped, validated
 * record. Below it is `http/` (quota, auth, retry, breaker, timeout); above it are the
 * per-request loaders. What it guarantees:
 * - identical reads in flight at the same time, from any request, share one upstream call;
 * - a cached read is keyed by the upstream request (batch answers are cached per record, under
 *   the key of the single-record request), never by the GraphQL query;
 * - an answer that does not match the connector's declared shape is UPSTREAM_BAD_RESPONSE
 *   naming the field, never silent nulls; a 404 on a read is null.
 */

export interface CallOptions {
  /** Epoch ms after which no upstream attempt starts. */
  deadline?: number;
}

export interface WriteOptions extends CallOptions {
  /** Sent the way the endpoint declares (`idempotency`); the same on every attempt. */
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface ConnectorRuntime {
  readonly connectors: ReadonlyMap<string, NormalizedConnector>;
  /** `crm.contact` → its endpoint; throws on an unknown reference. */
  endpoint(reference: string): NormalizedEndpoint;
  /** One read: a single record (null when the backend has none) or the whole mapped answer. */
  fetch(endpoint: NormalizedEndpoint, args: Args, options?: CallOptions): Promise<unknown>;
  /** Many records through the endpoint's batch form; answers align with `keys`, null where missing. */
  fetchMany(endpoint: NormalizedEndpoint, keys: readonly unknown[], args: Args, options?: CallOptions): Promise<unknown[]>;
  /** One page of a paginated endpoint. */
  fetchPage(endpoint: NormalizedEndpoint, args: Args, page: PageRequest, options?: CallOptions): Promise<Page>;
  /**
   * One write, as the outbox dispatches it: never cached, never shared with another caller, never
   * repeated here (the outbox repeats it, with the same idempotency key). Resolves with the
   * answer whatever its status; rejects only where `http/` does (network, 5xx, 429, timeout).
   */
  write(endpoint: NormalizedEndpoint, args: Args, options: WriteOptions): Promise<UpstreamResponse>;
  /** Drops every cached answer that holds one of these `touches` tags (a change event made them stale). */
  purge(tags: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The tag index behind `purge` (implemented in `events/purge.ts`). `set` indexes the key under
 * its tags and runs `write`; it keeps no entry whose read started before a purge of its tags.
 */
export interface CacheTags {
  set(tags: readonly string[], key: string, ttlMs: number, startedAt: number, write: () => Promise<unknown>): Promise<void>;
  purge(tags: readonly string[]): Promise<void>;
}

interface Entry {
  v: unknown;
}

export function createConnectorRuntime(deps: {
  connectors: readonly NormalizedConnector[];
  upstreams: ReadonlyMap<string, Upstream>;
  /** Each connector's resolved settings, for request builders. */
  settings: Readonly<Record<string, Settings>>;
  cache: Keyv;
  metrics: Metrics;
  /** Without it, answers are cached by TTL only and `purge` does nothing. */
  tags?: CacheTags;
}): ConnectorRuntime {
  const connectors = new Map(deps.connectors.map((c) => [c.name, c]));
  const inflight = new InFlight<string, Promise<unknown>>();
  const { cache, metrics } = deps;

  const settingsOf = (endpoint: NormalizedEndpoint): Settings => deps.settings[endpoint.connector] ?? {};

  function upstreamOf(endpoint: NormalizedEndpoint): Upstream {
    const upstream = deps.upstreams.get(endpoint.connector);
    if (!upstream) throw new InterchangeError('INTERNAL_SERVER_ERROR', `no upstream for connector ${endpoint.connector}`);
    return upstream;
  }

  async function send(endpoint: NormalizedEndpoint, request: UpstreamRequest): Promise<UpstreamResponse> {
    const response = await upstreamOf(endpoint).request(request);
    if (response.status >= 200 && response.status < 300) return response;
    if (response.status === 404) return response;
    throw errorForStatus(siteOf(endpoint), response.status);
  }

  /** Caches one answer for the endpoint's TTL, indexed under the tags it `touches`. */
  async function store(endpoint: NormalizedEndpoint, args: Args, key: string, value: unknown, startedAt: number): Promise<void> {
    const ttlMs = endpoint.cacheTtlSeconds * 1000;
    const write = () => cache.set(key, { v: value } satisfies Entry, ttlMs);
    const tags = deps.tags && endpoint.touches ? tagsOf(endpoint, args, value) : [];
    if (tags.length === 0) await write();
    else await deps.tags!.set(tags, key, ttlMs, startedAt, write);
  }

  /** Shares one producer among concurrent callers of the same key until it settles. */
  function shared<T>(key: string, produce: () => Promise<T>): Promise<T> {
    const pending = inflight.get(key);
    if (pending) return pending as Promise<T>;
    const produced = produce();
    inflight.set(key, produced);
    // Remove the in-flight entry however it settles; callers observe `produced` itself.
    const forget = () => void inflight.delete(key);
    produced.then(forget, forget);
    return produced;
  }

  /** Shares one producer among concurrent callers of the same key, and caches its result for the TTL. */
  async function cached(endpoint: NormalizedEndpoint, key: string, args: Args, produce: () => Promise<unknown>): Promise<unknown> {
    const ttl = endpoint.cacheTtlSeconds;
    if (ttl > 0) {
      const hit = (await cache.get<Entry>(key)) as Entry | undefined;
      metrics.cacheRequests.inc({ connector: endpoint.connector, endpoint: endpoint.name, result: hit ? 'hit' : 'miss' });
      if (hit) return hit.v;
    }
    return shared(key, async () => {
      const startedAt = Date.now();
      const value = await produce();
      if (ttl > 0) await store(endpoint, args, key, value, startedAt);
      return value;
    });
  }

  function fetch(endpoint: NormalizedEndpoint, args: Args, options: CallOptions = {}): Promise<unknown> {
    const request = buildRequest(endpoint, args, settingsOf(endpoint), options.deadline);
    return cached(endpoint, requestKey(endpoint.connector, request), args, async () => {
      const response = await send(endpoint, request);
      if (response.status === 404) return null;
      const record = endpoint.unwrap ? safely(endpoint, () => endpoint.unwrap!(response.body)) : response.body;
      return record == null ? null : mapRecord(endpoint, record, args);
    });
  }

  async function fetchMany(endpoint: NormalizedEndpoint, keys: readonly unknown[], args: Args, options: CallOptions = {}): Promise<unknown[]> {
    const batch = endpoint.batch;
    if (!batch) return Promise.all(keys.map((key) => fetch(endpoint, { ...args, [endpoint.args[0]?.name ?? 'id']: key }, options)));
    const results: unknown[] = new Array(keys.length);
    let misses: number[];
    // Records are cached one by one, under the key of the single-record request, so a batch finds
    // what a single read (or another batch) stored. Without a TTL no record key is needed.
    let itemKeys: string[] | undefined;
    if (endpoint.cacheTtlSeconds > 0) {
      const settings = settingsOf(endpoint);
      itemKeys = keys.map((key) => endpointRequestKey(endpoint, { ...args, [batch.key]: key }, settings));
      const stored = (await cache.getMany<Entry>(itemKeys)) as Array<Entry | undefined>;
      misses = [];
      stored.forEach((hit, i) => {
        if (hit) results[i] = hit.v;
        else misses.push(i);
      });
      const labels = { connector: endpoint.connector, endpoint: endpoint.name };
      const hits = keys.length - misses.length;
      if (hits > 0) metrics.cacheRequests.inc({ ...labels, result: 'hit' }, hits);
      if (misses.length > 0) metrics.cacheRequests.inc({ ...labels, result: 'miss' }, misses.length);
    } else {
      misses = keys.map((_, i) => i);
    }
    const chunks: Array<Promise<void>> = [];
    for (let start = 0; start < misses.length; start += batch.maxSize) {
      const chunk = misses.slice(start, start + batch.maxSize);
      const chunkKeys = itemKeys && chunk.map((i) => itemKeys[i]!);
      chunks.push(
        fetchBatch(endpoint, chunk.map((i) => keys[i]), chunkKeys, args, options).then((values) => {
          chunk.forEach((i, position) => (results[i] = values[position]));
        }),
      );
    }
    await Promise.all(chunks);
    return results;
  }

  /**
   * One batch call for `keys`; answers align with `keys`, null for a key no record answers.
   * Identical batch calls in flight at the same time share one upstream call. Each record is
   * cached under its `itemKeys` entry (when the endpoint has a TTL) before any caller sees it.
   *
   * Sharing is per batch call, not per record: an index of every record in flight lives as long
   * as the gateway, and each entry it holds keeps that record's promise and key alive through
   * every scavenge until the batch answers, so the collector promoted them by the hundred per
   * operation (bench/FINDINGS.md, fifth pass). Records two different batches have in common are
   * shared through the cache instead.
   */
  function fetchBatch(endpoint: NormalizedEndpoint, keys: readonly unknown[], itemKeys: readonly string[] | undefined, args: Args, options: CallOptions): Promise<unknown[]> {
    const batch = endpoint.batch!;
    const site = siteOf(endpoint);
    const settings = settingsOf(endpoint);
    const request: UpstreamRequest = {
      endpoint: endpoint.name,
      method: batch.method,
      path: buildPath(batch.path, args, site),
      query: batch.query?.(keys, args, settings),
      body: batch.body?.(keys, args, settings),
      headers: endpoint.headers?.(args, settings),
      // A batch read changes nothing, whatever its method (HubSpot's is a POST).
      idempotent: true,
      deadline: options.deadline,
    };
    const answered = shared(requestKey(endpoint.connector, request), async () => {
      const startedAt = Date.now();
      const values = await readBatch(endpoint, keys, args, await send(endpoint, request));
      if (itemKeys) await Promise.all(keys.map((key, i) => store(endpoint, { ...args, [batch.key]: key }, itemKeys[i]!, values[i], startedAt)));
      return new Map(keys.map((key, i) => [String(key), values[i]]));
    });
    // By key, not by position: a builder that orders the keys makes one request of two orders.
    return answered.then((byKey) => keys.map((key) => (byKey.has(String(key)) ? byKey.get(String(key)) : batch.many ? [] : null)));
  }

  function readBatch(endpoint: NormalizedEndpoint, keys: readonly unknown[], args: Args, response: UpstreamResponse): unknown[] {
    const batch = endpoint.batch!;
    if (response.status === 404) return keys.map(() => (batch.many ? [] : null));
    const items = safely(endpoint, () => batch.items(response.body));
    if (!Array.isArray(items)) throw new UpstreamBadResponseError(siteOf(endpoint), 'the batch answer holds no list of records');
    const byKey = new Map<string, unknown[]>();
    for (const item of items) {
      const key = String(safely(endpoint, () => batch.keyOf(item)));
      const group = byKey.get(key);
      if (group) group.push(item);
      else byKey.set(key, [item]);
    }
    return keys.map((key) => {
      const found = byKey.get(String(key));
      if (!found || found[0] == null) return batch.many ? [] : null;
      const keyArgs = { ...args, [batch.key]: key };
      return batch.many ? found.map((item) => mapRecord(endpoint, item, keyArgs)) : mapRecord(endpoint, found[0], keyArgs);
    });
  }

  function fetchPage(endpoint: NormalizedEndpoint, args: Args, page: PageRequest, options: CallOptions = {}): Promise<Page> {
    const { request, position, size } = pageRequest(endpoint, args, settingsOf(endpoint), page);
    const key = `${requestKey(endpoint.connector, request)} first=${page.first} skip=${position.s ?? 0}`;
    return cached(endpoint, key, args, async () => {
      const response = await send(endpoint, { ...request, deadline: options.deadline });
      if (response.status === 404) return { items: [], endCursor: null, hasNextPage: false } satisfies Page;
      return safely(endpoint, () =>
        readPage(endpoint, { body: response.body, link: response.headers.link }, position, size, page.first, (raw) => mapRecord(endpoint, raw, args)),
      );
    }) as Promise<Page>;
  }

  return {
    connectors,
    endpoint(reference) {
      const [connectorName, endpointName] = reference.split('.');
      const endpoint = connectors.get(connectorName ?? '')?.endpoints[endpointName ?? ''];
      if (!endpoint) throw new InterchangeError('INTERNAL_SERVER_ERROR', `unknown endpoint ${reference}`);
      return endpoint;
    },
    fetch,
    fetchMany,
    fetchPage,
    write(endpoint, args, options) {
      const request = buildRequest(endpoint, args, settingsOf(endpoint), options.deadline);
      const idempotency = endpoint.idempotency;
      if (idempotency && 'header' in idempotency) request.headers = { ...request.headers, [idempotency.header]: options.idempotencyKey };
      if (idempotency && 'bodyField' in idempotency) request.body = { ...(request.body as object | undefined), [idempotency.bodyField]: options.idempotencyKey };
      return upstreamOf(endpoint).request({ ...request, idempotent: false, signal: options.signal });
    },
    purge: async (tags) => deps.tags?.purge(tags),
    async close() {
      await Promise.all([...deps.upstreams.values()].map((u) => u.close()));
    },
  };
}

/** The tags an answer holds; a `touches` that throws tags nothing (the entry then lives until its TTL). */
function tagsOf(endpoint: NormalizedEndpoint, args: Args, value: unknown): readonly string[] {
  try {
    return endpoint.touches!(args, value);
  } catch {
    return [];
  }
}

function siteOf(endpoint: NormalizedEndpoint): UpstreamSite {
  return { connector: endpoint.connector, endpoint: endpoint.name };
}

/** Runs connector code (unwrap, items, keyOf, map) so that a crash on an unexpected answer reads as drift. */
function safely<T>(endpoint: NormalizedEndpoint, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof InterchangeError) throw cause;
    throw new UpstreamBadResponseError(siteOf(endpoint), 'the connector could not read the answer', { cause });
  }
}

/** Validates one raw record against the declared shape, then maps it into the unified type. */
function mapRecord(endpoint: NormalizedEndpoint, raw: unknown, args: Args): unknown {
  if (!endpoint.fitsResponse(raw)) {
    const checked = endpoint.response!.safeParse(raw);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const field = issue.path.map(String).join('.') || '(record)';
      throw new UpstreamBadResponseError(siteOf(endpoint), `field "${field}": ${issue.message}`, { field });
    }
  }
  return safely(endpoint, () => endpoint.map(raw, args));
}

/**
 * What a final non-2xx answer to a read means for the client. The upstream body is never part of
 * the message; the status is.
 */
export function errorForStatus(site: UpstreamSite, status: number): UpstreamError {
  switch (true) {
    case status === 400 || status === 422:
      return new UpstreamError('BAD_USER_INPUT', site, `${site.connector} refused the request as invalid (HTTP ${status})`, { status });
    case status === 404:
      return new UpstreamError('NOT_FOUND', site, `${site.connector} has no such record`, { status });
    case status === 409:
      return new UpstreamError('CONFLICT', site, `${site.connector} reported a conflict (HTTP ${status})`, { status });
    case status === 401 || status === 403:
      return new UpstreamUnavailableError(site, `it refused the gateway's credentials, HTTP ${status}`, { status });
    default:
      return new UpstreamUnavailableError(site, `HTTP ${status}`, { status });
  }
}
