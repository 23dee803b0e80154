import { randomUUID } from 'node:crypto';
import { Collection, MewsStore, type Json } from './pms-store.ts';
import { seedData } from './seed.ts';
import { isObject } from './sim/faults.ts';
import { isoSeconds } from './sim/ids.ts';
import { RollingWindow } from './sim/rate-limit.ts';
import type { Reply, RequestContext, RouteSpec, VendorOptions, VendorSimulator } from './sim/types.ts';

/**
 * Mews Connector API. Every operation is `POST /api/connector/v1/{resource}/{operation}` with
 * `ClientToken`, `AccessToken` and `Client` in the JSON body; reads are `getAll` with filters
 * and a required `Limitation { Count ≤ 1000, Cursor }`; intervals are UTC and at most 3 months
 * long; one portfolio token spans both hotels (enterprises); 200 calls per 30 s per token.
 *
 * Webhooks (Mews "general webhooks"): Mews does not sign them. As Mews support offers, the
 * shared secret travels in the target URL's query string as `?secret=<WEBHOOK_SECRET>`; the
 * simulator adds that parameter to the registered URL. Reservations are reported as
 * `ServiceOrderUpdated` (a reservation is a service order), customers as `CustomerAdded` /
 * `CustomerUpdated`; each event carries only `{ Id }`, to be fetched with `getAll`.
 */
export const PMS_CREDENTIALS = {
  CLIENT_TOKEN: 'E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D',
  ACCESS_TOKEN: 'C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D',
  WEBHOOK_SECRET: 'demo-mews-webhook-secret-41d8cd98f00b',
  INTEGRATION_ID: 'c8bee838-7fb1-4f4e-8fac-ac87008b2f90',
} as const;

const V1 = '/api/connector/v1';
const THREE_MONTHS_MS = 92 * 86_400_000;
const EVENT_TYPES = ['ServiceOrderUpdated', 'CustomerAdded', 'CustomerUpdated'] as const;
const CANCELLABLE = new Set(['Confirmed', 'Optional', 'Inquired']);

const bad = (message: string): Reply => ({ status: 400, body: { Message: message, RequestId: randomUUID() } });
type Filter = (item: Json) => boolean;

/** Reads a `{ StartUtc, EndUtc }` interval; a message when it is malformed or too long. */
function interval(body: Json, name: string): { start: number; end: number } | string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return `Invalid ${name}.`;
  const start = Date.parse(String(value.StartUtc));
  const end = Date.parse(String(value.EndUtc));
  if (Number.isNaN(start) || Number.isNaN(end) || start > end) return `Invalid ${name}: StartUtc and EndUtc must be UTC instants with StartUtc before EndUtc.`;
  if (end - start > THREE_MONTHS_MS) return `Invalid ${name}: the time interval exceeds the maximum length of 3 months.`;
  return { start, end };
}

/** An id/value list filter; undefined when absent, a message when it is not a list of ≤ 1000. */
function idList(body: Json, name: string): Set<string> | string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > 1000) return `Invalid ${name}: expected an array of at most 1000 items.`;
  return new Set(value.map((v) => String(v).toLowerCase()));
}

