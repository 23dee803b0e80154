import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReference, type Reference } from '../support/reference.ts';

let ref: Reference;
beforeAll(async () => {
  ref = await startReference({}, { writes: { pollMs: 50, settleMs: 3_000, backoff: { initialDelayMs: 100, maxDelayMs: 400 } } });
});
afterAll(async () => {
  await ref?.stop();
});

const CREATE = /* GraphQL */ `
  mutation($input: CustomerInput!) {
    createCustomer(input: $input) { id status steps { name system status externalId error attempts } }
  }
`;
const OPERATION = 'query($id: ID!) { writeOperation(id: $id) { id status steps { name status externalId attempts error } } }';

let n = 0;
function newGuest() {
  n += 1;
  // Shopify keeps phone numbers unique too.
  const phone = `+34 6${String(Date.now() % 1e6).padStart(6, '0')}${String(n).padStart(2, '0')}`;
  return { email: `new.guest.${n}.${Date.now()}@example.com`, firstName: 'New', lastName: `Guest ${n}`, phone };
}

/** How many records with this email each system holds, counted from the simulators' own data. */
async function holdings(email: string) {
  const [crm, shop, accounting, pms] = await Promise.all([
    ref.admin('crm', 'records/contacts'),
    ref.admin('shop', 'records/customers'),
    ref.admin('accounting', 'records/contacts'),
    ref.admin('pms', 'records/customers'),
  ]);
  return {
    crm: crm.filter((c: any) => c.properties.email === email && !c.archived).length,
    shop: shop.filter((c: any) => c.email === email).length,
    accounting: accounting.filter((c: any) => c.EmailAddress === email).length,
    pms: pms.filter((c: any) => c.Email === email).length,
  };
}

