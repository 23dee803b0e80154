import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { records } from './contracts.ts';
import { admin, callsTo, connectors, runtimeFor } from './harness.ts';

/**
 * Shop connector specifics beyond the shared contract. It asks Shopify for only the order fields
 * it maps (`fields=`): every order read must send it, and a trimmed order must map exactly as
 * the full one does. Line totals are computed in exact cents.
 */

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator('shop', { limits: 'relaxed' });
});
afterAll(() => sim?.close());
beforeEach(() => admin(sim, 'stats/reset', {}));

const endpoint = async (name: string) => (await connectors).get('shop')!.endpoints[name]!;

/** Each full order, as the simulator holds it, mapped by the connector. */
async function mappedInFull(): Promise<Map<string, unknown>> {
  const order = await endpoint('order');
  return new Map((await records(sim, 'orders')).map((raw) => [String(raw.id), order.map(raw, {})]));
}

const fieldsOf = (path: string) => new URL(path, 'http://sim').searchParams.get('fields');
const FIELDS = 'id,name,email,created_at,financial_status,currency,total_price,subtotal_price,total_tax,line_items';

describe('the shop connector', () => {
  it('pages through every order asking only for the fields it maps, and maps each as it would the full order', async () => {
    const runtime = await runtimeFor('shop', sim.url, sim);
    const orders = await endpoint('orders');
    const seen: Array<{ id: string }> = [];
    let after: string | null = null;
    for (let n = 0; n < 10; n++) {
      const page = await runtime.fetchPage(orders, {}, { first: 80, after });
      seen.push(...(page.items as Array<{ id: string }>));
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const full = await mappedInFull();
    expect(seen).toHaveLength(full.size);
    for (const order of seen) expect(order).toEqual(full.get(order.id));
    const calls = await callsTo(sim, 'GET /admin/api/{version}/orders.json');
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(fieldsOf(call.path), call.path).toBe(FIELDS);
    await runtime.close();
  });

  it('asks only for the fields it maps when it reads orders one at a time or by ids', async () => {
    const runtime = await runtimeFor('shop', sim.url, sim);
    const order = await endpoint('order');
    const full = await mappedInFull();
    const ids = [...full.keys()];
    expect(await runtime.fetch(order, { id: ids[0] })).toEqual(full.get(ids[0]!));
    expect(await runtime.fetchMany(order, ids.slice(1, 4), {})).toEqual(ids.slice(1, 4).map((id) => full.get(id)));
    const calls = await callsTo(sim, 'orders');
    expect(calls.map((c) => c.route)).toEqual(['GET /admin/api/{version}/orders/{id}.json', 'GET /admin/api/{version}/orders.json']);
    for (const call of calls) expect(fieldsOf(call.path), call.path).toBe(FIELDS);
    await runtime.close();
  });

  it('asks only for the fields it maps when it lists a customer\'s orders', async () => {
    const runtime = await runtimeFor('shop', sim.url, sim);
    const customerId = (await records(sim, 'orders')).find((o) => o.customer?.id)!.customer.id;
    const page = await runtime.fetchPage(await endpoint('customerOrders'), { customerId: String(customerId) }, { first: 50 });
    const full = await mappedInFull();
    expect(page.items.length).toBeGreaterThan(0);
    for (const order of page.items as Array<{ id: string }>) expect(order).toEqual(full.get(order.id));
    const [call] = await callsTo(sim, 'GET /admin/api/{version}/customers/{id}/orders.json');
    expect(fieldsOf(call!.path)).toBe(FIELDS);
    await runtime.close();
  });

  it('computes line totals in exact cents, beyond 2^53 included', async () => {
    const order = await endpoint('order');
    const line = (price: string | number, quantity: number) => ({ title: 'Thing', sku: '', quantity, price });
    const raw = {
      id: 1,
      name: '#1',
      email: null,
      created_at: '2026-03-01T10:00:00+01:00',
      financial_status: 'paid',
      currency: 'eur',
      total_price: '0',
      subtotal_price: '0',
      total_tax: '0',
      line_items: [line('35.00', 2), line('0.10', 3), line(19.99, 3), line('12', 0), line('90071992547409.91', 1000), line('-5.00', 2)],
    };
    const mapped = order.map(raw, {}) as { lines: Array<{ total: { amount: string; currency: string } }> };
    expect(mapped.lines.map((l) => l.total)).toEqual(
      ['70.00', '0.30', '59.97', '0.00', '90071992547409910.00', '-10.00'].map((amount) => ({ amount, currency: 'EUR' })),
    );
  });
});