export function createPms({ seed, limits }: VendorOptions): VendorSimulator {
  const scale = limits === 'relaxed' ? 1000 : 1;
  const settings = { rateLimit: { max: 200 * scale, intervalMs: 30_000 } };
  const store = new MewsStore(seedData(seed));
  const window = new RollingWindow();
  const firstEnterprise = store.enterprises.items[0]!.Id as string;

  const webhook = (enterpriseId: string, events: Array<{ Discriminator: string; Id: string }>) => ({
    EnterpriseId: enterpriseId,
    IntegrationId: PMS_CREDENTIALS.INTEGRATION_ID,
    Events: events.map((e) => ({ Discriminator: e.Discriminator, Value: { Id: e.Id } })),
  });

  /** Shared getAll: validates list and interval filters, then pages with the Limitation. */
  function getAll(ctx: RequestContext, key: string, collection: Collection, lists: Record<string, (item: Json) => string>, intervals: Record<string, (item: Json) => [number, number]>, extra: Filter[] = []): Reply {
    const body = ctx.body as Json;
    const limitation = body.Limitation;
    if (!isObject(limitation) || !Number.isInteger(limitation.Count) || (limitation.Count as number) < 1 || (limitation.Count as number) > 1000) {
      return bad('Invalid Limitation: Count is required and must be between 1 and 1000.');
    }
    const filters: Filter[] = [...extra];
    for (const [name, field] of Object.entries(lists)) {
      const set = idList(body, name);
      if (typeof set === 'string') return bad(set);
      if (set) filters.push((item) => set.has(field(item).toLowerCase()));
    }
    for (const [name, range] of Object.entries(intervals)) {
      const value = interval(body, name);
      if (typeof value === 'string') return bad(value);
      if (value) filters.push((item) => { const [from, to] = range(item); return from <= value.end && to >= value.start; });
    }
    const cursor = typeof limitation.Cursor === 'string' ? limitation.Cursor : undefined;
    const result = collection.page((item) => filters.every((f) => f(item)), limitation.Count as number, cursor);
    if (!result) return bad('Invalid Cursor.');
    return { status: 200, body: { [key]: result.page, Cursor: result.cursor } };
  }

  const at = (field: string) => (item: Json): [number, number] => { const t = Date.parse(String(item[field])); return [t, t]; };
  const str = (field: string) => (item: Json) => String(item[field] ?? '');

  function addCustomer(ctx: RequestContext): Reply {
    const body = ctx.body as Json;
    if (typeof body.LastName !== 'string' || body.LastName.trim() === '') return bad('Invalid LastName.');
    const email = typeof body.Email === 'string' ? body.Email.toLowerCase() : undefined;
    const existing = email ? store.customers.items.find((c) => String(c.Email ?? '').toLowerCase() === email) : undefined;
    if (existing) {
      if (body.OverwriteExisting !== true) return bad(`A customer with the email ${String(body.Email)} already exists.`);
      return updateCustomer(ctx, existing, body);
    }
    const customer = store.customer(body, randomUUID(), ctx.now);
    store.customers.add(customer);
    ctx.emit(webhook(firstEnterprise, [{ Discriminator: 'CustomerAdded', Id: customer.Id as string }]));
    return { status: 200, body: customer };
  }

  /** Mews updates take plain values; a missing or null value keeps what is stored. */
  function updateCustomer(ctx: RequestContext, customer: Json, body: Json): Reply {
    const email = typeof body.Email === 'string' ? body.Email.toLowerCase() : undefined;
    if (email && store.customers.items.some((c) => c !== customer && String(c.Email ?? '').toLowerCase() === email)) {
      return bad(`A customer with the email ${String(body.Email)} already exists.`);
    }
    const fields = ['Title', 'FirstName', 'LastName', 'SecondLastName', 'NationalityCode', 'Sex', 'BirthDate', 'BirthPlace', 'Email', 'Phone', 'LoyaltyCode', 'Notes', 'CarRegistrationNumber', 'TaxIdentificationNumber', 'Address', 'Classifications', 'Options'];
    for (const f of fields) if (body[f] !== undefined && body[f] !== null) customer[f] = body[f];
    customer.UpdatedUtc = isoSeconds(ctx.now);
    ctx.emit(webhook(firstEnterprise, [{ Discriminator: 'CustomerUpdated', Id: customer.Id as string }]));
    return { status: 200, body: customer };
  }

  function addReservations(ctx: RequestContext): Reply {
    const body = ctx.body as Json;
    const service = store.services.byId.get(String(body.ServiceId));
    if (!service) return bad('Invalid ServiceId.');
    if (!Array.isArray(body.Reservations) || body.Reservations.length === 0 || body.Reservations.length > 1000) return bad('Invalid Reservations.');
    const inputs = body.Reservations.map((r) => (isObject(r) ? r : {}));
    for (const r of inputs) {
      const start = Date.parse(String(r.StartUtc));
      const end = Date.parse(String(r.EndUtc));
      if (Number.isNaN(start) || Number.isNaN(end) || start >= end) return bad('Invalid StartUtc or EndUtc: EndUtc must be after StartUtc.');
      if (!store.customers.byId.has(String(r.CustomerId))) return bad(`Invalid CustomerId ${String(r.CustomerId)}.`);
      const category = store.categories.byId.get(String(r.RequestedCategoryId));
      if (!category || category.ServiceId !== service.Id) return bad(`Invalid RequestedCategoryId ${String(r.RequestedCategoryId)}.`);
      const counts = Array.isArray(r.PersonCounts) ? r.PersonCounts : [];
      const valid = counts.length > 0 && counts.every((p) => isObject(p) && store.ageCategories.byId.get(String(p.AgeCategoryId))?.ServiceId === service.Id && Number(p.Count) > 0);
      if (!valid) return bad('Invalid PersonCounts.');
      if (r.State !== undefined && !['Confirmed', 'Optional', 'Inquired'].includes(String(r.State))) return bad(`Invalid State ${String(r.State)}.`);
    }
    const created = inputs.map((r) => {
      const reservation = store.reservation({
        id: randomUUID(), enterpriseId: service.EnterpriseId as string, serviceId: service.Id as string, customerId: String(r.CustomerId),
        number: String(store.nextReservationNumber++), state: String(r.State ?? 'Confirmed'), startUtc: Date.parse(String(r.StartUtc)),
        endUtc: Date.parse(String(r.EndUtc)), categoryId: String(r.RequestedCategoryId), resourceId: null,
        personCounts: (r.PersonCounts as Json[]).map((p) => ({ AgeCategoryId: p.AgeCategoryId, Count: Number(p.Count) })),
        createdUtc: ctx.now, updatedUtc: ctx.now, origin: 'Connector',
      });
      store.reservations.add(reservation);
      return { Identifier: r.Identifier ?? null, Reservation: reservation };
    });
    ctx.emit(webhook(service.EnterpriseId as string, created.map((c) => ({ Discriminator: 'ServiceOrderUpdated', Id: c.Reservation.Id as string }))));
    return { status: 200, body: { Reservations: created } };
  }

  function cancelReservations(ctx: RequestContext): Reply {
    const body = ctx.body as Json;
    const ids = Array.isArray(body.ReservationIds) ? body.ReservationIds.map(String) : [];
    if (ids.length === 0) return bad('Invalid ReservationIds.');
    const found = ids.map((id) => store.reservations.byId.get(id));
    const missing = ids.find((_, i) => !found[i]);
    if (missing) return bad(`Invalid ReservationIds: ${missing} not found.`);
    const blocked = found.find((r) => !CANCELLABLE.has(String(r!.State)));
    if (blocked) return bad(`Reservation ${String(blocked.Number)} in state ${String(blocked.State)} cannot be canceled.`);
    for (const r of found) Object.assign(r!, { State: 'Canceled', CancelledUtc: isoSeconds(ctx.now), UpdatedUtc: isoSeconds(ctx.now) });
    ctx.emit(webhook(found[0]!.EnterpriseId as string, ids.map((id) => ({ Discriminator: 'ServiceOrderUpdated', Id: id }))));
    return { status: 200, body: {} };
  }

  const read = (path: string, handle: (ctx: RequestContext) => Reply): RouteSpec => ({ method: 'POST', path: `${V1}/${path}`, write: false, handle });
  const write = (path: string, handle: (ctx: RequestContext) => Reply): RouteSpec => ({ method: 'POST', path: `${V1}/${path}`, write: true, handle });
  const enterpriseOf = (item: Json) => String(item.EnterpriseId ?? '');

  const routes: RouteSpec[] = [
    read('configuration/get', (ctx) => {
      const id = (ctx.body as Json).EnterpriseId;
      const enterprise = store.enterprises.byId.get(typeof id === 'string' ? id : firstEnterprise);
      return enterprise ? { status: 200, body: { NowUtc: isoSeconds(ctx.now), Enterprise: enterprise, IsIdentityDocumentNumberRequired: false } } : bad('Invalid EnterpriseId.');
    }),
    read('enterprises/getAll', (ctx) => getAll(ctx, 'Enterprises', store.enterprises, { EnterpriseIds: str('Id') }, { UpdatedUtc: at('UpdatedUtc') })),
    read('services/getAll', (ctx) => getAll(ctx, 'Services', store.services, { ServiceIds: str('Id'), EnterpriseIds: enterpriseOf }, { UpdatedUtc: at('UpdatedUtc') })),
    read('resourceCategories/getAll', (ctx) => getAll(ctx, 'ResourceCategories', store.categories, { ResourceCategoryIds: str('Id'), ServiceIds: str('ServiceId'), EnterpriseIds: enterpriseOf }, {})),
    read('resources/getAll', (ctx) => getAll(ctx, 'Resources', store.resources, { ResourceIds: str('Id'), EnterpriseIds: enterpriseOf }, {})),
    read('ageCategories/getAll', (ctx) => getAll(ctx, 'AgeCategories', store.ageCategories, { AgeCategoryIds: str('Id'), ServiceIds: str('ServiceId') }, {})),
    read('customers/getAll', (ctx) => getAll(ctx, 'Customers', store.customers,
      { CustomerIds: str('Id'), Emails: str('Email'), FirstNames: str('FirstName'), LastNames: str('LastName'), LoyaltyCodes: str('LoyaltyCode'), ActivityStates: str('ActivityState') },
      { CreatedUtc: at('CreatedUtc'), UpdatedUtc: at('UpdatedUtc') })),
    write('customers/add', addCustomer),
    write('customers/update', (ctx) => {
      const customer = store.customers.byId.get(String((ctx.body as Json).CustomerId));
      return customer ? updateCustomer(ctx, customer, ctx.body as Json) : bad('Invalid CustomerId.');
    }),
    read('reservations/getAll/2023-06-06', (ctx) => getAll(ctx, 'Reservations', store.reservations,
      { ReservationIds: str('Id'), AccountIds: str('AccountId'), EnterpriseIds: enterpriseOf, ServiceIds: str('ServiceId'), Numbers: str('Number'), States: str('State') },
      {
        // Colliding means overlapping: start < interval end and end > interval start.
        CollidingUtc: (r) => [Date.parse(String(r.ScheduledStartUtc)) + 1, Date.parse(String(r.ScheduledEndUtc)) - 1],
        ScheduledStartUtc: at('ScheduledStartUtc'), ScheduledEndUtc: at('ScheduledEndUtc'), UpdatedUtc: at('UpdatedUtc'), CreatedUtc: at('CreatedUtc'),
      })),
    write('reservations/add', addReservations),
    write('reservations/cancel', cancelReservations),
  ];

  return {
    name: 'pms',
    credentials: { CLIENT_TOKEN: PMS_CREDENTIALS.CLIENT_TOKEN, ACCESS_TOKEN: PMS_CREDENTIALS.ACCESS_TOKEN, WEBHOOK_SECRET: PMS_CREDENTIALS.WEBHOOK_SECRET, ENTERPRISE_IDS: store.enterprises.items.map((e) => e.Id).join(',') },
    settings,
    routes,
    guard(ctx) {
      const body = isObject(ctx.body) ? ctx.body : {};
      if (body.ClientToken !== PMS_CREDENTIALS.CLIENT_TOKEN) return { status: 401, body: { Message: 'Invalid ClientToken.', RequestId: randomUUID() } };
      if (body.AccessToken !== PMS_CREDENTIALS.ACCESS_TOKEN) return { status: 401, body: { Message: 'Invalid AccessToken.', RequestId: randomUUID() } };
      if (typeof body.Client !== 'string' || body.Client.trim() === '') return bad('Invalid Client.');
      const taken = window.take(ctx.now, settings.rateLimit.max, settings.rateLimit.intervalMs);
      return taken.allowed ? undefined : tooMany(Math.ceil(taken.retryAfterMs / 1000));
    },
    errorReply(_ctx, status, retryAfterSeconds) {
      if (status === 429) return tooMany(retryAfterSeconds ?? 1);
      if (status === 401) return { status, body: { Message: 'Invalid AccessToken.', RequestId: randomUUID() } };
      if (status === 404) return { status, body: { Message: 'Operation not found.', RequestId: randomUUID() } };
      if (status >= 500) return { status, body: { Message: 'Server error: the operation could not be completed, retry later.', RequestId: randomUUID() } };
      return bad('Bad request.');
    },
    notFound: () => ({ status: 404, body: { Message: 'Operation not found.', RequestId: randomUUID() } }),
    badRequest: (_ctx, message) => bad(`Invalid JSON: ${message}`),
    collections: () => ({
      enterprises: store.enterprises.items, services: store.services.items, resourceCategories: store.categories.items,
      resources: store.resources.items, ageCategories: store.ageCategories.items, customers: store.customers.items, reservations: store.reservations.items,
    }),
    webhooks: {
      types: EVENT_TYPES,
      build(type, id) {
        if (type === 'ServiceOrderUpdated') {
          const r = store.reservations.byId.get(id);
          return r && webhook(r.EnterpriseId as string, [{ Discriminator: type, Id: id }]);
        }
        return store.customers.byId.has(id) ? webhook(firstEnterprise, [{ Discriminator: type, Id: id }]) : undefined;
      },
      sign(url) {
        const target = new URL(url);
        if (!target.searchParams.has('secret')) target.searchParams.set('secret', PMS_CREDENTIALS.WEBHOOK_SECRET);
        return { url: target.toString(), headers: { 'user-agent': 'Mews-Webhooks' } };
      },
    },
  };
}

function tooMany(retryAfterSeconds: number): Reply {
  return { status: 429, headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)) }, body: { Message: 'Too many requests: the limit of requests per access token was exceeded.', RequestId: randomUUID() } };
}