/** The operation once `done` holds for it (or when time runs out, for the assertion to show). */
async function waitUntil(id: string, done: (op: any) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await ref.gateway.query(OPERATION, { id });
    if (done(body.data.writeOperation) || Date.now() > deadline) return body.data.writeOperation;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const waitFor = (id: string, status: string, timeoutMs?: number) => waitUntil(id, (op) => op.status === status, timeoutMs);

describe('fan-out writes', () => {
  it('creates a customer in the CRM, the shop, accounting and the PMS, once each', async () => {
    const guest = newGuest();
    const { body } = await ref.gateway.query(CREATE, { input: guest });
    expect(body.errors).toBeUndefined();
    expect(body.data.createCustomer.status).toBe('COMPLETED');
    expect(body.data.createCustomer.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['crm', 'SUCCEEDED'],
      ['shop', 'SUCCEEDED'],
      ['accounting', 'SUCCEEDED'],
      ['pms', 'SUCCEEDED'],
    ]);
    expect(await holdings(guest.email)).toEqual({ crm: 1, shop: 1, accounting: 1, pms: 1 });
  });

  it('answers PARTIAL at once while accounting is down, then completes on its own when it is back', async () => {
    await ref.admin('accounting', 'faults', { outage: true });
    const guest = newGuest();
    let id: string;
    try {
      const { body } = await ref.gateway.query(CREATE, { input: guest });
      expect(body.data.createCustomer.status).toBe('PARTIAL');
      const accounting = body.data.createCustomer.steps.find((s: any) => s.name === 'accounting');
      expect(accounting.status).toBe('RETRY_SCHEDULED');
      expect(accounting.error).toContain('accounting is unavailable');
      id = body.data.createCustomer.id;
    } finally {
      await ref.admin('accounting', 'faults', {});
    }
    const done = await waitFor(id, 'COMPLETED');
    expect(done.status, JSON.stringify(done.steps)).toBe('COMPLETED');
    expect(await holdings(guest.email)).toEqual({ crm: 1, shop: 1, accounting: 1, pms: 1 });
  });

  it('resolves a write whose answer was lost to the record it made, for systems with and without idempotency keys', async () => {
    for (const system of ['crm', 'shop', 'accounting', 'pms'] as const) await ref.admin(system, 'faults', { loseResponses: 1 });
    const guest = newGuest();
    const { body } = await ref.gateway.query(CREATE, { input: guest });
    const done = await waitFor(body.data.createCustomer.id, 'COMPLETED');
    expect(done.status).toBe('COMPLETED');
    for (const step of done.steps) expect(step.attempts, step.name).toBeGreaterThanOrEqual(2);
    expect(await holdings(guest.email)).toEqual({ crm: 1, shop: 1, accounting: 1, pms: 1 });
    const xero = (await ref.admin('accounting', 'stats')).log.filter((c: any) => c.route === 'POST /api.xro/2.0/Contacts' && c.idempotencyKey?.startsWith(done.id));
    expect(new Set(xero.map((c: any) => c.idempotencyKey)).size).toBe(1);
    expect(xero.length).toBeGreaterThanOrEqual(2);
  });

  it('returns the first operation for a repeated Idempotency-Key and writes nothing more', async () => {
    const guest = newGuest();
    const headers = { 'idempotency-key': `client-key-${guest.email}` };
    const first = await ref.gateway.query(CREATE, { input: guest }, headers);
    const second = await ref.gateway.query(CREATE, { input: guest }, headers);
    expect(second.body.data.createCustomer.id).toBe(first.body.data.createCustomer.id);
    await waitFor(first.body.data.createCustomer.id, 'COMPLETED');
    expect(await holdings(guest.email)).toEqual({ crm: 1, shop: 1, accounting: 1, pms: 1 });
  });

  it('refuses bad input before anything is written, naming the field', async () => {
    const before = (await ref.admin('crm', 'stats')).calls;
    const { body } = await ref.gateway.query(CREATE, { input: { ...newGuest(), email: 'not-an-email' } });
    expect(body.data).toBeNull();
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toMatch(/email/);
    expect((await ref.admin('crm', 'stats')).calls).toBe(before);
  });

  it('updates a customer in every system it is linked in', async () => {
    const { body: list } = await ref.gateway.query('{ customers(first: 2) { nodes { id email } } }');
    const { id, email } = list.data.customers.nodes[1];
    const { body } = await ref.gateway.query(
      'mutation($id: ID!) { updateCustomer(id: $id, input: { lastName: "Renamed" }) { status steps { name status } } }',
      { id },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.updateCustomer.status).toBe('COMPLETED');
    expect(body.data.updateCustomer.steps.map((s: any) => s.name)).toEqual(['crm', 'shop', 'accounting', 'pms']);
    const shop = (await ref.admin('shop', 'records/customers')).find((c: any) => c.email === email);
    const pms = (await ref.admin('pms', 'records/customers')).find((c: any) => c.Email === email);
    expect([shop.last_name, pms.LastName]).toEqual(['Renamed', 'Renamed']);
  });

  it('dead-letters a step whose system stays down, and a replay sends it once; a second replay writes nothing', async () => {
    await ref.admin('pms', 'faults', { outage: true });
    const guest = newGuest();
    let op: any;
    try {
      const { body } = await ref.gateway.query(CREATE, { input: guest });
      op = body.data.createCustomer;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await ref.gateway.query(OPERATION, { id: op.id })).body.data.writeOperation.steps.find((s: any) => s.name === 'pms').status !== 'DEAD') {
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await ref.admin('pms', 'faults', {});
    }
    const dead = (await ref.gateway.query(OPERATION, { id: op.id })).body.data.writeOperation;
    expect(dead.status).toBe('PARTIAL');
    expect(dead.steps.find((s: any) => s.name === 'pms')).toMatchObject({ status: 'DEAD', attempts: 5 });
    const letters = await ref.gateway.writes.outbox.deadLetters();
    expect(letters.some((d) => d.operationId === op.id)).toBe(true);
    expect(await holdings(guest.email)).toMatchObject({ pms: 0 });

    const first = await ref.gateway.writes.replay(op.id);
    expect(first.replayedStepIds).toHaveLength(1);
    // The five failures opened the PMS circuit: the replayed step waits for its next probe (10 s).
    const replayed = await waitFor(op.id, 'COMPLETED', 20_000);
    expect(replayed.status, JSON.stringify(replayed.steps)).toBe('COMPLETED');
    const second = await ref.gateway.writes.replay(op.id);
    expect(second.replayedStepIds).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await holdings(guest.email)).toEqual({ crm: 1, shop: 1, accounting: 1, pms: 1 });
  }, 40_000);

  it('undoes the CRM contact when a later system refuses the customer for good', async () => {
    await ref.admin('pms', 'faults', { statusSequence: [400] });
    const guest = newGuest();
    const { body } = await ref.gateway.query(CREATE, { input: guest });
    const step = (op: any, name: string) => op.steps.find((s: any) => s.name === name);
    const op = await waitUntil(body.data.createCustomer.id, (o) => step(o, 'crm').status === 'COMPENSATED');
    expect(step(op, 'pms')).toMatchObject({ status: 'DEAD', attempts: 1 });
    expect(step(op, 'pms').error).toContain('HTTP 400');
    expect(step(op, 'crm').status).toBe('COMPENSATED');
    expect(step(op, 'crm:compensate').status).toBe('SUCCEEDED');
    expect((await holdings(guest.email)).crm).toBe(0);
  });

  it('streams an operation over writeOperationUpdated until it completes', async () => {
    await ref.admin('accounting', 'faults', { outage: true });
    const guest = newGuest();
    const { body } = await ref.gateway.query(CREATE, { input: guest });
    const id = body.data.createCustomer.id;
    const client = createClient({ url: `${ref.gateway.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const seen: string[] = [];
    try {
      const done = new Promise<void>((resolve, reject) => {
        client.subscribe<{ writeOperationUpdated: { status: string } }>(
          { query: 'subscription($id: ID!) { writeOperationUpdated(id: $id) { status steps { name status } } }', variables: { id } },
          {
            next: (message) => {
              seen.push(message.data!.writeOperationUpdated.status);
              if (seen.length === 1) void ref.admin('accounting', 'faults', {});
            },
            error: reject,
            complete: resolve,
          },
        );
      });
      await done;
    } finally {
      await ref.admin('accounting', 'faults', {});
      await client.dispose();
    }
    expect(seen[0]).toBe('PARTIAL');
    expect(seen.at(-1)).toBe('COMPLETED');
  });
});
