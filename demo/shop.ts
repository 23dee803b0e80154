import { createHmac, randomUUID } from 'node:crypto';
import { seedData } from './seed.ts';
import { cents, money, SHOP_DOMAIN, ShopStore, shopTime, type Json, type OrderState } from './shop-store.ts';
import { paginate, pickFields } from './shop-pagination.ts';
import { isObject } from './sim/faults.ts';
import { LeakyBucket } from './sim/rate-limit.ts';
import type { Reply, RequestContext, RouteSpec, VendorOptions, VendorSimulator } from './sim/types.ts';

/**
 * Shopify Admin REST on versioned paths. `X-Shopify-Access-Token` auth, a leaky bucket (40
 * calls, draining 2/s) reported in `X-Shopify-Shop-Api-Call-Limit` on every answer, cursor
 * pagination in the `Link` header, orders listed as `status=open` unless told otherwise, and
 * webhooks signed with base64 HMAC-SHA256 of the raw body.
 */
export const SHOP_CREDENTIALS = {
  ACCESS_TOKEN: 'shpat_demo0b1e6f3a9c2d4e8f7a6b5c4d3e2f1a0',
  WEBHOOK_SECRET: 'shpss_demo5c1d9e2f3a4b6c8d0e1f2a3b4c5d6e7',
  SHOP_DOMAIN,
} as const;

const CURRENT_VERSIONS = new Set(['2024-07', '2024-10', '2025-01', '2025-04']);
const DEPRECATED_VERSION = '2024-04';
const LATEST = '2025-04';
const DEPRECATION_REASON = 'https://shopify.dev/api/usage/versioning#deprecation-practices';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TOPICS = ['orders/create', 'orders/updated', 'orders/paid', 'customers/create', 'customers/update'] as const;

const notFound = (): Reply => ({ status: 404, body: { errors: 'Not Found' } });
const invalid = (errors: Record<string, string[]>): Reply => ({ status: 422, body: { errors } });

/** The version a request is served with: unsupported old versions fall forward to the oldest supported one. */
function servedVersion(requested: string | undefined): { version: string; deprecated: boolean } | undefined {
  if (requested === 'unstable' || (requested && CURRENT_VERSIONS.has(requested))) return { version: requested, deprecated: false };
  if (!requested || !/^\d{4}-(01|04|07|10)$/.test(requested) || requested > LATEST) return undefined;
  return { version: DEPRECATED_VERSION, deprecated: true };
}

function numericId(value: string | undefined): number | undefined {
  return value && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
}

