import type { Guest, SeedData, SeedOrder } from './seed.ts';
import { euOffsetMinutes, isoWithOffset } from './sim/ids.ts';

/** Shopify records, stored in the REST shape, with derived customer totals computed on read. */

export type Json = Record<string, unknown>;

export const SHOP_DOMAIN = 'interchange-demo.myshopify.com';
const VAT = 0.21;

/** `2026-01-05T10:00:00+01:00`: the shop's Europe/Madrid wall time, as Shopify writes it. */
export function shopTime(ms: number): string {
  return isoWithOffset(ms, euOffsetMinutes(ms, 60));
}

export function money(cents: number): string {
  return (cents / 100).toFixed(2);
}

export function cents(amount: unknown): number {
  return Math.round(Number(amount) * 100);
}

export interface OrderState {
  record: Json;
  customerId: number;
  totalCents: number;
  paidCents: number;
  refundedCents: number;
  closed: boolean;
}

export class ShopStore {
  readonly customers: Json[] = [];
  readonly customersById = new Map<number, Json>();
  readonly customersByEmail = new Map<string, Json>();
  readonly customersByPhone = new Map<string, Json>();
  readonly orders: OrderState[] = [];
  readonly ordersById = new Map<number, OrderState>();
  readonly ordersByCustomer = new Map<number, OrderState[]>();
  readonly transactions = new Map<number, Json[]>();
  nextCustomerId: number;
  nextTransactionId = 6012345679001;
  private nextAddressId = 9012345670001;

  constructor(data: SeedData) {
    for (const g of data.guests) this.addCustomer(this.seedCustomer(g));
    this.nextCustomerId = 7012345678001 + data.guests.length;
    for (const o of data.orders) this.addOrder(this.seedOrder(o, data.guests[o.guestIndex]!));
  }

  address(customerId: number, input: Json, fallback: { first_name: unknown; last_name: unknown; phone: unknown }): Json {
    const first = input.first_name ?? fallback.first_name ?? null;
    const last = input.last_name ?? fallback.last_name ?? null;
    return {
      id: this.nextAddressId++,
      customer_id: customerId,
      first_name: first,
      last_name: last,
      company: input.company ?? null,
      address1: input.address1 ?? null,
      address2: input.address2 ?? null,
      city: input.city ?? null,
      province: input.province ?? null,
      country: input.country ?? null,
      zip: input.zip ?? null,
      phone: input.phone ?? fallback.phone ?? null,
      name: [first, last].filter(Boolean).join(' '),
      province_code: input.province_code ?? null,
      country_code: input.country_code ?? null,
      country_name: input.country ?? null,
      default: true,
    };
  }

  addCustomer(c: Json): void {
    const id = c.id as number;
    this.customers.push(c);
    this.customersById.set(id, c);
    if (typeof c.email === 'string') this.customersByEmail.set(c.email.toLowerCase(), c);
    if (typeof c.phone === 'string') this.customersByPhone.set(c.phone, c);
  }

  reindexCustomer(c: Json, oldEmail: unknown, oldPhone: unknown): void {
    if (typeof oldEmail === 'string') this.customersByEmail.delete(oldEmail.toLowerCase());
    if (typeof oldPhone === 'string') this.customersByPhone.delete(oldPhone);
    if (typeof c.email === 'string') this.customersByEmail.set(c.email.toLowerCase(), c);
    if (typeof c.phone === 'string') this.customersByPhone.set(c.phone, c);
  }

  /** The customer as the API shows it: orders_count and total_spent derived from the orders. */
  customerView(c: Json): Json {
    const orders = this.ordersByCustomer.get(c.id as number) ?? [];
    const last = orders[orders.length - 1];
    const spent = orders.reduce((sum, o) => sum + o.paidCents - o.refundedCents, 0);
    return {
      ...c,
      orders_count: orders.length,
      total_spent: money(spent),
      last_order_id: last ? last.record.id : null,
      last_order_name: last ? last.record.name : null,
    };
  }

  orderView(o: OrderState): Json {
    const c = this.customersById.get(o.customerId);
    const customer = c
      ? {
          id: c.id, email: c.email, created_at: c.created_at, updated_at: c.updated_at, first_name: c.first_name,
          last_name: c.last_name, state: c.state, note: c.note, verified_email: c.verified_email, tax_exempt: c.tax_exempt,
          phone: c.phone, currency: c.currency, tags: c.tags, admin_graphql_api_id: c.admin_graphql_api_id,
          default_address: c.default_address,
        }
      : null;
    return { ...o.record, customer };
  }

  addOrder(o: OrderState): void {
    this.orders.push(o);
    this.ordersById.set(o.record.id as number, o);
    const list = this.ordersByCustomer.get(o.customerId) ?? [];
    list.push(o);
    this.ordersByCustomer.set(o.customerId, list);
  }

