import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { shopifyHmac } from '../src/events/signatures/index.ts';
import { enumFrom, moneyFromDecimal, moneyFromMinor, toUtc, type Money } from '../src/connectors/mapping.ts';
import type { Order, OrderStatus } from '../src/generated/schema.ts';
import { customerInput, customerPatch, type CustomerInput, type CustomerPatch } from './_inputs.ts';

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

/**
 * Order reads ask Shopify for only these top-level fields (`fields=`: under half the bytes of a
 * full order, line items coming whole): the keys of the schema above, which types the record the
 * mapping reads, so one cannot grow without the other.
 */
const ORDER_FIELDS = Object.keys(order.shape).join(',');

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
      return { title: line.title, sku: line.sku || null, quantity: line.quantity, unitPrice: unit, total: lineTotal(unit, line.quantity, currency) };
    }),
    subtotal: moneyFromDecimal(o.subtotal_price, currency),
    tax: moneyFromDecimal(o.total_tax, currency),
    total: moneyFromDecimal(o.total_price, currency),
  };
}

/**
 * Unit price × quantity, in integer cents. Number arithmetic while both factors and the product
 * are safe integers and the total is not negative (the common case); BigInt otherwise, with the
 * very answers (and errors) it always gave.
 */
function lineTotal(unit: Money, quantity: number, currency: string): Money {
  const unitCents = Number(unit.amount.replace('.', ''));
  const cents = unitCents * quantity;
  if (Number.isSafeInteger(unitCents) && Number.isSafeInteger(quantity) && Number.isSafeInteger(cents) && cents >= 0) return moneyFromMinor(cents, currency);
  const big = BigInt(unit.amount.replace('.', '')) * BigInt(quantity);
  return moneyFromDecimal(`${big / 100n}.${String(big % 100n).padStart(2, '0')}`, currency);
}

function customerBody(input: Partial<CustomerInput>): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.email !== undefined) out.email = input.email;
  if (input.firstName !== undefined) out.first_name = input.firstName;
  if (input.lastName !== undefined) out.last_name = input.lastName;
  if (input.phone) out.phone = input.phone;
  return out;
}

const customerRef = z.object({ id: z.number(), email: z.string().nullish() });

const linkPages = (maxPageSize: number) => ({
  style: 'link' as const,
  sizeParam: 'limit',
  maxPageSize,
  items: (raw: { orders?: unknown[] }) => raw.orders ?? [],
});