export function createShop({ seed, limits }: VendorOptions): VendorSimulator {
  const scale = limits === 'relaxed' ? 1000 : 1;
  const settings = { rateLimit: { bucketSize: 40 * scale, leakPerSecond: 2 * scale } };
  const store = new ShopStore(seedData(seed));
  const bucket = new LeakyBucket();

  const customer = (ctx: RequestContext) => store.customersById.get(numericId(ctx.params.id) ?? -1);
  const order = (ctx: RequestContext) => store.ordersById.get(numericId(ctx.params.id) ?? -1);
  const one = (ctx: RequestContext, key: string, value: Json): Reply => ({ status: 200, body: { [key]: pickFields(value, ctx.query.get('fields')) } });

  function list(ctx: RequestContext, key: string, items: Array<{ id: number; view: () => Json }>, filter: Parameters<typeof paginate>[2], resource: string): Reply {
    const result = paginate(ctx, items, filter, resource);
    if ('status' in result) return result;
    const fields = ctx.query.get('fields');
    return {
      status: 200,
      body: { [key]: result.page.map((item) => pickFields(item.view(), fields)) },
      ...(result.link ? { headers: { Link: result.link } } : {}),
    };
  }

  const customerItems = () => store.customers.map((c) => ({ id: c.id as number, view: () => store.customerView(c), record: c }));
  const orderItems = (orders: OrderState[]) => orders.map((o) => ({ id: o.record.id as number, view: () => store.orderView(o), state: o }));

  function writeCustomer(ctx: RequestContext, existing: Json | undefined): Reply {
    const input = isObject(ctx.body) ? ctx.body.customer : undefined;
    if (!isObject(input)) return { status: 400, body: { errors: { customer: 'Required parameter missing or invalid' } } };
    const errors: Record<string, string[]> = {};
    const email = input.email === undefined ? existing?.email : input.email;
    const phone = input.phone === undefined ? existing?.phone : input.phone;
    if (typeof input.email === 'string') {
      const owner = store.customersByEmail.get(input.email.toLowerCase());
      if (!EMAIL.test(input.email)) errors.email = ['is invalid'];
      else if (owner && owner !== existing) errors.email = ['has already been taken'];
    }
    if (typeof input.phone === 'string') {
      const owner = store.customersByPhone.get(input.phone);
      if (!/^\+?[\d\s().-]{6,20}$/.test(input.phone)) errors.phone = ['is invalid'];
      else if (owner && owner !== existing) errors.phone = ['has already been taken'];
    }
    const first = input.first_name ?? existing?.first_name;
    const last = input.last_name ?? existing?.last_name;
    if (!email && !phone && !first && !last) errors.base = ['Customer must have a name, phone number or email address'];
    if (Object.keys(errors).length > 0) return invalid(errors);

    const now = shopTime(ctx.now);
    const id = existing ? (existing.id as number) : store.nextCustomerId++;
    const addresses = Array.isArray(input.addresses)
      ? input.addresses.filter(isObject).map((a) => store.address(id, a, { first_name: first, last_name: last, phone }))
      : ((existing?.addresses as Json[] | undefined) ?? []);
    const fields = {
      email: email ?? null, first_name: first ?? null, last_name: last ?? null, phone: phone ?? null,
      note: input.note ?? existing?.note ?? null, tags: input.tags ?? existing?.tags ?? '',
      verified_email: input.verified_email ?? existing?.verified_email ?? false, addresses,
      default_address: addresses[0], updated_at: now,
    };
    if (existing) {
      const [oldEmail, oldPhone] = [existing.email, existing.phone];
      Object.assign(existing, fields);
      store.reindexCustomer(existing, oldEmail, oldPhone);
      ctx.emit({ topic: 'customers/update', body: store.customerView(existing) });
      return { status: 200, body: { customer: store.customerView(existing) } };
    }
    const created: Json = {
      id, created_at: now, state: 'disabled', multipass_identifier: null, tax_exempt: false, currency: 'EUR',
      tax_exemptions: [], admin_graphql_api_id: `gid://shopify/Customer/${id}`, ...fields,
    };
    store.addCustomer(created);
    ctx.emit({ topic: 'customers/create', body: store.customerView(created) });
    return { status: 201, body: { customer: store.customerView(created) } };
  }

  function createTransaction(ctx: RequestContext): Reply {
    const o = order(ctx);
    if (!o) return notFound();
    const input = isObject(ctx.body) ? ctx.body.transaction : undefined;
    if (!isObject(input)) return { status: 400, body: { errors: { transaction: 'Required parameter missing or invalid' } } };
    const kind = String(input.kind ?? '');
    if (!['capture', 'sale', 'refund'].includes(kind)) return invalid({ kind: ['is not included in the list'] });
    if (input.currency !== undefined && input.currency !== 'EUR') return invalid({ currency: ['must match the order currency EUR'] });
    const outstanding = o.totalCents - o.paidCents;
    const amount = input.amount === undefined ? (kind === 'refund' ? o.paidCents - o.refundedCents : outstanding) : cents(input.amount);
    if (!(amount > 0)) return invalid({ amount: ['must be greater than 0'] });
    if (kind === 'refund' && amount > o.paidCents - o.refundedCents) return invalid({ base: ['Refund amount exceeds the amount paid'] });
    if (kind !== 'refund' && amount > outstanding) return invalid({ base: [`Amount ${money(amount)} exceeds the outstanding balance of ${money(outstanding)}`] });
    const wasPaid = o.record.financial_status === 'paid';
    if (kind === 'refund') o.refundedCents += amount;
    else o.paidCents += amount;
    store.settle(o, ctx.now);
    const id = store.nextTransactionId++;
    const transaction: Json = {
      id, admin_graphql_api_id: `gid://shopify/OrderTransaction/${id}`, order_id: o.record.id, kind,
      gateway: String(input.gateway ?? 'manual'), status: 'success', message: null, created_at: shopTime(ctx.now),
      processed_at: shopTime(ctx.now), test: false, authorization: input.authorization ?? null, parent_id: input.parent_id ?? null,
      source_name: 'external', amount: money(amount), currency: 'EUR', error_code: null, receipt: {},
    };
    const list = store.transactions.get(o.record.id as number) ?? [];
    list.push(transaction);
    store.transactions.set(o.record.id as number, list);
    ctx.emit({ topic: 'orders/updated', body: store.orderView(o) });
    if (!wasPaid && o.record.financial_status === 'paid') ctx.emit({ topic: 'orders/paid', body: store.orderView(o) });
    return { status: 201, body: { transaction } };
  }

  const P = '/admin/api/{version}';
  const routes: RouteSpec[] = [
    { method: 'GET', path: `${P}/customers.json`, handle: (ctx) => list(ctx, 'customers', customerItems(), customerFilter, 'customers.json') },
    { method: 'GET', path: `${P}/customers/search.json`, handle: (ctx) => list(ctx, 'customers', customerItems(), customerSearch, 'customers/search.json') },
    { method: 'GET', path: `${P}/customers/{id}.json`, handle: (ctx) => { const c = customer(ctx); return c ? one(ctx, 'customer', store.customerView(c)) : notFound(); } },
    {
      method: 'GET', path: `${P}/customers/{id}/orders.json`,
      handle: (ctx) => {
        const c = customer(ctx);
        return c ? list(ctx, 'orders', orderItems(store.ordersByCustomer.get(c.id as number) ?? []), orderFilter, `customers/${c.id}/orders.json`) : notFound();
      },
    },
    { method: 'POST', path: `${P}/customers.json`, handle: (ctx) => writeCustomer(ctx, undefined) },
    { method: 'PUT', path: `${P}/customers/{id}.json`, handle: (ctx) => { const c = customer(ctx); return c ? writeCustomer(ctx, c) : notFound(); } },
    { method: 'GET', path: `${P}/orders.json`, handle: (ctx) => list(ctx, 'orders', orderItems(store.orders), orderFilter, 'orders.json') },
    { method: 'GET', path: `${P}/orders/{id}.json`, handle: (ctx) => { const o = order(ctx); return o ? one(ctx, 'order', store.orderView(o)) : notFound(); } },
    {
      method: 'GET', path: `${P}/orders/{id}/transactions.json`,
      handle: (ctx) => { const o = order(ctx); return o ? { status: 200, body: { transactions: store.transactions.get(o.record.id as number) ?? [] } } : notFound(); },
    },
    { method: 'POST', path: `${P}/orders/{id}/transactions.json`, handle: createTransaction },
  ];

  return {
    name: 'shop',
    credentials: { ACCESS_TOKEN: SHOP_CREDENTIALS.ACCESS_TOKEN, WEBHOOK_SECRET: SHOP_CREDENTIALS.WEBHOOK_SECRET, SHOP_DOMAIN },
    settings,
    routes,
    decorate(ctx) {
      ctx.responseHeaders['X-Request-Id'] = randomUUID();
      const served = servedVersion(ctx.params.version);
      if (!served) return;
      ctx.responseHeaders['X-Shopify-API-Version'] = served.version;
      if (served.deprecated) ctx.responseHeaders['X-Shopify-API-Deprecated-Reason'] = DEPRECATION_REASON;
    },
    guard(ctx) {
      if (!servedVersion(ctx.params.version)) return notFound();
      if (ctx.header('x-shopify-access-token') !== SHOP_CREDENTIALS.ACCESS_TOKEN) {
        return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
      }
      const { bucketSize, leakPerSecond } = settings.rateLimit;
      const taken = bucket.take(ctx.now, bucketSize, leakPerSecond);
      ctx.responseHeaders['X-Shopify-Shop-Api-Call-Limit'] = `${taken.used}/${bucketSize}`;
      return taken.allowed ? undefined : throttled(2);
    },
    errorReply(_ctx, status, retryAfterSeconds) {
      if (status === 429) return throttled(retryAfterSeconds ?? 2);
      if (status === 404) return notFound();
      if (status === 503) return { status, body: { errors: 'Service Unavailable' } };
      if (status >= 500) return { status, body: { errors: 'Internal Server Error' } };
      return { status, body: { errors: 'Bad Request' } };
    },
    notFound,
    badRequest: () => ({ status: 400, body: { errors: 'Bad Request' } }),
    collections: () => ({
      customers: store.customers.map((c) => store.customerView(c)),
      orders: store.orders.map((o) => store.orderView(o)),
      transactions: [...store.transactions.values()].flat(),
    }),
    webhooks: {
      types: TOPICS,
      build(type, id) {
        const body = type.startsWith('orders/')
          ? (() => { const o = store.ordersById.get(Number(id)); return o && store.orderView(o); })()
          : (() => { const c = store.customersById.get(Number(id)); return c && store.customerView(c); })();
        return body === undefined ? undefined : { topic: type, body };
      },
      // Handlers emit { topic, body }: the resource is the body, the topic travels as a header.
      unwrap(payload) {
        const { topic, body } = payload as { topic: string; body: unknown };
        return { body, headers: { 'x-shopify-topic': topic } };
      },
      sign(url, rawBody, now) {
        return {
          url,
          headers: {
            'user-agent': 'Shopify-Captain-Hook',
            'x-shopify-hmac-sha256': createHmac('sha256', SHOP_CREDENTIALS.WEBHOOK_SECRET).update(rawBody).digest('base64'),
            'x-shopify-shop-domain': SHOP_DOMAIN,
            'x-shopify-api-version': '2025-01',
            'x-shopify-webhook-id': randomUUID(),
            'x-shopify-event-id': randomUUID(),
            'x-shopify-triggered-at': new Date(now).toISOString(),
          },
        };
      },
    },
  };
}