  /** Applies a committed payment or refund to the order's money fields and status. */
  settle(o: OrderState, now: number): void {
    const outstanding = o.totalCents - o.paidCents;
    let status: string;
    if (o.refundedCents > 0) status = o.refundedCents >= o.paidCents ? 'refunded' : 'partially_refunded';
    else if (o.paidCents === 0) status = 'pending';
    else status = outstanding <= 0 ? 'paid' : 'partially_paid';
    Object.assign(o.record, {
      financial_status: status,
      total_outstanding: money(Math.max(0, outstanding)),
      updated_at: shopTime(now),
    });
  }

  private seedCustomer(g: Guest): Json {
    const created = shopTime(g.createdAt + 3_600_000);
    const address = this.address(g.shopId, {
      address1: g.address.line1, city: g.address.city, province: g.address.province, country: g.address.country,
      zip: g.address.postalCode, country_code: g.address.countryCode,
    }, { first_name: g.firstName, last_name: g.lastName, phone: g.phone });
    return {
      id: g.shopId,
      email: g.email,
      created_at: created,
      updated_at: created,
      first_name: g.firstName,
      last_name: g.lastName,
      state: 'enabled',
      note: null,
      verified_email: true,
      multipass_identifier: null,
      tax_exempt: false,
      tags: '',
      currency: 'EUR',
      phone: g.phone,
      addresses: [address],
      tax_exemptions: [],
      admin_graphql_api_id: `gid://shopify/Customer/${g.shopId}`,
      default_address: address,
    };
  }

  private seedOrder(o: SeedOrder, g: Guest): OrderState {
    const paid = o.paidAt !== undefined;
    const fulfilled = paid && o.index % 3 !== 0;
    // Why some orders are closed: Shopify lists only open orders unless status=any is passed.
    const closedAt = fulfilled ? o.paidAt! + 3 * 86_400_000 : undefined;
    const updatedAt = closedAt ?? o.paidAt ?? o.createdAt;
    const lineItems = o.lines.map((l) => ({
      id: l.shopId,
      admin_graphql_api_id: `gid://shopify/LineItem/${l.shopId}`,
      title: l.title,
      name: l.title,
      quantity: l.quantity,
      price: money(l.unitCents),
      sku: l.sku,
      vendor: 'Hotel Aurora',
      taxable: true,
      requires_shipping: !l.sku.includes('-SPA-') && !l.sku.includes('-BRK-') && !l.sku.includes('-DIN-'),
      fulfillment_status: fulfilled ? 'fulfilled' : null,
      total_discount: '0.00',
      tax_lines: [{ title: 'IVA', rate: VAT, price: money(l.taxCents) }],
    }));
    const record: Json = {
      id: o.shopId,
      admin_graphql_api_id: `gid://shopify/Order/${o.shopId}`,
      name: o.name,
      order_number: 1001 + o.index,
      email: g.email,
      contact_email: g.email,
      created_at: shopTime(o.createdAt),
      updated_at: shopTime(updatedAt),
      processed_at: shopTime(o.createdAt),
      closed_at: closedAt === undefined ? null : shopTime(closedAt),
      cancelled_at: null,
      cancel_reason: null,
      financial_status: paid ? 'paid' : 'pending',
      fulfillment_status: fulfilled ? 'fulfilled' : null,
      confirmed: true,
      test: false,
      currency: 'EUR',
      presentment_currency: 'EUR',
      taxes_included: false,
      total_price: money(o.totalCents),
      subtotal_price: money(o.subtotalCents),
      total_line_items_price: money(o.subtotalCents),
      total_tax: money(o.taxCents),
      total_discounts: '0.00',
      total_outstanding: paid ? '0.00' : money(o.totalCents),
      payment_gateway_names: [o.stripe ? 'stripe' : 'manual'],
      source_name: 'web',
      tags: '',
      note: null,
      line_items: lineItems,
      tax_lines: [{ title: 'IVA', rate: VAT, price: money(o.taxCents) }],
    };
    if (paid) {
      this.transactions.set(o.shopId, [{
        id: o.transactionId, admin_graphql_api_id: `gid://shopify/OrderTransaction/${o.transactionId}`, order_id: o.shopId,
        kind: 'sale', gateway: o.stripe ? 'stripe' : 'manual', status: 'success', message: null,
        created_at: shopTime(o.paidAt!), processed_at: shopTime(o.paidAt!), test: false, authorization: null, parent_id: null,
        source_name: 'web', amount: money(o.totalCents), currency: 'EUR', error_code: null, receipt: {},
      }]);
    }
    return { record, customerId: g.shopId, totalCents: o.totalCents, paidCents: paid ? o.totalCents : 0, refundedCents: 0, closed: fulfilled };
  }
}