/** The order or customer a Shopify webhook carries (the same shape as the REST resource). */
interface ShopWebhookResource {
  id: number;
  name?: string;
  email?: string | null;
  financial_status?: string;
  created_at?: string;
  updated_at?: string;
  customer?: { id?: number; email?: string | null } | null;
}
const TOPICS: Record<string, string> = {
  'orders/create': 'order.created',
  'orders/updated': 'order.updated',
  'orders/paid': 'order.paid',
  'customers/create': 'customer.created',
  'customers/update': 'customer.updated',
};

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
  // Shopify errors are a string, or field → messages ({ email: ['has already been taken'] }).
  errorMessage: (body: { errors?: unknown }) => {
    const errors = body?.errors;
    if (typeof errors === 'string') return errors;
    if (errors && typeof errors === 'object') return Object.entries(errors).map(([field, messages]) => `${field} ${[messages].flat().join(', ')}`).join('; ');
    return undefined;
  },
  endpoints: {
    createCustomer: {
      method: 'POST',
      path: `${base}/customers.json`,
      args: ['customer'],
      input: z.object({ customer: customerInput }),
      body: (args) => ({ customer: { ...customerBody(args.customer as CustomerInput), verified_email: true } }),
      id: (raw: { customer: { id: number } }) => String(raw.customer.id),
      map: (raw: { customer: { id: number } }) => ({ id: String(raw.customer.id) }),
      // Shopify has no idempotency keys; emails are unique, so a repeat is "has already been taken": find that customer.
      existing: ({ status, body }, args) =>
        status === 422 && JSON.stringify(body?.errors?.email ?? '').includes('taken')
          ? { lookup: 'customerIdByEmail', args: { email: (args.customer as CustomerInput).email } }
          : undefined,
    },
    updateCustomer: {
      method: 'PUT',
      path: `${base}/customers/{id}.json`,
      args: ['id', 'patch'],
      input: z.object({ id: z.string(), patch: customerPatch }),
      body: (args) => ({ customer: { id: Number(args.id), ...customerBody(args.patch as CustomerPatch) } }),
      id: (raw: { customer: { id: number } }) => String(raw.customer.id),
      map: () => null,
    },
    markOrderPaid: {
      method: 'POST',
      path: `${base}/orders/{id}/transactions.json`,
      args: ['id'],
      // A capture without an amount takes what is outstanding.
      body: () => ({ transaction: { kind: 'capture', currency: 'EUR' } }),
      id: (raw: { transaction: { id: number } }) => String(raw.transaction.id),
      map: () => null,
      // Nothing outstanding any more: the order is paid already (by this write, before its answer was lost).
      existing: ({ status, body }, args) => (status === 422 && JSON.stringify(body?.errors?.amount ?? '').includes('greater than 0') ? String(args.id) : undefined),
      touches: (args) => [`shop:order:${String(args.id)}`],
    },
    orderIdByName: {
      path: `${base}/orders.json`,
      args: ['name'],
      query: (args) => ({ name: String(args.name), status: 'any', fields: 'id,name' }),
      unwrap: (raw: { orders?: unknown[] }) => raw.orders?.[0],
      response: z.object({ id: z.number() }),
      map: (o: { id: number }) => String(o.id),
    },
    order: {
      path: `${base}/orders/{id}.json`,
      args: ['id'],
      query: () => ({ fields: ORDER_FIELDS }),
      unwrap: (raw: { order?: unknown }) => raw.order,
      response: order,
      map: toOrder,
      batch: {
        key: 'id',
        maxSize: 250,
        path: `${base}/orders.json`,
        query: (ids) => ({ ids: ids.join(','), status: 'any', limit: 250, fields: ORDER_FIELDS }),
        items: (raw: { orders?: unknown[] }) => raw.orders ?? [],
        keyOf: (o: ShopOrder) => String(o.id),
      },
      touches: (args) => [`shop:order:${String(args.id)}`],
    },
    orders: {
      path: `${base}/orders.json`,
      args: ['status?'],
      query: (args) => ({ status: 'any', financial_status: args.status ? STATUS_FILTER[args.status as OrderStatus] : undefined, fields: ORDER_FIELDS }),
      response: order,
      map: toOrder,
      pagination: linkPages(250),
    },
    customerOrders: {
      path: `${base}/customers/{customerId}/orders.json`,
      args: ['customerId'],
      query: () => ({ status: 'any', fields: ORDER_FIELDS }),
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
  // Base64 HMAC of the raw body, keyed with the app's client secret. The delivery id header
  // (X-Shopify-Webhook-Id, kept across retries) is the event id.
  webhooks: {
    scheme: shopifyHmac(),
    secrets: ['WEBHOOK_SECRET', 'WEBHOOK_SECRET_PREVIOUS?'],
    types: ['order.created', 'order.updated', 'order.paid', 'customer.created', 'customer.updated'],
    events: (payload: Record<string, unknown>, delivery) => {
      // The topic travels in X-Shopify-Topic with the resource as the body; a `{ topic, body }` envelope is read too.
      const header = delivery.headers['x-shopify-topic'];
      const topic = typeof header === 'string' ? header : String(payload.topic ?? '');
      const resource = (typeof header === 'string' ? payload : payload.body) as ShopWebhookResource | undefined;
      const type = TOPICS[topic];
      if (!type || !resource) return [];
      const id = String(resource.id);
      const base = { id: delivery.eventId ?? delivery.digest, type, occurredAt: resource.updated_at ?? resource.created_at };
      if (topic.startsWith('customers/')) {
        return [{ ...base, subject: { type: 'customer', id }, data: { email: resource.email ?? null }, purges: [`shop:customer:${id}`] }];
      }
      const customerId = resource.customer?.id == null ? null : String(resource.customer.id);
      return [
        {
          ...base,
          subject: { type: 'order', id },
          data: { orderId: id, name: resource.name ?? null, customerId, email: resource.email ?? resource.customer?.email ?? null, status: resource.financial_status ?? null },
          purges: [`shop:order:${id}`, ...(customerId ? [`shop:customer:${customerId}`] : [])],
        },
      ];
    },
  },
});
