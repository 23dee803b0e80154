import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceGateway, subscribeWs } from './support.ts';

/**
 * End to end with the reference systems: each simulator registers the gateway's
 * `/webhooks/<name>` and then sends its own signed, vendor-shaped webhook after a write (or on
 * `/__admin/emit`); the gateway verifies it, logs it, purges the cache and a subscriber hears it.
 */

type Json = Record<string, any>;
let ref: Awaited<ReturnType<typeof startReferenceGateway>>;

const sim = (name: keyof typeof ref.simulators) => ref.simulators[name];
async function admin(name: keyof typeof ref.simulators, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${sim(name).url}/__admin/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status, `${name} /__admin/${path}`).toBe(200);
  return response.json();
}
const head = async () => String(await ref.gateway.events.log.head());

beforeAll(async () => {
  ref = await startReferenceGateway();
  for (const name of Object.keys(ref.simulators) as Array<keyof typeof ref.simulators>) {
    await admin(name, 'webhooks', { url: `${ref.gateway.url}/webhooks/${name}` });
  }
});
afterAll(async () => {
  await ref?.gateway.stop();
  await ref?.close();
});

describe("the systems' own webhooks", () => {
  it('a shop payment reaches an orderUpdated subscriber, and the same query then shows the order paid', async () => {
    const orders = (await admin('shop', 'records/orders')) as Json[];
    const order = orders.find((o) => o.financial_status === 'pending' && o.email)!;
    const query = `{ order(id: "${order.id}") { status } }`;
    expect((await ref.gateway.query(query)).body.data).toEqual({ order: { status: 'PENDING' } });

    const subscriber = subscribeWs(ref.gateway.url, 'subscription($email: String, $after: ID) { orderUpdated(customerEmail: $email, after: $after) { source type data order { status } } }', {
      email: order.email,
      after: await head(),
    });
    const paid = await fetch(`${sim('shop').url}/admin/api/2025-01/orders/${order.id}/transactions.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': sim('shop').credentials.ACCESS_TOKEN! },
      body: JSON.stringify({ transaction: { kind: 'sale' } }),
    });
    expect(paid.status).toBe(201);

    const [event] = await subscriber.received(1);
    expect(event!.data).toMatchObject({ orderUpdated: { source: 'shop', type: 'order.updated', data: { orderId: String(order.id), email: order.email }, order: { status: 'PAID' } } });
    // The cached PENDING answer (TTL 30 s) was purged by the event.
    expect((await ref.gateway.query(query)).body.data).toEqual({ order: { status: 'PAID' } });
    await subscriber.close();
  });

  it('a CRM contact change reaches customerUpdated(id), and the customer query is fresh', async () => {
    const contact = ((await admin('crm', 'records/contacts')) as Json[])[3]!;
    const query = `{ customer(id: "${contact.id}") { firstName } }`;
    await ref.gateway.query(query);
    const subscriber = subscribeWs(ref.gateway.url, 'subscription($id: ID, $after: ID) { customerUpdated(id: $id, after: $after) { type subject { id } customer { firstName } } }', {
      id: contact.id,
      after: await head(),
    });
    const { credentials, url } = sim('crm');
    const token = await fetch(`${url}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.CLIENT_ID!, client_secret: credentials.CLIENT_SECRET! }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const patched = await fetch(`${url}/crm/v3/objects/contacts/${contact.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` },
      body: JSON.stringify({ properties: { firstname: 'Renamed' } }),
    });
    expect(patched.status).toBe(200);

    const [event] = await subscriber.received(1);
    expect(event!.data).toEqual({ customerUpdated: { type: 'customer.updated', subject: { id: String(contact.id) }, customer: { firstName: 'Renamed' } } });
    expect((await ref.gateway.query(query)).body.data).toEqual({ customer: { firstName: 'Renamed' } });
    await subscriber.close();
  });

  it('Stripe and Mews deliveries sent on demand reach paymentCompleted and reservationChanged(propertyId)', async () => {
    const intent = ((await admin('payments', 'records/payment_intents')) as Json[])[0]!;
    const reservation = ((await admin('pms', 'records/reservations')) as Json[])[0]!;
    const after = await head();
    const payments = subscribeWs(ref.gateway.url, 'subscription($after: ID) { paymentCompleted(after: $after) { source subject { id } data } }', { after });
    const stays = subscribeWs(ref.gateway.url, 'subscription($p: ID, $after: ID) { reservationChanged(propertyId: $p, after: $after) { source subject { id } reservation { propertyId } } }', {
      p: reservation.EnterpriseId,
      after,
    });
    await admin('payments', 'emit', { type: 'payment_intent.succeeded', id: intent.id });
    await admin('pms', 'emit', { type: 'ServiceOrderUpdated', id: reservation.Id });

    const [payment] = await payments.received(1);
    expect(payment!.data).toMatchObject({ paymentCompleted: { source: 'payments', subject: { id: intent.id }, data: { amount: intent.amount } } });
    const [stay] = await stays.received(1);
    expect(stay!.data).toEqual({ reservationChanged: { source: 'pms', subject: { id: reservation.Id }, reservation: { propertyId: reservation.EnterpriseId } } });
    await Promise.all([payments.close(), stays.close()]);
  });

  it('Xero and Square deliveries sent on demand verify and are logged', async () => {
    const invoice = ((await admin('accounting', 'records/invoices')) as Json[])[0]!;
    const check = ((await admin('pos', 'records/orders')) as Json[])[0]!;
    const start = await ref.gateway.events.log.head();
    const xero = await admin('accounting', 'emit', { type: 'INVOICE.UPDATE', id: invoice.InvoiceID });
    const square = await admin('pos', 'emit', { type: 'order.updated', id: check.id });
    expect([xero.deliveries[0].status, square.deliveries[0].status]).toEqual([200, 200]);
    const logged = await ref.gateway.events.log.after(start, 10);
    expect(logged.map((e) => [e.connector, e.type, e.subject.id])).toEqual([
      ['accounting', 'invoice.updated', invoice.InvoiceID],
      ['pos', 'check.updated', check.id],
    ]);
  });
});
