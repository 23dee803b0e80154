import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RunningSimulator, SimulatorName } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { call, unique, type CallResult, type ReceivedWebhook } from './support.ts';

/**
 * One driver per simulator, so the contract suite (auth, faults, stats, encoded paths,
 * webhooks) runs the same assertions against all six. Each driver knows how to authenticate,
 * make one read of a seeded guest and one committing write, and how to verify the vendor's
 * webhook signature from scratch (independent of the simulator's own signing code).
 */
export interface Driver {
  readonly name: SimulatorName;
  /** Route keys as the stats report them. */
  readonly readRoute: string;
  readonly writeRoute: string;
  /** Route the encoded `..%2F..%2Fadmin` request is counted under. */
  readonly encodedRoute: string;
  /** Where `write()` adds a record. */
  readonly writeCollection: string;
  /** An event type and record id `POST /__admin/emit` accepts. */
  readonly emit: { type: string; id: string };
  authorize(sim: RunningSimulator): Promise<void>;
  read(sim: RunningSimulator): Promise<CallResult>;
  readWithoutAuth(sim: RunningSimulator): Promise<CallResult>;
  write(sim: RunningSimulator): Promise<CallResult>;
  encoded(sim: RunningSimulator): Promise<CallResult>;
  /** The vendor's own error envelope. */
  isVendorError(result: CallResult): boolean;
  verify(webhook: ReceivedWebhook, registeredUrl: string, sim: RunningSimulator): boolean;
}

const seed = seedData(42);
const guest = seed.guests[0]!;
const firstIntent = seed.orders.find((o) => o.stripe)!.stripe!.suffix;

const hmac = (key: string, data: string, encoding: 'base64' | 'hex') => createHmac('sha256', key).update(data).digest(encoding);
function same(a: string | string[] | undefined, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function tokenDriver(fetchToken: (sim: RunningSimulator) => Promise<string>) {
  const tokens = new Map<string, string>();
  return {
    async authorize(sim: RunningSimulator) {
      tokens.set(sim.url, await fetchToken(sim));
    },
    bearer: (sim: RunningSimulator) => ({ authorization: `Bearer ${tokens.get(sim.url) ?? 'none'}` }),
  };
}

const crmAuth = tokenDriver(async (sim) => {
  const r = await call(sim.url, '/oauth/v1/token', { form: { grant_type: 'client_credentials', client_id: sim.credentials.CLIENT_ID!, client_secret: sim.credentials.CLIENT_SECRET! } });
  return r.body.access_token as string;
});

const xeroAuth = tokenDriver(async (sim) => {
  const basic = Buffer.from(`${sim.credentials.CLIENT_ID}:${sim.credentials.CLIENT_SECRET}`).toString('base64');
  const r = await call(sim.url, '/connect/token', { headers: { authorization: `Basic ${basic}` }, form: { grant_type: 'client_credentials' } });
  return r.body.access_token as string;
});
const xeroHeaders = (sim: RunningSimulator) => ({ ...xeroAuth.bearer(sim), 'xero-tenant-id': sim.credentials.TENANT_ID! });

const mewsBody = (sim: RunningSimulator, body: Record<string, unknown>) => ({
  json: { ClientToken: sim.credentials.CLIENT_TOKEN, AccessToken: sim.credentials.ACCESS_TOKEN, Client: 'Interchange tests 1.0', ...body },
});

const shopHeaders = (sim: RunningSimulator) => ({ 'x-shopify-access-token': sim.credentials.ACCESS_TOKEN! });
const squareHeaders = (sim: RunningSimulator) => ({ authorization: `Bearer ${sim.credentials.ACCESS_TOKEN}`, 'square-version': '2025-01-23' });
const stripeHeaders = (sim: RunningSimulator) => ({ authorization: `Bearer ${sim.credentials.SECRET_KEY}` });

/** HubSpot decodes these escapes in the URI before signing (its documented table). */
const hubspotUri = (url: string) => url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (e) => decodeURIComponent(e));

