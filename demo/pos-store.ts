import type { Guest, SeedCheck, SeedData } from './seed.ts';

/** Square records in the v2 shape: snake_case, money in minor units, null fields left out. */

export type Json = Record<string, unknown>;

export const money = (amount: number): { amount: number; currency: 'EUR' } => ({ amount, currency: 'EUR' });
export const iso = (ms: number) => new Date(ms).toISOString();

export class SquareStore {
  readonly locations: Json[];
  readonly customers: Json[] = [];
  readonly customersById = new Map<string, Json>();
  readonly orders: Json[] = [];
  readonly ordersById = new Map<string, Json>();
  readonly merchantId: string;

  constructor(data: SeedData) {
    this.merchantId = data.merchantId;
    this.locations = data.locations.map((l) => ({
      id: l.id, name: l.name, address: { locality: l.city, country: l.countryCode }, timezone: l.timeZone,
      capabilities: ['CREDIT_CARD_PROCESSING'], status: 'ACTIVE', created_at: iso(l.createdAt), merchant_id: data.merchantId,
      country: l.countryCode, language_code: l.countryCode === 'ES' ? 'es-ES' : 'pt-PT', currency: 'EUR', business_name: 'Hotel Aurora', type: 'PHYSICAL',
    }));
    for (const g of data.guests) this.addCustomer(seedCustomer(g));
    for (const c of data.checks) this.addOrder(this.seedOrder(c, data));
  }

  addCustomer(c: Json): void {
    this.customers.push(c);
    this.customersById.set(c.id as string, c);
  }

  addOrder(o: Json): void {
    this.orders.push(o);
    this.ordersById.set(o.id as string, o);
  }

  private seedOrder(c: SeedCheck, data: SeedData): Json {
    const location = data.locations[c.locationIndex]!;
    const taxUid = 'iva-10';
    const subtotal = c.totalCents - c.taxCents;
    const order: Json = {
      id: c.id,
      location_id: location.id,
      source: { name: 'Aurora POS' },
      customer_id: data.guests[c.guestIndex]!.squareId,
      line_items: c.lines.map((l) => ({
        uid: l.uid, name: l.name, quantity: String(l.quantity), item_type: 'ITEM', variation_name: 'Regular',
        base_price_money: money(l.unitCents), variation_total_price_money: money(l.unitCents * l.quantity),
        gross_sales_money: money(l.unitCents * l.quantity), total_tax_money: money(l.taxCents), total_discount_money: money(0),
        total_money: money(l.unitCents * l.quantity + l.taxCents),
        applied_taxes: [{ uid: `${l.uid.slice(0, 8)}-tax`, tax_uid: taxUid, applied_money: money(l.taxCents) }],
      })),
      taxes: [{ uid: taxUid, name: 'IVA', percentage: '10', type: 'ADDITIVE', scope: 'ORDER', applied_money: money(c.taxCents) }],
      net_amounts: { total_money: money(c.totalCents), tax_money: money(c.taxCents), discount_money: money(0), tip_money: money(0), service_charge_money: money(0) },
      created_at: iso(c.createdAt),
      updated_at: iso(c.closedAt ?? c.createdAt),
      state: c.state,
      version: c.state === 'OPEN' ? 2 : 4,
      total_money: money(c.totalCents),
      total_tax_money: money(c.taxCents),
      total_discount_money: money(0),
      total_tip_money: money(0),
      total_service_charge_money: money(0),
      net_amount_due_money: money(c.state === 'OPEN' ? c.totalCents : 0),
    };
    if (c.closedAt !== undefined) order.closed_at = iso(c.closedAt);
    if (c.tenderId !== undefined) {
      order.tenders = [{
        id: c.tenderId, location_id: location.id, transaction_id: c.id, created_at: iso(c.closedAt ?? c.createdAt),
        amount_money: money(c.totalCents), type: 'CARD',
        card_details: { status: 'CAPTURED', entry_method: 'EMV', card: { card_brand: 'VISA', last_4: String(1000 + (subtotal % 9000)).slice(-4) } },
      }];
    }
    return order;
  }
}

function seedCustomer(g: Guest): Json {
  const created = iso(g.createdAt + 7 * 86_400_000);
  return {
    id: g.squareId,
    created_at: created,
    updated_at: created,
    given_name: g.firstName,
    family_name: g.lastName,
    email_address: g.email,
    address: { address_line_1: g.address.line1, locality: g.address.city, postal_code: g.address.postalCode, country: g.address.countryCode },
    phone_number: g.phone,
    preferences: { email_unsubscribed: false },
    creation_source: 'THIRD_PARTY',
    version: 0,
  };
}
