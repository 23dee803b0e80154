import { InterchangeError } from '../errors.ts';
import type { UpstreamRequest } from '../http/types.ts';
import type { Args, QueryParams, Settings } from './define.ts';
import type { NormalizedEndpoint } from './normalize.ts';

/**
 * Turning an endpoint declaration plus arguments into one upstream request, and the key that
 * identifies that request for the cache and for in-flight de-duplication.
 */

/**
 * One path segment from an argument value: whatever the value, it stays inside its own segment
 * (`/` becomes %2F). A value of `.` or `..` is refused by the HTTP client before sending, since
 * servers treat even their encoded forms as dot-segments.
 */
export function encodeSegment(value: unknown): string {
  return encodeURIComponent(String(value));
}

export function buildPath(template: string, args: Args, site: { connector: string; endpoint: string }): string {
  if (!template.includes('{')) return template;
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = args[name];
    if (value === undefined || value === null || value === '') {
      throw new InterchangeError('BAD_USER_INPUT', `${site.connector}.${site.endpoint} needs a value for "${name}"`);
    }
    return encodeSegment(value);
  });
}

export function buildRequest(endpoint: NormalizedEndpoint, args: Args, settings: Settings, deadline?: number): UpstreamRequest {
  const site = { connector: endpoint.connector, endpoint: endpoint.name };
  return {
    endpoint: endpoint.name,
    method: endpoint.method,
    path: buildPath(endpoint.path, args, site),
    query: endpoint.query?.(args, settings),
    headers: endpoint.headers?.(args, settings),
    body: endpoint.body?.(args, settings),
    idempotent: endpoint.idempotent,
    deadline,
  };
}

/** Query parameters in a fixed order, undefined dropped: the same request always yields the same key. */
export function canonicalQuery(query: QueryParams | undefined): string {
  if (!query) return '';
  const names = Object.keys(query);
  if (!inOrder(names)) names.sort();
  let out = '';
  for (const name of names) {
    const value = query[name];
    if (value === undefined || value === null) continue;
    out += `${out === '' ? '' : '&'}${encodeComponent(name)}=${encodeComponent(Array.isArray(value) ? value.join(',') : String(value))}`;
  }
  return out;
}

/** Builders usually list parameters in order already; a key is built per record, so that check comes first. */
function inOrder(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return false;
  return true;
}

/** What encodeURIComponent leaves alone; a key is built per record, so the common case is not re-encoded. */
const UNRESERVED = /^[\w.!~*'()-]*$/;
const encodeComponent = (text: string) => (UNRESERVED.test(text) ? text : encodeURIComponent(text));

/**
 * Stable JSON: object keys sorted, so `{a,b}` and `{b,a}` key the same. A batch call's body is
 * keyed this way (fifty `{ id }` inputs, say), so keys already in order are not sorted and no
 * intermediate arrays are built.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${stableStringify(value[i])}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!inOrder(keys)) keys.sort();
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out === '{' ? '' : ','}${JSON.stringify(key)}:${stableStringify(item)}`;
  }
  return `${out}}`;
}

/** The identity of an upstream request: what the backend would see, nothing of the GraphQL query. */
export function requestKey(connector: string, request: Pick<UpstreamRequest, 'method' | 'path' | 'query' | 'body'>): string {
  const body = request.body === undefined ? '' : stableStringify(request.body);
  return `${connector} ${request.method} ${request.path}?${canonicalQuery(request.query)} ${body}`;
}

/**
 * `requestKey` of the request `buildRequest` would build, without building what the key leaves
 * out (headers): a batch read keys each of its records this way.
 */
export function endpointRequestKey(endpoint: NormalizedEndpoint, args: Args, settings: Settings): string {
  const site = { connector: endpoint.connector, endpoint: endpoint.name };
  return requestKey(endpoint.connector, {
    method: endpoint.method,
    path: buildPath(endpoint.path, args, site),
    query: endpoint.query?.(args, settings),
    body: endpoint.body?.(args, settings),
  });
}

/** Writes `value` at a dotted path inside a body object (`Limitation.Cursor`), creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = node[key] = next && typeof next === 'object' ? { ...(next as Record<string, unknown>) } : {};
  }
  node[keys.at(-1)!] = value;
  return target;
}
