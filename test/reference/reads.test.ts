import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsBetween, startReference, type Reference } from '../support/reference.ts';

let ref: Reference;
beforeAll(async () => {
  ref = await startReference();
});
afterAll(async () => {
  await ref?.stop();
});

const GUEST = /* GraphQL */ `
  query Guest($id: ID!) {
    customer(id: $id) {
      id email firstName lastName
      links { email crm shop accounting pms pos }
      orders { id name email status total { amount currency } invoice { reference customer { email } } }
      invoices { number reference status amountDue { amount currency } contactEmail }
      reservations { id status checkIn checkOut guestEmail }
      posChecks { id status total { amount currency } }
    }
  }
`;

describe('the reference integration', () => {
  it('answers one customer with consistent data from five systems', async () => {
    const first = await ref.gateway.query('{ customers(first: 3) { nodes { id email } } }');
    expect(first.body.errors).toBeUndefined();
    const someone = first.body.data.customers.nodes[0];
    const { body } = await ref.gateway.query(GUEST, { id: someone.id });
    expect(body.errors).toBeUndefined();
    const c = body.data.customer;
    expect(c.email).toBe(someone.email);
    for (const system of ['crm', 'shop', 'accounting', 'pms', 'pos']) expect(c.links[system], system).toBeTruthy();
    expect(c.orders.length).toBeGreaterThan(0);
    for (const order of c.orders) {
      expect(order.email).toBe(c.email);
      expect(order.invoice.reference).toBe(order.name);
      expect(order.invoice.customer.email).toBe(c.email);
      expect(order.total.currency).toBe('EUR');
      expect(order.total.amount).toMatch(/^\d+\.\d{2}$/);
    }
    for (const invoice of c.invoices) expect(invoice.contactEmail).toBe(c.email);
    expect(c.invoices.map((i: { reference: string }) => i.reference).sort()).toEqual(c.orders.map((o: { name: string }) => o.name).sort());
    for (const stay of c.reservations) expect(stay.guestEmail).toBe(c.email);
    expect(Array.isArray(c.posChecks)).toBe(true);
  });

  it('costs one upstream call per connector per depth level for orders with customers and invoices, and none again inside the TTLs', async () => {
    const query = '{ orders(first: 50) { nodes { name customer { email } invoice { status reference } } } }';
    const before = await ref.upstreamCalls();
    const { body } = await ref.gateway.query(query);
    expect(body.errors).toBeUndefined();
    expect(body.data.orders.nodes).toHaveLength(50);
    for (const order of body.data.orders.nodes) expect(order.invoice.reference).toBe(order.name);
    const middle = await ref.upstreamCalls();
    expect(callsBetween(before, middle)).toEqual({ shop: 1, crm: 1, accounting: 1 });
    const again = await ref.gateway.query(query);
    expect(again.body).toEqual(body);
    expect(callsBetween(middle, await ref.upstreamCalls())).toEqual({});
  });

  it('gives the same cursors from a cached page as from a fresh one', async () => {
    const query = '{ orders(first: 3) { edges { cursor node { name } } pageInfo { startCursor endCursor } } }';
    const before = await ref.upstreamCalls();
    const fresh = await ref.gateway.query(query);
    const cached = await ref.gateway.query(query);
    expect(fresh.body.errors).toBeUndefined();
    expect(callsBetween(before, await ref.upstreamCalls())).toEqual({ shop: 1 });
    expect(cached.body).toEqual(fresh.body);
    const { edges, pageInfo } = fresh.body.data.orders;
    expect(edges.map((e: { cursor: string }) => e.cursor)).toEqual(['eyJzIjoxLCJ6IjozfQ', 'eyJzIjoyLCJ6IjozfQ', 'eyJzIjozLCJ6IjozfQ']);
    expect(pageInfo.startCursor).toBe(edges[0].cursor);
    expect(pageInfo.endCursor).not.toBe(edges[2].cursor);
  });

  it('pages through reservations in an interval to the end', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const { body }: { body: any } = await ref.gateway.query(
        'query($after: String) { reservations(from: "2026-01-01T00:00:00Z", to: "2026-03-31T00:00:00Z", first: 7, after: $after) { nodes { id checkIn checkOut } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      expect(body.errors).toBeUndefined();
      ids.push(...body.data.reservations.nodes.map((n: { id: string }) => n.id));
      if (!body.data.reservations.pageInfo.hasNextPage) break;
      after = body.data.reservations.pageInfo.endCursor;
    }
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the other systems answering while one is down, and names the one that failed', async () => {
    const first = await ref.gateway.query('{ customers(first: 5) { nodes { id } } }');
    const id = first.body.data.customers.nodes[4].id;
    await ref.admin('accounting', 'faults', { outage: true });
    try {
      const { body } = await ref.gateway.query('query($id: ID!) { customer(id: $id) { email orders { name } invoices { number } reservations { id } } }', { id });
      expect(body.data.customer.email).toBeTruthy();
      expect(body.data.customer.orders.length).toBeGreaterThan(0);
      expect(body.data.customer.invoices).toBeNull();
      const failure = body.errors?.find((e) => e.path?.includes('invoices'));
      expect(failure?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', connector: 'accounting' });
    } finally {
      await ref.admin('accounting', 'faults', {});
    }
  });
});
