import type { SeedData } from './seed.ts';
import { ALNUM, randomString } from './sim/ids.ts';

/** Stripe objects (PaymentIntent, Charge, Refund, Event) in the API's shape; times in unix seconds. */

export type Json = Record<string, unknown>;

export const API_VERSION = '2025-01-27.acacia';
export const seconds = (ms: number) => Math.floor(ms / 1000);
export const stripeId = (prefix: string) => `${prefix}_3${randomString(ALNUM, 23)}`;

/** Newest first, with O(1) lookup: the order Stripe lists objects in. */
export class StripeList {
  readonly items: Json[] = [];
  readonly byId = new Map<string, Json>();

  add(item: Json): void {
    this.items.unshift(item);
    this.byId.set(item.id as string, item);
  }
}

export class StripeStore {
  readonly paymentIntents = new StripeList();
  readonly charges = new StripeList();
  readonly refunds = new StripeList();
  readonly events = new StripeList();

  constructor(data: SeedData) {
    // Oldest first, so that the lists end up newest first.
    for (const o of data.orders) {
      if (!o.stripe || o.paidAt === undefined) continue;
      const guest = data.guests[o.guestIndex]!;
      const created = seconds(o.paidAt) - 90;
      const metadata = { order: o.name, invoice_number: o.invoiceNumber, invoice_id: o.invoiceId, email: guest.email };
      const intent = this.intent({ id: `pi_${o.stripe.suffix}`, amount: o.totalCents, currency: 'eur', customer: null, description: `Order ${o.name}`, metadata, receipt_email: guest.email, created });
      intent.client_secret = o.stripe.clientSecret;
      intent.payment_method = `pm_${o.stripe.suffix}`;
      const charge = this.charge(intent, `ch_${o.stripe.suffix}`, seconds(o.paidAt), true);
      Object.assign(intent, { status: 'succeeded', amount_received: o.totalCents, latest_charge: charge.id });
      this.paymentIntents.add(intent);
      this.charges.add(charge);
      this.events.add(this.event(`evt_${o.stripe.suffix}`, 'payment_intent.succeeded', intent, seconds(o.paidAt), { id: null, idempotency_key: null }));
    }
  }

  intent(fields: { id: string; amount: number; currency: string; customer: string | null; description: string | null; metadata: Json; receipt_email: string | null; created: number }): Json {
    return {
      id: fields.id,
      object: 'payment_intent',
      amount: fields.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${fields.id}_secret_${randomString(ALNUM, 25)}`,
      confirmation_method: 'automatic',
      created: fields.created,
      currency: fields.currency,
      customer: fields.customer,
      description: fields.description,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: fields.metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_options: { card: { request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: fields.receipt_email,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      status: 'requires_payment_method',
      transfer_data: null,
    };
  }

  charge(intent: Json, id: string, created: number, paid: boolean): Json {
    return {
      id,
      object: 'charge',
      amount: intent.amount,
      amount_captured: paid ? intent.amount : 0,
      amount_refunded: 0,
      balance_transaction: paid ? `txn_${(id.split('_')[1] ?? '').slice(0, 24)}` : null,
      billing_details: { email: intent.receipt_email ?? null, name: null },
      captured: paid,
      created,
      currency: intent.currency,
      customer: intent.customer,
      description: intent.description,
      failure_code: paid ? null : 'card_declined',
      failure_message: paid ? null : 'Your card was declined.',
      livemode: false,
      metadata: intent.metadata,
      outcome: { network_status: paid ? 'approved_by_network' : 'declined_by_network', type: paid ? 'authorized' : 'issuer_declined', seller_message: paid ? 'Payment complete.' : 'The bank did not return any further details with this decline.' },
      paid,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      payment_method_details: { card: { brand: 'visa', country: 'ES', exp_month: 12, exp_year: 2030, last4: paid ? '4242' : '0002' }, type: 'card' },
      receipt_email: intent.receipt_email ?? null,
      refunded: false,
      status: paid ? 'succeeded' : 'failed',
    };
  }

  event(id: string, type: string, object: Json, created: number, request: { id: string | null; idempotency_key: string | null }): Json {
    return {
      id,
      object: 'event',
      api_version: API_VERSION,
      created,
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request,
      type,
    };
  }
}
