import type { RunningSimulator, SimulatorName } from '../../../demo/index.ts';

/**
 * The simulators as a test observes them: faults set over their admin route, and the records
 * they hold counted from their own collections — never from the gateway's account of them.
 */

export type Sims = Record<SimulatorName, RunningSimulator>;

/** The systems `createCustomer` writes to, one record per email each. */
export const CUSTOMER_SYSTEMS = ['crm', 'shop', 'accounting', 'pms'] as const;
export type CustomerSystem = (typeof CUSTOMER_SYSTEMS)[number];

export const CREATE_CUSTOMER = /* GraphQL */ `
  mutation($input: CustomerInput!) {
    createCustomer(input: $input) { id status steps { name status externalId attempts } }
  }
`;

/**
 * A new guest nobody holds yet. Emails, phones and names are unique per (tag, i): Shopify keeps
 * emails and phones unique, Xero contact names; the "+99" prefix is no seeded country's.
 */
export function newGuest(tag: number, i: number) {
  return {
    email: `durable.${tag}.${i}@example.com`,
    firstName: 'Durable',
    lastName: `Guest ${tag}-${i}`,
    phone: `+99 ${tag} ${String(i).padStart(7, '0')}`,
  };
}

export async function admin(sim: RunningSimulator, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${sim.url}/__admin/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${sim.name} /__admin/${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

export const setFaults = (sim: RunningSimulator, spec: Record<string, unknown>) => admin(sim, 'faults', spec);

export async function clearFaults(sims: Sims): Promise<void> {
  await Promise.all(Object.values(sims).map((sim) => setFaults(sim, {})));
}

/** A record's id and email, read the way each vendor spells them. */
const READERS: Record<CustomerSystem, { collection: string; email: (r: any) => string; id: (r: any) => string; active: (r: any) => boolean }> = {
  crm: { collection: 'contacts', email: (r) => r.properties.email, id: (r) => String(r.id), active: (r) => !r.archived },
  shop: { collection: 'customers', email: (r) => r.email, id: (r) => String(r.id), active: () => true },
  accounting: { collection: 'contacts', email: (r) => r.EmailAddress, id: (r) => String(r.ContactID), active: (r) => r.ContactStatus !== 'ARCHIVED' },
  pms: { collection: 'customers', email: (r) => r.Email, id: (r) => String(r.Id), active: () => true },
};

/** Ids of the active records per email, per system, for the emails asked about; plus inactive ones (archived). */
export interface Holdings {
  active: Record<CustomerSystem, Map<string, string[]>>;
  inactive: Record<CustomerSystem, number>;
}

export async function holdings(sims: Sims, emails: ReadonlySet<string>): Promise<Holdings> {
  const active = {} as Holdings['active'];
  const inactive = {} as Holdings['inactive'];
  await Promise.all(
    CUSTOMER_SYSTEMS.map(async (system) => {
      const reader = READERS[system];
      const records: any[] = await admin(sims[system], `records/${reader.collection}`);
      const byEmail = new Map<string, string[]>();
      let archived = 0;
      for (const record of records) {
        const email = reader.email(record);
        if (!emails.has(email)) continue;
        if (!reader.active(record)) {
          archived += 1;
          continue;
        }
        byEmail.set(email, [...(byEmail.get(email) ?? []), reader.id(record)]);
      }
      active[system] = byEmail;
      inactive[system] = archived;
    }),
  );
  return { active, inactive };
}

/** Emails held more than once, and emails not held at all, per system. */
export function tally(held: Holdings, emails: Iterable<string>) {
  const duplicates: Array<{ system: CustomerSystem; email: string; ids: string[] }> = [];
  const missing: Array<{ system: CustomerSystem; email: string }> = [];
  let records = 0;
  for (const email of emails) {
    for (const system of CUSTOMER_SYSTEMS) {
      const ids = held.active[system].get(email) ?? [];
      records += ids.length;
      if (ids.length > 1) duplicates.push({ system, email, ids });
      if (ids.length === 0) missing.push({ system, email });
    }
  }
  return { records, duplicates, missing };
}

/** Calls and fault answers seen by each simulator: 503s, lost responses, calls per idempotency key. */
export async function callLog(sim: RunningSimulator): Promise<{ calls: number; byStatus: Record<string, number>; log: Array<{ route: string; status: number; idempotencyKey?: string; lost?: true }> }> {
  return admin(sim, 'stats');
}
