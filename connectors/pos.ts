import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { squareSignature } from '../src/events/signatures/index.ts';
import { enumFrom, moneyFromMinor, toUtc } from '../src/connectors/mapping.ts';
import type { PosCheck, PosCheckStatus } from '../src/generated/schema.ts';

/**
 * POS — shaped after the Square API v2 (https://developer.squareup.com/reference/square).
 * Bearer token plus a pinned `Square-Version` header; money in minor units
 * (`{ amount: 1250, currency: 'EUR' }`); searches are POSTs with a cursor in the body; orders
 * (here: bar and restaurant checks) are searched per location, so the connector needs the
 * merchant's location ids.
 */

const money = z.object({ amount: z.number(), currency: z.string() });
const order = z.object({
  id: z.string(),
  location_id: z.string(),
  customer_id: z.string().nullish(),
  state: z.string(),
  line_items: z
    .array(z.object({ name: z.string().nullish(), quantity: z.string(), base_price_money: money, total_money: money.nullish() }))
    .nullish(),
  total_money: money,
  total_tax_money: money.nullish(),
  created_at: z.string(),
  closed_at: z.string().nullish(),
});
type SquareOrder = z.infer<typeof order>;

const STATE: Record<string, PosCheckStatus> = { OPEN: 'OPEN', COMPLETED: 'COMPLETED', CANCELED: 'CANCELED', DRAFT: 'OPEN' };

const fromMoney = (m: z.infer<typeof money>) => moneyFromMinor(m.amount, m.currency);

function toCheck(o: SquareOrder): PosCheck {
  return {
    id: o.id,
    locationId: o.location_id,
    status: enumFrom(STATE, o.state, 'order state'),
    lines: (o.line_items ?? []).map((line) => ({
      name: line.name ?? '',
      quantity: line.quantity,
      unitPrice: fromMoney(line.base_price_money),
      total: fromMoney(line.total_money ?? line.base_price_money),
    })),
    total: fromMoney(o.total_money),
    tax: fromMoney(o.total_tax_money ?? { amount: 0, currency: o.total_money.currency }),
    createdAt: toUtc(o.created_at),
    closedAt: o.closed_at ? toUtc(o.closed_at) : null,
  };
}

const customer = z.object({ id: z.string(), email_address: z.string().nullish() });

const locations = (settings: Readonly<Record<string, string>>) => (settings.LOCATION_IDS ?? '').split(',').filter(Boolean);

/** A Square webhook event (https://developer.squareup.com/docs/webhooks/overview). */
interface SquareEvent {
  merchant_id: string;
  type: string;
  event_id: string;
  created_at: string;
  data?: { type: string; id: string };
}
const SQUARE_EVENTS: Record<string, string> = {
  'order.created': 'check.created',
  'order.updated': 'check.updated',
  'customer.created': 'customer.created',
  'customer.updated': 'customer.updated',
};

export default defineConnector({
  name: 'pos',
  title: 'POS (Square v2)',
  apiVersion: '2025-01-23',
  auth: { type: 'bearer', token: secret('ACCESS_TOKEN') },
  variables: ['LOCATION_IDS'],
  headers: { 'Square-Version': '2025-01-23' },
  quota: { requests: 20, per: 'second', concurrency: 8 },
  cacheTtlSeconds: 30,
  endpoints: {
    checksByCustomer: {
      method: 'POST',
      path: '/v2/orders/search',
      args: ['customerId'],
      idempotent: true,
      body: (args, settings) => ({
        location_ids: locations(settings),
        query: { filter: { customer_filter: { customer_ids: [args.customerId] } }, sort: { sort_field: 'CREATED_AT', sort_order: 'DESC' } },
        limit: 500,
      }),
      response: order,
      map: toCheck,
      // One search answers many customers: their checks are sorted back to each of them.
      batch: {
        key: 'customerId',
        maxSize: 10,
        many: true,
        body: (ids, _args, settings) => ({
          location_ids: locations(settings),
          query: { filter: { customer_filter: { customer_ids: ids } }, sort: { sort_field: 'CREATED_AT', sort_order: 'DESC' } },
          limit: 500,
        }),
        items: (raw: { orders?: unknown[] }) => raw.orders ?? [],
        keyOf: (o: SquareOrder) => o.customer_id,
      },
    },
    customerIdByEmail: {
      method: 'POST',
      path: '/v2/customers/search',
      args: ['email'],
      idempotent: true,
      body: (args) => ({ query: { filter: { email_address: { exact: args.email } } }, limit: 1 }),
      unwrap: (raw: { customers?: unknown[] }) => raw.customers?.[0],
      response: customer,
      map: (c: z.infer<typeof customer>) => c.id,
      cacheTtlSeconds: 60,
    },
  },
  // Square signs the subscription's notification URL + the raw body. The gateway signs the URL
  // it was called at (scheme from X-Forwarded-Proto, Host): behind a proxy that keeps Host, that
  // is the notification URL registered with Square.
  webhooks: {
    scheme: ({ url }) => squareSignature({ notificationUrl: url }),
    secrets: ['SIGNATURE_KEY', 'SIGNATURE_KEY_PREVIOUS?'],
    types: ['check.created', 'check.updated', 'customer.created', 'customer.updated'],
    events: (e: SquareEvent) => {
      const type = SQUARE_EVENTS[e.type];
      if (!type || !e.data?.id) return [];
      const entity = type.startsWith('check.') ? 'check' : 'customer';
      return [{ id: e.event_id, type, occurredAt: e.created_at, subject: { type: entity, id: e.data.id }, data: { merchantId: e.merchant_id } }];
    },
  },
});
