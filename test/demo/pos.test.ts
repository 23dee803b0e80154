import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, unique } from './support.ts';

const seed = seedData(42);

describe('the Square POS simulator', () => {
  let sim: RunningSimulator;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator('pos', { limits: 'relaxed' });
    auth = { authorization: `Bearer ${sim.credentials.ACCESS_TOKEN}` };
  });
  afterAll(() => sim.close());

  it('uses the default Square-Version when none is sent and refuses a malformed one', async () => {
    const g = seed.guests[0]!;
    const res = await call(sim.url, `/v2/customers/${g.squareId}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('square-version')).toBe('2025-01-23');
    const bad = await call(sim.url, `/v2/customers/${g.squareId}`, { headers: { ...auth, 'square-version': 'latest' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ category: 'INVALID_REQUEST_ERROR', code: 'INVALID_SQUARE_VERSION_FORMAT' });
  });

  it('answers 404 NOT_FOUND in the errors array for an unknown customer', async () => {
    const res = await call(sim.url, '/v2/customers/NOPE', { headers: auth });
    expect(res.status).toBe(404);
    expect(res.body.errors[0]).toMatchObject({ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND' });
  });

  it('bulk-retrieves customers, answering errors per missing id', async () => {
    const [a, b] = [seed.guests[0]!, seed.guests[1]!];
    const res = await call(sim.url, '/v2/customers/bulk-retrieve', { headers: auth, json: { customer_ids: [a.squareId, b.squareId, 'MISSING'] } });
    expect(res.body.responses[a.squareId].customer).toMatchObject({ id: a.squareId, email_address: a.email, given_name: a.firstName, family_name: a.lastName });
    expect(res.body.responses[b.squareId].customer.id).toBe(b.squareId);
    expect(res.body.responses.MISSING.errors[0].code).toBe('NOT_FOUND');
  });

  it('searches customers by exact email and answers {} when nothing matches', async () => {
    const g = seed.guests[11]!;
    const res = await call(sim.url, '/v2/customers/search', { headers: auth, json: { query: { filter: { email_address: { exact: g.email } } }, limit: 1 } });
    expect(res.body.customers).toHaveLength(1);
    expect(res.body.customers[0].id).toBe(g.squareId);
    const none = await call(sim.url, '/v2/customers/search', { headers: auth, json: { query: { filter: { email_address: { exact: 'nobody@example.com' } } } } });
    expect(none.body).toEqual({});
  });

  it('pages through all 100 checks at both locations with the body cursor, money in minor units', async () => {
    const locations = sim.credentials.LOCATION_IDS!.split(',');
    expect(locations).toHaveLength(2);
    const orders: Array<{ id: string; total_money: { amount: number; currency: string }; line_items: Array<{ quantity: string }> }> = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await call(sim.url, '/v2/orders/search', { headers: auth, json: { location_ids: locations, limit: 30, ...(cursor ? { cursor } : {}) } });
      orders.push(...res.body.orders);
      cursor = res.body.cursor;
      if (!cursor) break;
    }
    expect(orders).toHaveLength(100);
    expect(orders[0]!.total_money).toEqual({ amount: expect.any(Number), currency: 'EUR' });
    expect(Number.isInteger(orders[0]!.total_money.amount)).toBe(true);
    expect(typeof orders[0]!.line_items[0]!.quantity).toBe('string');
  });

  it('finds a guest’s checks by customer filter and batch-retrieves them by id', async () => {
    const check = seed.checks[0]!;
    const customerId = seed.guests[check.guestIndex]!.squareId;
    const res = await call(sim.url, '/v2/orders/search', {
      headers: auth,
      json: { location_ids: sim.credentials.LOCATION_IDS!.split(','), query: { filter: { customer_filter: { customer_ids: [customerId] }, state_filter: { states: ['COMPLETED', 'OPEN', 'CANCELED'] } } } },
    });
    expect(res.body.orders.every((o: { customer_id: string }) => o.customer_id === customerId)).toBe(true);
    const batch = await call(sim.url, '/v2/orders/batch-retrieve', { headers: auth, json: { order_ids: [check.id, 'MISSING'] } });
    expect(batch.body.orders.map((o: { id: string }) => o.id)).toEqual([check.id]);
    expect((await call(sim.url, `/v2/orders/${check.id}`, { headers: auth })).body.order.total_money.amount).toBe(check.totalCents);
  });

  it('creates a customer once per idempotency_key and refuses the key with other fields', async () => {
    const key = unique('k');
    const email = `${unique('sq')}@example.com`;
    const first = await call(sim.url, '/v2/customers', { headers: auth, json: { idempotency_key: key, given_name: 'Rui', email_address: email } });
    const again = await call(sim.url, '/v2/customers', { headers: auth, json: { idempotency_key: key, given_name: 'Rui', email_address: email } });
    expect(again.body.customer.id).toBe(first.body.customer.id);
    expect((await admin.records(sim, 'customers')).filter((c) => c.email_address === email)).toHaveLength(1);
    const reused = await call(sim.url, '/v2/customers', { headers: auth, json: { idempotency_key: key, given_name: 'Other' } });
    expect(reused.status).toBe(400);
    expect(reused.body.errors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 429 RATE_LIMITED with Retry-After past the configured rate', async () => {
    const fresh = await startSimulator('pos');
    try {
      await admin.config(fresh, { rateLimit: { max: 2 } });
      const headers = { authorization: `Bearer ${fresh.credentials.ACCESS_TOKEN}` };
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await call(fresh.url, '/v2/locations', { headers }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(answers[2]!.body.errors[0]).toMatchObject({ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED' });
      expect(answers[2]!.headers.get('retry-after')).toBe('1');
    } finally {
      await fresh.close();
    }
  });
});
