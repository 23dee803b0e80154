import type { Reply, RequestContext } from './sim/types.ts';

/**
 * Shopify's cursor pagination: the first request carries filters, later ones carry only
 * `page_info` (and `limit`/`fields`); the cursor remembers the filters and the boundary id.
 * Links go in the `Link` header as rel="next" / rel="previous".
 */

interface Cursor {
  /** The filter query string of the first request. */
  q: string;
  after?: number;
  before?: number;
}

const PAGE_PARAMS = new Set(['limit', 'page_info', 'fields']);

export function paginate<T extends { id: number }>(
  ctx: RequestContext,
  items: T[],
  buildFilter: (query: URLSearchParams) => (item: T) => boolean,
  resource: string,
): { page: T[]; link?: string } | Reply {
  const q = ctx.query;
  const limitParam = Number(q.get('limit') ?? 50);
  const limit = Number.isFinite(limitParam) ? Math.min(250, Math.max(1, Math.floor(limitParam))) : 50;
  const pageInfo = q.get('page_info');
  let cursor: Cursor;
  if (pageInfo !== null) {
    for (const key of q.keys()) {
      if (!PAGE_PARAMS.has(key)) {
        const message = `${key} cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information.`;
        return { status: 400, body: { errors: { [key]: [message] } } };
      }
    }
    const decoded = decodeCursor(pageInfo);
    if (!decoded) return { status: 400, body: { errors: { page_info: ['Invalid value.'] } } };
    cursor = decoded;
  } else {
    const filters = new URLSearchParams(q);
    for (const key of PAGE_PARAMS) filters.delete(key);
    cursor = { q: filters.toString() };
  }
  const matching = items.filter(buildFilter(new URLSearchParams(cursor.q)));
  let start = 0;
  let end = limit;
  if (cursor.before !== undefined) {
    const at = firstIndex(matching, (item) => item.id >= cursor.before!);
    start = Math.max(0, at - limit);
    end = at;
  } else if (cursor.after !== undefined) {
    start = firstIndex(matching, (item) => item.id > cursor.after!);
    end = start + limit;
  }
  const page = matching.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  const fields = q.get('fields');
  const base = `${ctx.baseUrl}/admin/api/${ctx.params.version ?? ''}/${resource}?limit=${limit}${fields ? `&fields=${encodeURIComponent(fields)}` : ''}`;
  const links: string[] = [];
  if (first && start > 0) links.push(`<${base}&page_info=${encodeCursor({ q: cursor.q, before: first.id })}>; rel="previous"`);
  if (last && end < matching.length) links.push(`<${base}&page_info=${encodeCursor({ q: cursor.q, after: last.id })}>; rel="next"`);
  return links.length > 0 ? { page, link: links.join(', ') } : { page };
}

function firstIndex<T>(items: T[], test: (item: T) => boolean): number {
  const i = items.findIndex(test);
  return i < 0 ? items.length : i;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string): Cursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Cursor).q !== 'string') return undefined;
    return parsed as Cursor;
  } catch {
    return undefined;
  }
}

/** `fields=id,name`: keep only these top-level keys. */
export function pickFields(value: Record<string, unknown>, fields: string | null): Record<string, unknown> {
  if (!fields) return value;
  const out: Record<string, unknown> = {};
  for (const f of fields.split(',').map((s) => s.trim())) if (f in value) out[f] = value[f];
  return out;
}
