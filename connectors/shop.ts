import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { enumFrom, moneyFromDecimal, toUtc } from '../src/connectors/mapping.ts';
import type { Order, OrderStatus } from '../src/generated/schema.ts';

/**
 * E-commerce — shaped after the Shopify Admin REST API (https://shopify.dev/docs/api/admin-rest),
 * version pinned in the path. Access token in `X-Shopify-Access-Token`; a leaky bucket of 40
 * calls draining at 2 per second, reported in `X-Shopify-Shop-Api-Call-Limit`; `ids=` lists for
 * batch reads; cursor pagination through `page_info` in the `Link` header; prices as decimal
 * strings.
 */

const VERSION = '2025-01';
const base = `/admin/api/${VERSION}`;

const money = z.union([z.string(), z.number()]);
const order = z.object({
  id: z.number(),
  name: z.string(),
  email: z.string().nullish(),
  created_at: z.string(),
  financial_status: z.string(),
  currency: z.string(),
  total_price: money,
  subtotal_price: money,
  total_tax: money,
  line_items: z.array(z.object({ title: z.string(), sku: z.string().nullish(), quantity: z.number(), price: money })),
});
type ShopOrder = z.infer<typeof order>;

const STATUS: Record<string, OrderStatus> = {
  pending: 'PENDING',
  authorized: 'PENDING',
  paid: 'PAID',
  partially_paid: 'PARTIALLY_PAID',
  refunded: 'REFUNDED',
  partially_refunded: 'REFUNDED',
  voided: 'VOIDED',
};
const STATUS_FILTER: Record<OrderStatus, string> = {
  PENDING: 'pending',
  PAID: 'paid',
  PARTIALLY_PAID: 'partially_paid',
  REFUNDED: 'refunded',
  VOIDED: 'voided',
};

export type ShopOrderRecord = Omit<Order, 'customer' | 'invoice'>;

function toOrder(o: ShopOrder): ShopOrderRecord {
  const currency = o.currency;
  return {
    id: String(o.id),
    name: o.name,
    email: o.email ?? null,
    status: enumFrom(STATUS, o.financial_status, 'financial_status'),
    createdAt: toUtc(o.created_at),
    lines: o.line_items.map((line) => {
      const unit = moneyFromDecimal(line.price, currency);
      const cents = BigInt(unit.amount.replace('.', '')) * BigInt(line.quantity);
      return {
        title: line.title,
        sku: line.sku || null,
        quantity: line.quantity,
        unitPrice: unit,
        total: moneyFromDecimal(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`, currency),
      };
    }),
    subtotal: moneyFromDecimal(o.subtotal_price, currency),
    tax: moneyFromDecimal(o.total_tax, currency),
    total: moneyFromDecimal(o.total_price, currency),
  };
}

const customerRef = z.object({ id: z.number(), email: z.string().nullish() });

const linkPages = (maxPageSize: number) => ({
  style: 'link' as const,
  sizeParam: 'limit',
  maxPageSize,
  items: (raw: { orders?: unknown[] }) => raw.orders ?? [],
});

export default defineConnector({
  name: 'shop',
  title: 'Shop (Shopify Admin REST)',
  apiVersion: VERSION,
  auth: { type: 'apiKey', in: 'header', name: 'X-Shopify-Access-Token', value: secret('ACCESS_TOKEN') },
  // The bucket holds 40 and drains 2/s; spacing calls at the drain rate never overflows it.
  quota: { requests: 2, per: 'second', concurrency: 4 },
  rateLimit: (headers) => {
    const [used, size] = String(headers['x-shopify-shop-api-call-limit'] ?? '').split('/').map(Number);
    return used !== undefined && size !== undefined && size - used <= 1 ? { pauseMs: 1_000 } : undefined;
  },
  cacheTtlSeconds: 30,
  endpoints: {
    order: {
      path: `${base}/orders/{id}.json`,
      args: ['id'],
      unwrap: (raw: { order?: unknown }) => raw.order,
      response: order,
      map: toOrder,
      batch: {
        key: 'id',
        maxSize: 250,
        path: `${base}/orders.json`,
        query: (ids) => ({ ids: ids.join(','), status: 'any', limit: 250 }),
        items: (raw: { orders?: unknown[] }) => raw.orders ?? [],
        keyOf: (o: ShopOrder) => String(o.id),
      },
      touches: (args) => [`shop:order:${String(args.id)}`],
    },
    orders: {
      path: `${base}/orders.json`,
      args: ['status?'],
      query: (args) => ({ status: 'any', financial_status: args.status ? STATUS_FILTER[args.status as OrderStatus] : undefined }),
      response: order,
      map: toOrder,
      pagination: linkPages(250),
    },
    customerOrders: {
      path: `${base}/customers/{customerId}/orders.json`,
      args: ['customerId'],
      query: () => ({ status: 'any' }),
      response: order,
      map: toOrder,
      pagination: linkPages(250),
      touches: (args) => [`shop:customer:${String(args.customerId)}`],
    },
    customerIdByEmail: {
      path: `${base}/customers/search.json`,
      args: ['email'],
      query: (args) => ({ query: `email:${String(args.email)}`, fields: 'id,email' }),
      unwrap: (raw: { customers?: unknown[] }) => raw.customers?.[0],
      response: customerRef,
      map: (c: z.infer<typeof customerRef>) => String(c.id),
      // Found ids are remembered as record links; a short TTL only spares repeated misses.
      cacheTtlSeconds: 60,
    },
  },
});
