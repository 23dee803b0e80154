import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
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
});
