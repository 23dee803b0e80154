import { Pool } from 'undici';
import type { HttpMethod, QueryParams } from '../connectors/define.ts';
import type { UpstreamResponse } from './types.ts';

/**
 * The wire: one undici Pool (keep-alive) per origin, JSON in and out, query strings and paths
 * built the same way for every connector. No policy lives here; a failure to reach the backend
 * surfaces as a TransportError that the resilience layer classifies.
 */

/** One call as it goes on the wire. `path` never carries the query, so it is safe to log. */
export interface OutgoingCall {
  method: HttpMethod | 'POST';
  /** `scheme://host:port` */
  origin: string;
  /** Path on the origin, percent-encoded, without the query string. */
  path: string;
  /** Encoded query string without the leading `?`; '' when none. */
  search: string;
  headers: Record<string, string>;
  /** Encoded as JSON when not undefined. */
  json?: unknown;
  /** Encoded as application/x-www-form-urlencoded (token requests). */
  form?: URLSearchParams;
}

/** The backend could not be reached or did not answer in time. Never leaves `http/`. */
export class TransportError extends Error {
  /** The attempt was cut short by the caller's deadline, not by the connector's own limit. */
  readonly byDeadline: boolean;
  constructor(
    readonly kind: 'timeout' | 'network',
    options: { cause: unknown; byDeadline?: boolean },
  ) {
    super(kind === 'timeout' ? 'the backend did not answer in time' : 'the backend could not be reached', { cause: options.cause });
    this.name = 'TransportError';
    this.byDeadline = options.byDeadline ?? false;
  }
}

/** A request path with a `.` or `..` segment; its text is not kept (it may echo user input). */
export class UnsafePathError extends Error {
  constructor() {
    super('a request path may not contain "." or ".." segments');
    this.name = 'UnsafePathError';
  }
}

export interface HttpClient {
  send(call: OutgoingCall, signal?: AbortSignal): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const UNDICI_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function createHttpClient(timeouts: { connectMs: number; requestMs: number }): HttpClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      // undici's own timers are a backstop behind the per-attempt timeout policy.
      pool = new Pool(origin, {
        connect: { timeout: timeouts.connectMs },
        headersTimeout: timeouts.requestMs,
        bodyTimeout: timeouts.requestMs,
        keepAliveTimeout: 10_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  return {
    async send(call, signal) {
      const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
      let body: string | undefined;
      if (call.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = call.form.toString();
      } else if (call.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(call.json);
      }
      try {
        const answer = await poolFor(call.origin).request({
          method: call.method,
          path: call.search ? `${call.path}?${call.search}` : call.path,
          headers,
          body,
          signal,
        });
        const text = await answer.body.text();
        return { status: answer.statusCode, headers: answer.headers, body: decode(text, answer.headers['content-type']) };
      } catch (error) {
        if (signal?.aborted) throw error;
        const code = (error as { code?: unknown }).code;
        throw new TransportError(typeof code === 'string' && UNDICI_TIMEOUTS.has(code) ? 'timeout' : 'network', { cause: error });
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.destroy()));
    },
  };
}

function decode(text: string, contentType: string | string[] | undefined): unknown {
  if (text === '') return undefined;
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (!type || !/[/+]json\b/i.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    // Said JSON, is not: hand the text up; the endpoint's response schema reports the drift.
    return text;
  }
}

const encode = (value: string | number | boolean) => encodeURIComponent(String(value));

/**
 * Query parameters → query string. `undefined`/`null` are omitted, and so is an empty list.
 * A list is sent comma-joined (`ids=1,2,3`, each item encoded so a comma inside an item stays
 * distinct) unless its name ends with `[]`, which repeats the parameter (`ids[]=1&ids[]=2`).
 */
export function encodeQuery(query: QueryParams | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      if (name.endsWith('[]')) {
        const key = `${encodeURIComponent(name.slice(0, -2))}[]`;
        for (const item of value) parts.push(`${key}=${encode(item)}`);
      } else {
        parts.push(`${encodeURIComponent(name)}=${value.map(encode).join(',')}`);
      }
    } else {
      parts.push(`${encodeURIComponent(name)}=${encode(value as string | number | boolean)}`);
    }
  }
  return parts.join('&');
}

export interface Target {
  origin: string;
  path: string;
  search: string;
}

/**
 * Joins a request path onto the base URL's path prefix (`https://h/api/v3` + `/contacts/1` →
 * `/api/v3/contacts/1`) and merges the query. The path is sent exactly as given, never resolved:
 * a `.` or `..` segment is refused, because a backend (or any URL parser on the way) would
 * resolve it and reach a path the connector did not declare.
 */
export function resolveTarget(baseUrl: string | URL, path: string, query?: QueryParams): Target {
  const base = typeof baseUrl === 'string' ? new URL(baseUrl) : baseUrl;
  const cut = path.indexOf('?');
  const pathOnly = cut === -1 ? path : path.slice(0, cut);
  const inlineQuery = cut === -1 ? '' : path.slice(cut + 1);
  const segments = pathOnly.split('/');
  if (segments.some((s) => s === '.' || s === '..' || /^(%2e|\.){1,2}$/i.test(s))) {
    throw new UnsafePathError();
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  const joined = `${prefix}${pathOnly.startsWith('/') ? '' : '/'}${pathOnly}`;
  const search = [base.search.slice(1), inlineQuery, encodeQuery(query)].filter((s) => s !== '').join('&');
  return { origin: base.origin, path: joined === '' ? '/' : joined, search };
}