function throttled(retryAfterSeconds: number): Reply {
  return {
    status: 429,
    headers: { 'Retry-After': retryAfterSeconds.toFixed(1) },
    body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' },
  };
}

type Filterable = { id: number; record?: Json; state?: OrderState };

function customerFilter(q: URLSearchParams): (item: Filterable) => boolean {
  const ids = q.get('ids') ? new Set(q.get('ids')!.split(',').map((s) => Number(s.trim()))) : undefined;
  const sinceId = Number(q.get('since_id') ?? 0);
  return (item) => (!ids || ids.has(item.id)) && item.id > sinceId;
}

/** `email:ana@example.com first_name:Ana` fields, or free words matched against name and email. */
function customerSearch(q: URLSearchParams): (item: Filterable) => boolean {
  const terms = (q.get('query') ?? '').trim().split(/\s+/).filter(Boolean);
  return (item) => {
    const c = item.record!;
    return terms.every((term) => {
      const m = /^(\w+):(.+)$/.exec(term);
      const value = (m ? m[2]! : term).replace(/^["']|["']$/g, '').toLowerCase();
      if (m) {
        const field = m[1] === 'country' ? (c.default_address as Json | undefined)?.country : c[m[1]!];
        return String(field ?? '').toLowerCase() === value;
      }
      return [c.first_name, c.last_name, c.email].some((f) => String(f ?? '').toLowerCase().includes(value));
    });
  };
}

function orderFilter(q: URLSearchParams): (item: Filterable) => boolean {
  const status = q.get('status') ?? 'open';
  const ids = q.get('ids') ? new Set(q.get('ids')!.split(',').map((s) => Number(s.trim()))) : undefined;
  const customerId = q.get('customer_id') ? Number(q.get('customer_id')) : undefined;
  const financial = q.get('financial_status') ?? 'any';
  const fulfillment = q.get('fulfillment_status') ?? 'any';
  const sinceId = Number(q.get('since_id') ?? 0);
  const bounds = (['created_at_min', 'created_at_max', 'updated_at_min', 'updated_at_max'] as const).map((k) => [k, q.get(k) ? Date.parse(q.get(k)!) : undefined] as const);
  return (item) => {
    const o = item.state!;
    const r = o.record;
    if (ids && !ids.has(item.id)) return false;
    if (item.id <= sinceId) return false;
    if (customerId !== undefined && o.customerId !== customerId) return false;
    if (status === 'open' && (r.closed_at || r.cancelled_at)) return false;
    if (status === 'closed' && !r.closed_at) return false;
    if (status === 'cancelled' && !r.cancelled_at) return false;
    const fs = r.financial_status as string;
    if (financial === 'unpaid' ? !['pending', 'authorized', 'partially_paid'].includes(fs) : financial !== 'any' && fs !== financial) return false;
    const shipped = r.fulfillment_status === 'fulfilled';
    if ((fulfillment === 'shipped' && !shipped) || ((fulfillment === 'unshipped' || fulfillment === 'unfulfilled') && shipped)) return false;
    for (const [key, limit] of bounds) {
      if (limit === undefined) continue;
      const at = Date.parse(String(key.startsWith('created') ? r.created_at : r.updated_at));
      if (key.endsWith('min') ? at < limit : at > limit) return false;
    }
    return true;
  };
}
