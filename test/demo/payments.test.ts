import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, unique } from './support.ts';

const seed = seedData(42);
const paidOnline = seed.orders.filter((o) => o.stripe);

describe('the Stripe payments simulator', () => {
  let sim: RunningSimulator;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator('payments', { limits: 'relaxed' });
    auth = { authorization: `Bearer ${sim.credentials.SECRET_KEY}` };
  });
  afterAll(() => sim.close());

  it('accepts the secret key as Bearer or as the Basic username and refuses another key with 401', async () => {
    const id = `pi_${paidOnline[0]!.stripe!.suffix}`;
    const basic = Buffer.from(`${sim.credentials.SECRET_KEY}:`).toString('base64');
    expect((await call(sim.url, `/v1/payment_intents/${id}`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    const bad = await call(sim.url, `/v1/payment_intents/${id}`, { headers: { authorization: 'Bearer sk_test_wrongwrongwrong' } });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('Invalid API Key provided') });
  });

  it('holds a succeeded payment intent for each order paid online, matching the invoice total', async () => {
    const order = paidOnline[0]!;
    const res = await call(sim.url, `/v1/payment_intents/pi_${order.stripe!.suffix}?expand[]=latest_charge`, { headers: auth });
    expect(res.body).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: order.totalCents, currency: 'eur', metadata: { order: order.name, invoice_id: order.invoiceId } });
    expect(res.body.latest_charge).toMatchObject({ object: 'charge', paid: true, amount: order.totalCents });
  });

  it('creates a payment intent from form parameters and refuses unknown ones', async () => {
    const res = await call(sim.url, '/v1/payment_intents', { headers: auth, form: { amount: '4200', currency: 'EUR', 'metadata[order]': '#1201', 'metadata[source]': 'test' } });
    expect(res.body).toMatchObject({ object: 'payment_intent', amount: 4200, currency: 'eur', status: 'requires_payment_method', metadata: { order: '#1201', source: 'test' } });
    const unknown = await call(sim.url, '/v1/payment_intents', { headers: auth, form: { amount: '4200', currency: 'eur', colour: 'blue' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    const missing = await call(sim.url, '/v1/payment_intents', { headers: auth, form: { currency: 'eur' } });
    expect(missing.body.error).toMatchObject({ code: 'parameter_missing', param: 'amount' });
  });

  it('replays a keyed create with Idempotent-Replayed and refuses the key with other parameters', async () => {
    const key = unique('idem-');
    const form = { amount: '1500', currency: 'eur', 'metadata[order]': '#1202' };
    const first = await call(sim.url, '/v1/payment_intents', { headers: { ...auth, 'idempotency-key': key }, form });
    const again = await call(sim.url, '/v1/payment_intents', { headers: { ...auth, 'idempotency-key': key }, form });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await admin.records(sim, 'payment_intents')).filter((p) => p.id === first.body.id)).toHaveLength(1);
    const other = await call(sim.url, '/v1/payment_intents', { headers: { ...auth, 'idempotency-key': key }, form: { ...form, amount: '1600' } });
    expect(other.status).toBe(400);
    expect(other.body.error.type).toBe('idempotency_error');
  });

  it('confirms a payment intent to succeeded, and declines the test card that declines', async () => {
    const created = await call(sim.url, '/v1/payment_intents', { headers: auth, form: { amount: '900', currency: 'eur' } });
    const confirmed = await call(sim.url, `/v1/payment_intents/${created.body.id}/confirm`, { headers: auth, form: { payment_method: 'pm_card_visa' } });
    expect(confirmed.body).toMatchObject({ status: 'succeeded', amount_received: 900, latest_charge: expect.stringMatching(/^ch_/) });
    const again = await call(sim.url, `/v1/payment_intents/${created.body.id}/confirm`, { headers: auth, form: {} });
    expect(again.body.error.code).toBe('payment_intent_unexpected_state');
    const declined = await call(sim.url, '/v1/payment_intents', { headers: auth, form: { amount: '900', currency: 'eur', payment_method: 'pm_card_chargeDeclined', confirm: 'true' } });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined' });
  });

  it('lists events newest first and pages to the end with starting_after', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await call(sim.url, `/v1/events?limit=5${after ? `&starting_after=${after}` : ''}`, { headers: auth });
      expect(res.body).toMatchObject({ object: 'list', url: '/v1/events' });
      ids.push(...res.body.data.map((e: { id: string }) => e.id));
      if (!res.body.has_more) break;
      after = ids[ids.length - 1];
    }
    const all = await admin.records(sim, 'events');
    expect(ids).toEqual(all.map((e) => e.id));
    expect(all.filter((e) => e.type === 'payment_intent.succeeded').length).toBeGreaterThanOrEqual(paidOnline.length);
  });

  it('answers 429 rate_limit past the configured rate', async () => {
    const fresh = await startSimulator('payments');
    try {
      await admin.config(fresh, { rateLimit: { max: 2 } });
      const headers = { authorization: `Bearer ${fresh.credentials.SECRET_KEY}` };
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await call(fresh.url, '/v1/events?limit=1', { headers }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(answers[2]!.body.error).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
    } finally {
      await fresh.close();
    }
  });
});
