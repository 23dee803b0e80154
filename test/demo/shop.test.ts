import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, startReceiver, unique } from './support.ts';

const seed = seedData(42);
const API = '/admin/api/2025-01';

describe('the Shopify simulator', () => {
  let sim: RunningSimulator;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator('shop', { limits: 'relaxed' });
    auth = { 'x-shopify-access-token': sim.credentials.ACCESS_TOKEN! };
  });
  afterAll(() => sim.close());

  it('refuses a wrong access token with the Shopify error string', async () => {
    const res = await call(sim.url, `${API}/customers/${seed.guests[0]!.shopId}.json`, { headers: { 'x-shopify-access-token': 'shpat_wrong' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });

  it('reads a customer with numeric ids, money as strings and local times with an offset', async () => {
    const g = seed.guests[0]!;
    const res = await call(sim.url, `${API}/customers/${g.shopId}.json`, { headers: auth });
    expect(res.headers.get('x-shopify-api-version')).toBe('2025-01');
    expect(res.body.customer).toMatchObject({ id: g.shopId, email: g.email, first_name: g.firstName, currency: 'EUR', total_spent: expect.stringMatching(/^\d+\.\d{2}$/) });
    expect(res.body.customer.orders_count).toBeGreaterThanOrEqual(1);
    expect(res.body.customer.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/);
    expect((await call(sim.url, `${API}/customers/123.json`, { headers: auth })).body).toEqual({ errors: 'Not Found' });
  });

  it('serves a deprecated version with the deprecation header', async () => {
    const res = await call(sim.url, `/admin/api/2024-04/customers/${seed.guests[0]!.shopId}.json`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-shopify-api-deprecated-reason')).toContain('shopify.dev');
  });

  it('batch-reads customers by ids= and finds one by email search', async () => {
    const ids = seed.guests.slice(0, 3).map((g) => g.shopId);
    const batch = await call(sim.url, `${API}/customers.json?ids=${ids.join(',')}&limit=250`, { headers: auth });
    expect(batch.body.customers.map((c: { id: number }) => c.id)).toEqual(ids);
    const g = seed.guests[7]!;
    const found = await call(sim.url, `${API}/customers/search.json?query=${encodeURIComponent(`email:${g.email}`)}&fields=id,email`, { headers: auth });
    expect(found.body.customers).toEqual([{ id: g.shopId, email: g.email }]);
  });

  it('pages through all 200 orders with page_info links, and lists only open ones by default', async () => {
    const names: string[] = [];
    let next: string | undefined = `${API}/orders.json?status=any&limit=50`;
    let pages = 0;
    while (next) {
      const res = await call(sim.url, next, { headers: auth });
      names.push(...res.body.orders.map((o: { name: string }) => o.name));
      const link = res.headers.get('link') ?? '';
      if (pages > 0) expect(link).toContain('rel="previous"');
      const m = /<([^>]+)>; rel="next"/.exec(link);
      next = m ? new URL(m[1]!).pathname + new URL(m[1]!).search : undefined;
      pages += 1;
    }
    expect(pages).toBe(4);
    expect(new Set(names).size).toBe(200);
    const open = await call(sim.url, `${API}/orders.json?limit=250`, { headers: auth });
    expect(open.body.orders.length).toBeLessThan(200);
  });

  it('keeps only the top-level fields= asked for on order pages, and carries them into the next link', async () => {
    const first = await call(sim.url, `${API}/orders.json?status=any&fields=${encodeURIComponent('id,name,line_items,no_such_field')}&limit=2`, { headers: auth });
    expect(first.status).toBe(200);
    for (const order of first.body.orders) {
      expect(Object.keys(order)).toEqual(['id', 'name', 'line_items']);
      // Nested records come whole: fields= filters the top level only.
      expect(order.line_items[0]).toMatchObject({ title: expect.any(String), price: expect.any(String), tax_lines: expect.any(Array) });
    }
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')![1]!;
    expect(new URL(next).searchParams.get('fields')).toBe('id,name,line_items,no_such_field');
    const second = await call(sim.url, new URL(next).pathname + new URL(next).search, { headers: auth });
    expect(second.status).toBe(200);
    expect(second.body.orders.map((o: object) => Object.keys(o))).toEqual([
      ['id', 'name', 'line_items'],
      ['id', 'name', 'line_items'],
    ]);
    expect(second.body.orders[0].id).not.toBe(first.body.orders[0].id);
  });

  it('refuses filters next to page_info, as Shopify does', async () => {
    const first = await call(sim.url, `${API}/orders.json?status=any&limit=10`, { headers: auth });
    const pageInfo = /page_info=([^&>]+)/.exec(first.headers.get('link') ?? '')![1];
    const res = await call(sim.url, `${API}/orders.json?status=any&page_info=${pageInfo}`, { headers: auth });
    expect(res.status).toBe(400);
    expect(res.body.errors.status[0]).toContain('cannot be passed when page_info is present');
  });

  it('answers 422 for a duplicate email and creates the customer only once', async () => {
    const email = `${unique('s')}@example.com`;
    expect((await call(sim.url, `${API}/customers.json`, { headers: auth, json: { customer: { email, first_name: 'Eva' } } })).status).toBe(201);
    const dup = await call(sim.url, `${API}/customers.json`, { headers: auth, json: { customer: { email } } });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({ errors: { email: ['has already been taken'] } });
    expect((await admin.records(sim, 'customers')).filter((c) => c.email === email)).toHaveLength(1);
  });

  it('marks a pending order paid when a sale transaction covers it', async () => {
    const pending = seed.orders.find((o) => o.paidAt === undefined)!;
    const res = await call(sim.url, `${API}/orders/${pending.shopId}/transactions.json`, {
      headers: auth,
      json: { transaction: { kind: 'sale', amount: (pending.totalCents / 100).toFixed(2), currency: 'EUR' } },
    });
    expect(res.status).toBe(201);
    expect(res.body.transaction).toMatchObject({ kind: 'sale', status: 'success', amount: (pending.totalCents / 100).toFixed(2) });
    const order = await call(sim.url, `${API}/orders/${pending.shopId}.json`, { headers: auth });
    expect(order.body.order).toMatchObject({ financial_status: 'paid', total_outstanding: '0.00', name: pending.name });
  });

  it('posts the resource itself as the webhook body, with the topic and shop in headers', async () => {
    const receiver = await startReceiver();
    try {
      await admin.webhook(sim, `${receiver.url}/hooks/shop`);
      const email = `${unique('hook')}@example.com`;
      const created = await call(sim.url, `${API}/customers.json`, { headers: auth, json: { customer: { email, first_name: 'Hook' } } });
      const webhook = await receiver.next();
      expect(webhook.headers).toMatchObject({ 'x-shopify-topic': 'customers/create', 'x-shopify-shop-domain': sim.credentials.SHOP_DOMAIN, 'x-shopify-api-version': '2025-01' });
      expect(webhook.headers['x-shopify-webhook-id']).toBeTruthy();
      expect(JSON.parse(webhook.rawBody)).toMatchObject({ id: created.body.customer.id, email });
    } finally {
      await admin.clearWebhooks(sim);
      await receiver.close();
    }
  });

  it('fills the leaky bucket, reports it on every answer and answers 429 with Retry-After: 2.0', async () => {
    const fresh = await startSimulator('shop');
    try {
      await admin.config(fresh, { rateLimit: { bucketSize: 3, leakPerSecond: 0.01 } });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await call(fresh.url, `${API}/orders/${seed.orders[0]!.shopId}.json`, { headers: auth }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers.map((a) => a.headers.get('x-shopify-shop-api-call-limit'))).toEqual(['1/3', '2/3', '3/3', '3/3']);
      expect(answers[3]!.headers.get('retry-after')).toBe('2.0');
      expect(answers[3]!.body.errors).toContain('Exceeded 2 calls per second');
    } finally {
      await fresh.close();
    }
  });
});
