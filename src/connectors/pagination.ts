import { InterchangeError } from '../errors.ts';
import type { UpstreamRequest } from '../http/types.ts';
import type { Args, PaginationDefinition, Settings } from './define.ts';
import type { NormalizedEndpoint } from './normalize.ts';
import { buildPath, setPath } from './request.ts';

/**
 * The four upstream pagination styles behind one client-facing shape (Relay connections).
 *
 * A client cursor is opaque: base64url of a position `{ c, s, z }` — the upstream position of a
 * page (cursor string, page number, offset, or the query string of a `Link: rel="next"` URL),
 * how many of that page's records were already seen, and the page size it was read with (page
 * numbers shift when the size changes). Link cursors keep only the query string, and the path is
 * always the endpoint's own: a forged cursor can never point a call elsewhere.
 */

export interface PageRequest {
  first: number;
  after?: string | null | undefined;
}

export interface Page {
  items: unknown[];
  /**
   * Where the items were read from upstream; the cursor after item i is `cursorAt(page, i)`.
   * Cursors are encoded only when a client asks for one (most ask for `nodes` and `endCursor`),
   * and this stays plain data because a page is cached as JSON. An empty page has none.
   */
  origin?: PageOrigin;
  endCursor: string | null;
  hasNextPage: boolean;
}

/** The upstream position of a page's first item: cursor after item i is `{ c, s: s + i + 1, z }`. */
export interface PageOrigin {
  c?: string | number;
  s: number;
  z: number;
}

interface Position {
  c?: string | number;
  s?: number;
  z?: number;
}

const DEFAULT_MAX_PAGE = 100;

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Position;
    const valid =
      position !== null &&
      typeof position === 'object' &&
      (position.c === undefined || typeof position.c === 'string' || typeof position.c === 'number') &&
      (position.s === undefined || Number.isInteger(position.s)) &&
      (position.z === undefined || Number.isInteger(position.z));
    if (valid) return position;
  } catch {
    // fall through to the client-facing error
  }
  throw new InterchangeError('BAD_USER_INPUT', `"${cursor.slice(0, 40)}" is not a cursor this API issued`);
}

/** The upstream request for one page, and where in it the client's page starts. */
export function pageRequest(endpoint: NormalizedEndpoint, args: Args, settings: Settings, page: PageRequest): { request: UpstreamRequest; position: Position; size: number } {
  const style = endpoint.pagination!;
  const max = style.maxPageSize ?? DEFAULT_MAX_PAGE;
  if (!Number.isInteger(page.first) || page.first < 0) throw new InterchangeError('BAD_USER_INPUT', `"first" must be a non-negative integer, got ${page.first}`);
  const position = page.after ? decodeCursor(page.after) : {};
  const size = Math.min(max, Math.max(1, position.s ? position.z ?? page.first : page.first));
  const site = { connector: endpoint.connector, endpoint: endpoint.name };
  let query = endpoint.query?.(args, settings) ?? {};
  let body = endpoint.body?.(args, settings);
  const put = (name: string | undefined, value: unknown, where: 'query' | 'body' = 'query') => {
    if (!name || value === undefined) return;
    if (where === 'body') body = setPath({ ...((body as Record<string, unknown> | undefined) ?? {}) }, name, value);
    else query = { ...query, [name]: value as string | number };
  };
  switch (style.style) {
    case 'cursor':
      put(style.sizeParam, size, style.in);
      put(style.cursorParam, position.c, style.in);
      break;
    case 'page':
      put(style.sizeParam, size);
      put(style.pageParam, position.c ?? style.firstPage ?? 1);
      break;
    case 'offset':
      put(style.sizeParam, size);
      put(style.offsetParam, position.c ?? 0);
      break;
    case 'link':
      // A next link carries the whole query the backend wants (Shopify allows only limit beside page_info).
      if (typeof position.c === 'string') query = Object.fromEntries(new URLSearchParams(position.c));
      put(style.sizeParam, size);
      break;
    default:
      return assertNever(style);
  }
  const request: UpstreamRequest = {
    endpoint: endpoint.name,
    method: endpoint.method,
    path: buildPath(endpoint.path, args, site),
    query,
    headers: endpoint.headers?.(args, settings),
    body,
    idempotent: endpoint.idempotent,
  };
  return { request, position, size };
}

/** The upstream position after a page answer, or undefined on the last page. */
function nextPosition(style: PaginationDefinition, raw: unknown, link: unknown, current: Position, count: number, size: number): string | number | undefined {
  switch (style.style) {
    case 'cursor':
      return style.next(raw, size) ?? undefined;
    case 'page':
      return count >= size ? Number(current.c ?? style.firstPage ?? 1) + 1 : undefined;
    case 'offset':
      return count >= size ? Number(current.c ?? 0) + size : undefined;
    case 'link':
      return nextLinkQuery(link);
    default:
      return assertNever(style);
  }
}

/** The query string of the `rel="next"` target in an RFC 8288 Link header. */
export function nextLinkQuery(header: unknown): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '';
  for (const part of text.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2]!)) {
      const target = match[1]!;
      const q = target.indexOf('?');
      return q === -1 ? '' : target.slice(q + 1);
    }
  }
  return undefined;
}

/**
 * Reads one page answer: the records (mapped), where their cursors come from, the end cursor,
 * and whether more exist. `mapItem` validates and maps one raw record.
 */
export function readPage(
  endpoint: NormalizedEndpoint,
  answer: { body: unknown; link: unknown },
  position: Position,
  size: number,
  first: number,
  mapItem: (raw: unknown) => unknown,
): Page {
  const style = endpoint.pagination!;
  const raw = style.items(answer.body);
  if (!Array.isArray(raw)) throw new InterchangeError('INTERNAL_SERVER_ERROR', 'page items are not a list');
  const skip = position.s ?? 0;
  const taken = raw.slice(skip, skip + first);
  const items = taken.map(mapItem);
  const next = nextPosition(style, answer.body, answer.link, position, raw.length, size);
  const origin: PageOrigin = { c: position.c, s: skip, z: size };
  const restOfPage = skip + taken.length < raw.length;
  // Inside the upstream page (or after its last item, on the last page) the end is the position
  // after the items taken; otherwise it is the start of the next upstream page, if any.
  const endCursor =
    restOfPage || (next === undefined && taken.length > 0)
      ? encodeCursor({ c: position.c, s: skip + taken.length, z: size })
      : next === undefined
        ? null
        : encodeCursor({ c: next });
  return { items, origin, endCursor, hasNextPage: restOfPage || next !== undefined };
}

/** The client cursor after item `i` of a page; undefined past its end. Computed on each call. */
export function cursorAt(page: Page, i: number): string | undefined {
  if (!Number.isInteger(i) || i < 0 || i >= page.items.length) return undefined;
  const origin = page.origin;
  return origin && encodeCursor({ c: origin.c, s: origin.s + i + 1, z: origin.z });
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
