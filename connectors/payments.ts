import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { stripeSignature } from '../src/events/signatures/index.ts';
import { moneyFromMinor, toUtc } from '../src/connectors/mapping.ts';

/**
 * Payments — shaped after Stripe (https://docs.stripe.com/api). The gateway mostly hears from
 * Stripe through signed webhooks (`Stripe-Signature: t=…,v1=…`); reads use the secret key as a
 * bearer token; writes carry an `Idempotency-Key` header.
 */

const paymentIntent = z.object({
  id: z.string(),
  amount: z.number(),
  currency: z.string(),
  status: z.string(),
  created: z.number(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/** A Stripe event (https://docs.stripe.com/api/events/object). */
interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data?: { object?: { id?: string; object?: string; payment_intent?: string; amount?: number; currency?: string; metadata?: Record<string, string> | null } };
}
const STRIPE_EVENTS: Record<string, string> = {
  'payment_intent.created': 'payment.created',
  'payment_intent.succeeded': 'payment.completed',
  'payment_intent.canceled': 'payment.canceled',
  'charge.refunded': 'payment.refunded',
};

export default defineConnector({
  name: 'payments',
  title: 'Payments (Stripe)',
  apiVersion: '2025-01-27.acacia',
  auth: { type: 'bearer', token: secret('SECRET_KEY') },
  headers: { 'Stripe-Version': '2025-01-27.acacia' },
  quota: { requests: 100, per: 'second', concurrency: 10 },
  endpoints: {
    paymentIntent: {
      path: '/v1/payment_intents/{id}',
      args: ['id'],
      touches: (args) => [`payments:payment:${String(args.id)}`],
      response: paymentIntent,
      map: (p: z.infer<typeof paymentIntent>) => ({
        id: p.id,
        amount: moneyFromMinor(p.amount, p.currency),
        status: p.status,
        createdAt: toUtc(new Date(p.created * 1000).toISOString()),
        orderName: p.metadata?.order ?? null,
      }),
    },
  },
  // Stripe-Signature: t=…,v1=… over `${t}.${raw body}`, 300 s tolerance both ways.
  webhooks: {
    scheme: stripeSignature(),
    secrets: ['WEBHOOK_SECRET', 'WEBHOOK_SECRET_PREVIOUS?'],
    types: ['payment.created', 'payment.completed', 'payment.canceled', 'payment.refunded'],
    events: (e: StripeEvent) => {
      const type = STRIPE_EVENTS[e.type];
      const object = e.data?.object;
      // A charge names its payment intent: refunds are reported against the payment.
      const intentId = object?.object === 'charge' ? object.payment_intent : object?.id;
      if (!type || typeof intentId !== 'string') return [];
      return [
        {
          id: e.id,
          type,
          occurredAt: e.created * 1000,
          subject: { type: 'payment', id: intentId },
          data: { amount: object?.amount ?? null, currency: object?.currency ?? null, orderName: object?.metadata?.order ?? null },
          purges: [`payments:payment:${intentId}`],
        },
      ];
    },
  },
});