export const drivers: Driver[] = [
  {
    name: 'crm',
    readRoute: 'GET /crm/v3/objects/contacts/{contactId}',
    writeRoute: 'POST /crm/v3/objects/contacts',
    encodedRoute: 'GET /crm/v3/objects/contacts/{contactId}',
    writeCollection: 'contacts',
    emit: { type: 'contact.propertyChange', id: guest.crmId },
    authorize: crmAuth.authorize,
    read: (sim) => call(sim.url, `/crm/v3/objects/contacts/${guest.crmId}`, { headers: crmAuth.bearer(sim) }),
    readWithoutAuth: (sim) => call(sim.url, `/crm/v3/objects/contacts/${guest.crmId}`),
    write: (sim) => call(sim.url, '/crm/v3/objects/contacts', { headers: crmAuth.bearer(sim), json: { properties: { email: `${unique('crm')}@example.com`, firstname: 'Test' } } }),
    encoded: (sim) => call(sim.url, '/crm/v3/objects/contacts/..%2F..%2Fadmin', { headers: crmAuth.bearer(sim) }),
    isVendorError: (r) => r.body?.status === 'error' && typeof r.body?.correlationId === 'string',
    verify(w, _url, sim) {
      const timestamp = String(w.headers['x-hubspot-request-timestamp']);
      return same(w.headers['x-hubspot-signature-v3'], hmac(sim.credentials.WEBHOOK_SECRET!, `${w.method}${hubspotUri(w.url)}${w.rawBody}${timestamp}`, 'base64'));
    },
  },
  {
    name: 'shop',
    readRoute: 'GET /admin/api/{version}/customers/{id}.json',
    writeRoute: 'POST /admin/api/{version}/customers.json',
    encodedRoute: 'GET /admin/api/{version}/customers/{id}.json',
    writeCollection: 'customers',
    emit: { type: 'customers/update', id: String(guest.shopId) },
    authorize: async () => undefined,
    read: (sim) => call(sim.url, `/admin/api/2025-01/customers/${guest.shopId}.json`, { headers: shopHeaders(sim) }),
    readWithoutAuth: (sim) => call(sim.url, `/admin/api/2025-01/customers/${guest.shopId}.json`),
    write: (sim) => call(sim.url, '/admin/api/2025-01/customers.json', { headers: shopHeaders(sim), json: { customer: { email: `${unique('shop')}@example.com`, first_name: 'Test' } } }),
    encoded: (sim) => call(sim.url, '/admin/api/2025-01/customers/..%2F..%2Fadmin.json', { headers: shopHeaders(sim) }),
    isVendorError: (r) => r.body !== undefined && 'errors' in r.body,
    verify: (w, _url, sim) => same(w.headers['x-shopify-hmac-sha256'], hmac(sim.credentials.WEBHOOK_SECRET!, w.rawBody, 'base64')),
  },
  {
    name: 'accounting',
    readRoute: 'GET /api.xro/2.0/Contacts/{ContactID}',
    writeRoute: 'PUT /api.xro/2.0/Contacts',
    encodedRoute: 'GET /api.xro/2.0/Contacts/{ContactID}',
    writeCollection: 'contacts',
    emit: { type: 'INVOICE.UPDATE', id: seed.orders[0]!.invoiceId },
    authorize: xeroAuth.authorize,
    read: (sim) => call(sim.url, `/api.xro/2.0/Contacts/${guest.xeroId}`, { headers: xeroHeaders(sim) }),
    readWithoutAuth: (sim) => call(sim.url, `/api.xro/2.0/Contacts/${guest.xeroId}`, { headers: { 'xero-tenant-id': sim.credentials.TENANT_ID! } }),
    write: (sim) => call(sim.url, '/api.xro/2.0/Contacts', { method: 'PUT', headers: xeroHeaders(sim), json: { Contacts: [{ Name: unique('Test Contact '), EmailAddress: `${unique('xero')}@example.com` }] } }),
    encoded: (sim) => call(sim.url, '/api.xro/2.0/Contacts/..%2F..%2Fadmin', { headers: xeroHeaders(sim) }),
    isVendorError: (r) => typeof r.body === 'object' && r.body !== null && ('Title' in r.body || 'Type' in r.body),
    verify: (w, _url, sim) => same(w.headers['x-xero-signature'], hmac(sim.credentials.WEBHOOK_KEY!, w.rawBody, 'base64')),
  },
  {
    name: 'pms',
    readRoute: 'POST /api/connector/v1/customers/getAll',
    writeRoute: 'POST /api/connector/v1/customers/add',
    encodedRoute: 'POST (no route)',
    writeCollection: 'customers',
    emit: { type: 'ServiceOrderUpdated', id: seed.reservations[0]!.id },
    authorize: async () => undefined,
    read: (sim) => call(sim.url, '/api/connector/v1/customers/getAll', mewsBody(sim, { CustomerIds: [guest.mewsId], Limitation: { Count: 10 } })),
    readWithoutAuth: (sim) => call(sim.url, '/api/connector/v1/customers/getAll', { json: { Client: 'x', CustomerIds: [guest.mewsId], Limitation: { Count: 10 } } }),
    write: (sim) => call(sim.url, '/api/connector/v1/customers/add', mewsBody(sim, { FirstName: 'Test', LastName: unique('Guest'), Email: `${unique('mews')}@example.com` })),
    encoded: (sim) => call(sim.url, '/api/connector/v1/customers/..%2F..%2Fadmin', mewsBody(sim, { Limitation: { Count: 1 } })),
    isVendorError: (r) => typeof r.body?.Message === 'string',
    verify: (w, _url, sim) => same(new URL(w.url).searchParams.get('secret') ?? undefined, sim.credentials.WEBHOOK_SECRET!),
  },
  {
    name: 'pos',
    readRoute: 'GET /v2/customers/{customer_id}',
    writeRoute: 'POST /v2/customers',
    encodedRoute: 'GET /v2/customers/{customer_id}',
    writeCollection: 'customers',
    emit: { type: 'order.updated', id: seed.checks[0]!.id },
    authorize: async () => undefined,
    read: (sim) => call(sim.url, `/v2/customers/${guest.squareId}`, { headers: squareHeaders(sim) }),
    readWithoutAuth: (sim) => call(sim.url, `/v2/customers/${guest.squareId}`),
    write: (sim) => call(sim.url, '/v2/customers', { headers: squareHeaders(sim), json: { idempotency_key: unique('k'), given_name: 'Test', email_address: `${unique('sq')}@example.com` } }),
    encoded: (sim) => call(sim.url, '/v2/customers/..%2F..%2Fadmin', { headers: squareHeaders(sim) }),
    isVendorError: (r) => Array.isArray(r.body?.errors) && typeof r.body.errors[0]?.category === 'string',
    verify: (w, registeredUrl, sim) => same(w.headers['x-square-hmacsha256-signature'], hmac(sim.credentials.SIGNATURE_KEY!, registeredUrl + w.rawBody, 'base64')),
  },
  {
    name: 'payments',
    readRoute: 'GET /v1/payment_intents/{intent}',
    writeRoute: 'POST /v1/payment_intents',
    encodedRoute: 'GET /v1/payment_intents/{intent}',
    writeCollection: 'payment_intents',
    emit: { type: 'payment_intent.succeeded', id: `pi_${firstIntent}` },
    authorize: async () => undefined,
    read: (sim) => call(sim.url, `/v1/payment_intents/pi_${firstIntent}`, { headers: stripeHeaders(sim) }),
    readWithoutAuth: (sim) => call(sim.url, `/v1/payment_intents/pi_${firstIntent}`),
    write: (sim) => call(sim.url, '/v1/payment_intents', { headers: stripeHeaders(sim), form: { amount: '1250', currency: 'eur', 'metadata[order]': '#9999' } }),
    encoded: (sim) => call(sim.url, '/v1/payment_intents/..%2F..%2Fadmin', { headers: stripeHeaders(sim) }),
    isVendorError: (r) => typeof r.body?.error?.type === 'string',
    verify(w, _url, sim) {
      const parts = Object.fromEntries(String(w.headers['stripe-signature']).split(',').map((p) => p.split('=') as [string, string]));
      return same(parts.v1, hmac(sim.credentials.WEBHOOK_SECRET!, `${parts.t}.${w.rawBody}`, 'hex'));
    },
  },
];
