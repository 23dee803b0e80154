import type { DashboardData } from '../../src/observability/dashboard.ts';
import { startReference, type Reference } from '../support/reference.ts';

/** The reference integration with a quick dispatcher, so a write dies within a second or two. */
export function startDashboardReference(): Promise<Reference> {
  return startReference({}, { writes: { pollMs: 50, settleMs: 500, backoff: { initialDelayMs: 50, maxDelayMs: 200 } } });
}

export async function dashboardData(ref: Reference): Promise<{ status: number; text: string; data: DashboardData }> {
  const response = await fetch(`${ref.gateway.url}/dashboard/data`);
  const text = await response.text();
  return { status: response.status, text, data: JSON.parse(text) as DashboardData };
}

export function connector(data: DashboardData, name: string) {
  const found = data.connectors.find((c) => c.name === name);
  if (!found) throw new Error(`no connector ${name} in the dashboard data, got ${data.connectors.map((c) => c.name).join(', ')}`);
  return found;
}

/** A customer read touching the CRM, the shop, accounting and the PMS. */
export const GUEST = 'query($id: ID!) { customer(id: $id) { email orders { name } invoices { number } reservations { id } } }';

export async function readGuests(ref: Reference, count: number): Promise<void> {
  const { body } = await ref.gateway.query(`{ customers(first: ${count}) { nodes { id } } }`);
  for (const node of body.data.customers.nodes as Array<{ id: string }>) await ref.gateway.query(GUEST, { id: node.id });
}

/** Reads guests (not seen before, so the cache cannot answer) while accounting answers 503 to everything. */
export async function readDuringAccountingOutage(ref: Reference): Promise<void> {
  await ref.admin('accounting', 'faults', { outage: true });
  try {
    const { body } = await ref.gateway.query('{ customers(first: 12) { nodes { id } } }');
    for (const node of (body.data.customers.nodes as Array<{ id: string }>).slice(8)) await ref.gateway.query(GUEST, { id: node.id });
  } finally {
    await ref.admin('accounting', 'faults', {});
  }
}

let n = 0;
/** Creates a customer while the PMS is down; resolves with the operation id once its PMS step is dead. */
export async function deadLetterAtPms(ref: Reference): Promise<string> {
  n += 1;
  await ref.admin('pms', 'faults', { outage: true });
  try {
    const input = { email: `dash.${n}.${Date.now()}@example.com`, firstName: 'Dash', lastName: `Board ${n}`, phone: `+34 7${String(Date.now() % 1e6).padStart(6, '0')}${n}` };
    const { body } = await ref.gateway.query('mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }', { input });
    const id = body.data.createCustomer.id as string;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const letters = await ref.gateway.writes.outbox.deadLetters();
      if (letters.some((letter) => letter.operationId === id)) return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the PMS step of ${id} did not die within 15 s`);
  } finally {
    await ref.admin('pms', 'faults', {});
  }
}
