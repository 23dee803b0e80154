import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, startSimulators, type RunningSimulator, type SimulatorName } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { call } from './support.ts';

/** The same guest, looked up by email in each of the five systems that know guests. */
describe('the seeded data set', () => {
  let sims: Record<SimulatorName, RunningSimulator>;

  beforeAll(async () => {
    sims = await startSimulators({ limits: 'relaxed' });
  });
  afterAll(() => Promise.all(Object.values(sims).map((s) => s.close())));

  it('is generated once per seed and is the same on every call', () => {
    expect(seedData(42)).toBe(seedData(42));
    expect(seedData(7).guests[0]!.email).not.toBe(seedData(42).guests[0]!.email);
    expect(DEFAULT_PORTS).toEqual({ crm: 4101, shop: 4102, accounting: 4103, pms: 4104, pos: 4105, payments: 4106 });
  });

  it('gives every one of the 60 guests at least one of the 200 orders', () => {
    const { guests, orders, reservations, checks } = seedData(42);
    expect(guests).toHaveLength(60);
    expect(new Set(guests.map((g) => g.email)).size).toBe(60);
    expect(orders).toHaveLength(200);
    expect(new Set(orders.map((o) => o.guestIndex)).size).toBe(60);
    expect(orders.some((o) => o.paidAt) && orders.some((o) => !o.paidAt)).toBe(true);
    expect(reservations).toHaveLength(80);
    expect(reservations.every((r) => new Date(r.startUtc).getUTCFullYear() === 2026)).toBe(true);
    expect(checks).toHaveLength(100);
  });

  it('finds the same guest by email in the CRM, the shop, accounting, the PMS and the POS', async () => {
    const g = seedData(42).guests[17]!;
    const token = await call(sims.crm.url, '/oauth/v1/token', { form: { grant_type: 'client_credentials', client_id: sims.crm.credentials.CLIENT_ID!, client_secret: sims.crm.credentials.CLIENT_SECRET! } });
    const crm = await call(sims.crm.url, '/crm/v3/objects/contacts/search', {
      headers: { authorization: `Bearer ${token.body.access_token}` },
      json: { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: g.email }] }], properties: ['email', 'firstname', 'lastname'] },
    });
    const shop = await call(sims.shop.url, `/admin/api/2025-01/customers/search.json?query=${encodeURIComponent(`email:${g.email}`)}`, { headers: { 'x-shopify-access-token': sims.shop.credentials.ACCESS_TOKEN! } });
    const basic = Buffer.from(`${sims.accounting.credentials.CLIENT_ID}:${sims.accounting.credentials.CLIENT_SECRET}`).toString('base64');
    const xeroToken = await call(sims.accounting.url, '/connect/token', { headers: { authorization: `Basic ${basic}` }, form: { grant_type: 'client_credentials' } });
    const xero = await call(sims.accounting.url, `/api.xro/2.0/Contacts?where=${encodeURIComponent(`EmailAddress=="${g.email}"`)}`, {
      headers: { authorization: `Bearer ${xeroToken.body.access_token}`, 'xero-tenant-id': sims.accounting.credentials.TENANT_ID! },
    });
    const mews = await call(sims.pms.url, '/api/connector/v1/customers/getAll', {
      json: { ClientToken: sims.pms.credentials.CLIENT_TOKEN, AccessToken: sims.pms.credentials.ACCESS_TOKEN, Client: 'tests', Emails: [g.email], Limitation: { Count: 10 } },
    });
    const square = await call(sims.pos.url, '/v2/customers/search', { headers: { authorization: `Bearer ${sims.pos.credentials.ACCESS_TOKEN}` }, json: { query: { filter: { email_address: { exact: g.email } } } } });

    const people = [
      { system: 'crm', id: crm.body.results[0].id, first: crm.body.results[0].properties.firstname, last: crm.body.results[0].properties.lastname },
      { system: 'shop', id: shop.body.customers[0].id, first: shop.body.customers[0].first_name, last: shop.body.customers[0].last_name },
      { system: 'accounting', id: xero.body.Contacts[0].ContactID, first: xero.body.Contacts[0].FirstName, last: xero.body.Contacts[0].LastName },
      { system: 'pms', id: mews.body.Customers[0].Id, first: mews.body.Customers[0].FirstName, last: mews.body.Customers[0].LastName },
      { system: 'pos', id: square.body.customers[0].id, first: square.body.customers[0].given_name, last: square.body.customers[0].family_name },
    ];
    expect(people).toEqual([
      { system: 'crm', id: g.crmId, first: g.firstName, last: g.lastName },
      { system: 'shop', id: g.shopId, first: g.firstName, last: g.lastName },
      { system: 'accounting', id: g.xeroId, first: g.firstName, last: g.lastName },
      { system: 'pms', id: g.mewsId, first: g.firstName, last: g.lastName },
      { system: 'pos', id: g.squareId, first: g.firstName, last: g.lastName },
    ]);
    expect(g.crmId).toMatch(/^\d+$/);
    expect(g.squareId).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('links each shop order to its invoice by name and each paid invoice to a payment', async () => {
    const order = seedData(42).orders.find((o) => o.stripe)!;
    const shop = await call(sims.shop.url, `/admin/api/2025-01/orders/${order.shopId}.json`, { headers: { 'x-shopify-access-token': sims.shop.credentials.ACCESS_TOKEN! } });
    const stripe = await call(sims.payments.url, `/v1/payment_intents/pi_${order.stripe!.suffix}`, { headers: { authorization: `Bearer ${sims.payments.credentials.SECRET_KEY}` } });
    expect(shop.body.order).toMatchObject({ name: order.name, financial_status: 'paid', total_price: (order.totalCents / 100).toFixed(2) });
    expect(stripe.body).toMatchObject({ amount: order.totalCents, metadata: { order: order.name, invoice_number: order.invoiceNumber } });
  });
});
