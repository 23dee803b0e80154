import type { Args } from '../../src/connectors/define.ts';
import type { RunningSimulator, SimulatorName } from '../../demo/index.ts';

/**
 * What the shared contract suite exercises for each reference connector: which endpoint answers a
 * single read, a batch, a paginated list and a write, on which simulator route, and which
 * vendor property the drift check removes. Sample arguments come from the simulator's own data.
 */
export interface Contract {
  name: SimulatorName;
  oauth: boolean;
  single: { endpoint: string; route: string };
  batch?: { endpoint: string; route: string };
  page?: { endpoint: string; route: string; size: number; total: (sim: RunningSimulator) => Promise<number> };
  write?: { endpoint: string; route: string };
  drift: { endpoint: 'single' | 'batch'; property: string; field: string };
  sample(sim: RunningSimulator): Promise<{ single: Args; other: Args; batchKeys?: unknown[]; batchArgs?: Args; page?: Args; write?: Args }>;
}

export async function records(sim: RunningSimulator, collection: string): Promise<any[]> {
  return (await (await fetch(`${sim.url}/__admin/records/${collection}`)).json()) as any[];
}

const guest = (n: string) => ({ customer: { email: `contract.${n}.${Date.now()}@example.com`, firstName: 'Contract', lastName: n, phone: `+34 7${String(Date.now()).slice(-8)}` } });

export const CONTRACTS: Contract[] = [
  {
    name: 'crm',
    oauth: true,
    single: { endpoint: 'contact', route: 'GET /crm/v3/objects/contacts/{contactId}' },
    batch: { endpoint: 'contact', route: 'POST /crm/v3/objects/contacts/batch/read' },
    page: { endpoint: 'contacts', route: 'POST /crm/v3/objects/contacts/search', size: 25, total: async (sim) => (await records(sim, 'contacts')).filter((c) => !c.archived).length },
    write: { endpoint: 'createContact', route: 'POST /crm/v3/objects/contacts' },
    drift: { endpoint: 'single', property: 'email', field: 'properties.email' },
    async sample(sim) {
      const ids = (await records(sim, 'contacts')).map((c) => c.id);
      return { single: { id: ids[0] }, other: { id: ids[1] }, batchKeys: ids.slice(2, 5), page: {}, write: guest('crm') };
    },
  },
  {
    name: 'shop',
    oauth: false,
    single: { endpoint: 'order', route: 'GET /admin/api/{version}/orders/{id}.json' },
    batch: { endpoint: 'order', route: 'GET /admin/api/{version}/orders.json' },
    page: { endpoint: 'orders', route: 'GET /admin/api/{version}/orders.json', size: 50, total: async (sim) => (await records(sim, 'orders')).length },
    write: { endpoint: 'createCustomer', route: 'POST /admin/api/{version}/customers.json' },
    drift: { endpoint: 'single', property: 'financial_status', field: 'financial_status' },
    async sample(sim) {
      const ids = (await records(sim, 'orders')).map((o) => String(o.id));
      return { single: { id: ids[0] }, other: { id: ids[1] }, batchKeys: ids.slice(2, 5), page: {}, write: guest('shop') };
    },
  },
  {
    name: 'accounting',
    oauth: true,
    single: { endpoint: 'invoice', route: 'GET /api.xro/2.0/Invoices/{InvoiceID}' },
    batch: { endpoint: 'invoice', route: 'GET /api.xro/2.0/Invoices' },
    page: {
      endpoint: 'invoicesByContact',
      route: 'GET /api.xro/2.0/Invoices',
      size: 1,
      total: async (sim) => {
        const invoices = await records(sim, 'invoices');
        return invoices.filter((i) => i.Contact.ContactID === invoices[0].Contact.ContactID).length;
      },
    },
    write: { endpoint: 'createContact', route: 'POST /api.xro/2.0/Contacts' },
    drift: { endpoint: 'single', property: 'Status', field: 'Status' },
    async sample(sim) {
      const invoices = await records(sim, 'invoices');
      const ids = invoices.map((i) => i.InvoiceID);
      return { single: { id: ids[0] }, other: { id: ids[1] }, batchKeys: ids.slice(2, 5), page: { contactId: invoices[0].Contact.ContactID }, write: guest('accounting') };
    },
  },
  {
    name: 'pms',
    oauth: false,
    single: { endpoint: 'reservation', route: 'POST /api/connector/v1/reservations/getAll/2023-06-06' },
    batch: { endpoint: 'reservation', route: 'POST /api/connector/v1/reservations/getAll/2023-06-06' },
    page: {
      endpoint: 'reservations',
      route: 'POST /api/connector/v1/reservations/getAll/2023-06-06',
      size: 10,
      total: async (sim) =>
        (await records(sim, 'reservations')).filter((r) => Date.parse(r.ScheduledStartUtc) < Date.parse('2026-04-01T00:00:00Z') && Date.parse(r.ScheduledEndUtc) > Date.parse('2026-01-01T00:00:00Z')).length,
    },
    write: { endpoint: 'createCustomer', route: 'POST /api/connector/v1/customers/add' },
    drift: { endpoint: 'single', property: 'State', field: 'State' },
    async sample(sim) {
      const ids = (await records(sim, 'reservations')).map((r) => r.Id);
      return { single: { id: ids[0] }, other: { id: ids[1] }, batchKeys: ids.slice(2, 5), page: { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }, write: guest('pms') };
    },
  },
  {
    name: 'pos',
    oauth: false,
    single: { endpoint: 'customerIdByEmail', route: 'POST /v2/customers/search' },
    batch: { endpoint: 'checksByCustomer', route: 'POST /v2/orders/search' },
    drift: { endpoint: 'batch', property: 'state', field: 'state' },
    async sample(sim) {
      const customers = await records(sim, 'customers');
      const orders = await records(sim, 'orders');
      const withChecks = [...new Set(orders.map((o) => o.customer_id).filter(Boolean))];
      return { single: { email: customers[0].email_address }, other: { email: customers[1].email_address }, batchKeys: withChecks.slice(0, 3) };
    },
  },
  {
    name: 'payments',
    oauth: false,
    single: { endpoint: 'paymentIntent', route: 'GET /v1/payment_intents/{intent}' },
    drift: { endpoint: 'single', property: 'status', field: 'status' },
    async sample(sim) {
      const ids = (await records(sim, 'payment_intents')).map((p) => p.id);
      return { single: { id: ids[0] }, other: { id: ids[1] } };
    },
  },
];
