import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ACCOUNTS, amount, msDate, parseXeroDate, XeroStore, contactRecord, type Json } from './accounting-store.ts';
import { seedData } from './seed.ts';
import { isObject } from './sim/faults.ts';
import { IdempotencyStore } from './sim/idempotency.ts';
import { randomString } from './sim/ids.ts';
import { RollingWindow } from './sim/rate-limit.ts';
import { bearer, TokenStore } from './sim/tokens.ts';
import type { Reply, RequestContext, RouteSpec, VendorOptions, VendorSimulator } from './sim/types.ts';
import { parseWhere } from './xero-where.ts';

/**
 * Xero Accounting 2.0 (custom connection). Client-credentials tokens with HTTP Basic client
 * auth, the organisation named in `xero-tenant-id`, PascalCase records in a plural envelope,
 * `/Date(ms+0000)/` dates, `IDs=` / `where=` / `page=` reads, 60 calls a minute and 5 at once
 * per tenant, `Idempotency-Key` on writes, a plain-text 404, and webhooks signed with base64
 * HMAC-SHA256 of the body under the webhook key.
 */
export const ACCOUNTING_CREDENTIALS = {
  CLIENT_ID: 'DEMO0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C',
  CLIENT_SECRET: 'demo-xero-client-secret-e5b1c93f0a7d42',
  TENANT_ID: '9f3c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b',
  WEBHOOK_KEY: 'demo-xero-webhook-key-Qm9vdHN0cmFwS2V5MTIz',
} as const;

const A = '/api.xro/2.0';
const NOT_FOUND = "The resource you're looking for cannot be found";
const EVENT_TYPES = ['INVOICE.UPDATE', 'INVOICE.CREATE', 'CONTACT.UPDATE', 'CONTACT.CREATE'] as const;

const problem = (status: number, title: string, detail: string, headers?: Record<string, string>): Reply => ({
  status, body: { Type: null, Title: title, Status: status, Detail: detail }, ...(headers ? { headers } : {}),
});
const notFound = (): Reply => ({ status: 404, body: NOT_FOUND });
const validation = (elements: Json[]): Reply => ({
  status: 400,
  body: { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred', Elements: elements },
});

function envelope(key: string, items: unknown[], extra: Json = {}): Json {
  return { Id: randomUUID(), Status: 'OK', ProviderName: 'Interchange Demo', DateTimeUTC: msDate(Date.now()), ...extra, [key]: items };
}

function expiredAt(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(0, 4)} ${d.slice(11, 19)}`;
}

export function createAccounting({ seed, limits }: VendorOptions): VendorSimulator {
  const scale = limits === 'relaxed' ? 1000 : 1;
  const settings = {
    tokenTtlSeconds: 1800,
    rateLimit: { perMinute: 60 * scale, concurrent: 5 * scale, perDay: 5000 * scale, appPerMinute: 10_000 * scale },
  };
  const store = new XeroStore(seedData(seed));
  const tokens = new TokenStore();
  const idempotency = new IdempotencyStore();
  const [minute, day, app] = [new RollingWindow(), new RollingWindow(), new RollingWindow()];
  let inFlight = 0;
  let eventSequence = 1;
  const contactFields = new Set(Object.keys(store.contacts[0] ?? {}));
  const invoiceFields = new Set(Object.keys(store.invoices[0] ?? {}).concat('FullyPaidOnDate'));

  function events(ctx: RequestContext | { baseUrl: string; now: number }, category: 'INVOICE' | 'CONTACT', type: 'CREATE' | 'UPDATE', ids: string[]): Json {
    const first = eventSequence;
    eventSequence += ids.length;
    return {
      events: ids.map((id) => ({
        resourceUrl: `${ctx.baseUrl}${A}/${category === 'INVOICE' ? 'Invoices' : 'Contacts'}/${id}`,
        resourceId: id,
        eventDateUtc: new Date(ctx.now).toISOString().replace('Z', ''),
        eventType: type,
        eventCategory: category,
        tenantId: ACCOUNTING_CREDENTIALS.TENANT_ID,
        tenantType: 'ORGANISATION',
      })),
      firstEventSequence: first,
      lastEventSequence: eventSequence - 1,
      entropy: randomString('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 20),
    };
  }

  function token(ctx: RequestContext): Reply {
    const basic = /^basic\s+(\S+)$/i.exec(ctx.header('authorization') ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
    if (id !== ACCOUNTING_CREDENTIALS.CLIENT_ID || secret !== ACCOUNTING_CREDENTIALS.CLIENT_SECRET) return { status: 400, body: { error: 'invalid_client' } };
    const form = isObject(ctx.body) ? ctx.body : {};
    if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const ttl = settings.tokenTtlSeconds;
    const seconds = Math.floor(ctx.now / 1000);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // Shaped like Xero's JWT access tokens; the gateway must treat it as opaque all the same.
    const jwt = [
      part({ alg: 'RS256', kid: '1CAF8E66772D6DC028D6726FD0261581570EFC19', typ: 'JWT' }),
      part({ nbf: seconds, exp: seconds + ttl, iss: 'https://identity.xero.com', aud: 'https://identity.xero.com/resources', client_id: id, jti: randomUUID(), scope: ['accounting.transactions', 'accounting.contacts'] }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    tokens.issue(ctx.now, ttl, jwt);
    return { status: 200, body: { access_token: jwt, expires_in: ttl, token_type: 'Bearer', scope: 'accounting.transactions accounting.contacts' } };
  }

  function authenticate(ctx: RequestContext): Reply | undefined {
    const check = tokens.check(bearer(ctx.header('authorization')), ctx.now);
    if (check.state === 'valid') return undefined;
    if (check.state === 'unknown') return problem(401, 'Unauthorized', 'AuthenticationUnsuccessful', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const at = expiredAt(check.expiresAt);
    return problem(401, 'Unauthorized', `TokenExpired: token expired at ${at}`, {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="The token expired at '${at}'"`,
    });
  }

  function rateLimited(problemKind: string, retryAfterSeconds: number): Reply {
    return problem(429, 'Too Many Requests', `Rate limit exceeded: ${problemKind}`, {
      'Retry-After': String(Math.max(1, retryAfterSeconds)),
      'X-Rate-Limit-Problem': problemKind,
    });
  }

  function list(ctx: RequestContext, key: 'Contacts' | 'Invoices', records: Json[], byId: Map<string, Json>, filters: Array<(r: Json) => boolean>): Reply {
    const q = ctx.query;
    const ids = q.get('IDs');
    let items = ids ? ids.split(',').map((id) => byId.get(id.trim())).filter((r): r is Json => r !== undefined) : records;
    const where = q.get('where');
    if (where) {
      const parsed = parseWhere(where, key === 'Contacts' ? contactFields : invoiceFields, key === 'Contacts' ? 'Contact' : 'Invoice');
      if (!parsed.ok) return { status: 400, body: { ErrorNumber: 16, Type: 'QueryParseException', Message: parsed.message } };
      filters.push(parsed.match);
    }
    const since = ctx.header('if-modified-since');
    if (since && !Number.isNaN(Date.parse(since))) filters.push((r) => (parseXeroDate(r.UpdatedDateUTC) ?? 0) > Date.parse(since));
    items = items.filter((r) => filters.every((f) => f(r)));
    const pageParam = q.get('page');
    const extra: Json = {};
    if (pageParam !== null) {
      const page = Math.max(1, Math.floor(Number(pageParam)) || 1);
      const pageSize = Math.min(1000, Math.max(1, Math.floor(Number(q.get('pageSize') ?? 100)) || 100));
      extra.pagination = { page, pageSize, pageCount: Math.ceil(items.length / pageSize), itemCount: items.length };
      items = items.slice((page - 1) * pageSize, page * pageSize);
    }
    // Why: like Xero, an unpaged list of invoices is a summary without line items.
    const summary = key === 'Invoices' && ((pageParam === null && !ids) || q.get('summaryOnly') === 'true');
    const out = summary ? items.map(({ LineItems: _omit, ...rest }) => rest) : items;
    return { status: 200, body: envelope(key, out, extra) };
  }

  async function keyed(ctx: RequestContext, write: () => Reply): Promise<Reply> {
    const key = ctx.header('idempotency-key');
    if (key === undefined) return write();
    if (key.length > 128) return validation([{ ValidationErrors: [{ Message: 'Idempotency-Key must be 128 characters or fewer' }] }]);
    ctx.idempotencyKey = key;
    const outcome = await idempotency.run(key, ctx.route, write);
    if (outcome.kind === 'fresh' || outcome.kind === 'replayed') return outcome.reply;
    if (outcome.kind === 'in_flight') return problem(409, 'Conflict', 'A request with this Idempotency-Key is already in progress');
    return problem(400, 'Bad Request', 'This Idempotency-Key was used with a different endpoint');
  }

  function saveContacts(ctx: RequestContext, pathId?: string): Reply {
    const body = ctx.body;
    const items: unknown[] | undefined = isObject(body) ? (Array.isArray(body.Contacts) ? body.Contacts : [body]) : undefined;
    if (!items || items.length === 0) return validation([{ ValidationErrors: [{ Message: 'The request body must contain Contacts' }] }]);
    const names = new Set<string>();
    const checked = items.map((raw) => {
      const item = isObject(raw) ? raw : {};
      const id = pathId ?? (typeof item.ContactID === 'string' ? item.ContactID : undefined);
      const existing = id ? store.contactsById.get(id) : undefined;
      const errors: string[] = [];
      const name = String(item.Name ?? existing?.Name ?? '').trim();
      if (id && !existing) errors.push(`The contact with ContactID ${id} could not be found`);
      if (!name) errors.push('The contact name must be specified.');
      const owner = name ? store.contactByName(name) : undefined;
      if (name && ((owner && owner !== existing) || names.has(name.toLowerCase()))) {
        errors.push(`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`);
      }
      names.add(name.toLowerCase());
      return { item, existing, errors };
    });
    const summarize = ctx.query.get('summarizeErrors') !== 'false';
    if (summarize && checked.some((c) => c.errors.length > 0)) {
      return validation(checked.map((c) => ({ ...c.item, ValidationErrors: c.errors.map((Message) => ({ Message })) })));
    }
    const saved: Json[] = [];
    const created: string[] = [];
    const updated: string[] = [];
    for (const { item, existing, errors } of checked) {
      if (errors.length > 0) {
        saved.push({ ...item, StatusAttributeString: 'ERROR', ValidationErrors: errors.map((Message) => ({ Message })) });
        continue;
      }
      let record: Json;
      if (existing) {
        const { ContactID: _id, ...changes } = item;
        record = Object.assign(existing, changes, { UpdatedDateUTC: msDate(ctx.now) });
        updated.push(record.ContactID as string);
      } else {
        record = contactRecord(undefined, item, ctx.now);
        store.addContact(record);
        created.push(record.ContactID as string);
      }
      saved.push(summarize ? record : { ...record, StatusAttributeString: 'OK' });
    }
    if (created.length > 0) ctx.emit(events(ctx, 'CONTACT', 'CREATE', created));
    if (updated.length > 0) ctx.emit(events(ctx, 'CONTACT', 'UPDATE', updated));
    return { status: 200, body: envelope('Contacts', saved) };
  }

  function savePayments(ctx: RequestContext): Reply {
    const body = ctx.body;
    const items: unknown[] | undefined = isObject(body) ? (Array.isArray(body.Payments) ? body.Payments : [body]) : undefined;
    if (!items || items.length === 0) return validation([{ ValidationErrors: [{ Message: 'The request body must contain Payments' }] }]);
    const remaining = new Map<string, number>();
    const checked = items.map((raw) => {
      const item = isObject(raw) ? raw : {};
      const ref = isObject(item.Invoice) ? item.Invoice : {};
      const invoice = typeof ref.InvoiceID === 'string' ? store.invoicesById.get(ref.InvoiceID) : store.invoicesByNumber.get(String(ref.InvoiceNumber));
      const acc = isObject(item.Account) ? item.Account : {};
      const account = Object.values(ACCOUNTS).find((a) => a.Code === acc.Code || a.AccountID === acc.AccountID);
      const value = Number(item.Amount);
      const errors: string[] = [];
      if (!invoice) errors.push('Invoice could not be found');
      else if (invoice.Status !== 'AUTHORISED') errors.push(`Payments can only be made against AUTHORISED invoices; this invoice is ${String(invoice.Status)}`);
      if (!account) errors.push('Account could not be found');
      else if (account.Type !== 'BANK') errors.push('Payments can only be made to or from bank accounts or accounts with EnablePaymentsToAccount set');
      if (!(value > 0)) errors.push('Payment amount must be greater than zero');
      if (invoice && value > 0) {
        const due = remaining.get(invoice.InvoiceID as string) ?? Math.round((invoice.AmountDue as number) * 100);
        if (Math.round(value * 100) > due) errors.push('Payment amount exceeds the amount outstanding on this document');
        remaining.set(invoice.InvoiceID as string, due - Math.round(value * 100));
      }
      const date = item.Date === undefined ? ctx.now : parseXeroDate(item.Date);
      if (date === undefined) errors.push('The Date is not in a valid format (yyyy-mm-dd)');
      return { item, invoice, account, value, date: date ?? ctx.now, errors };
    });
    if (checked.some((c) => c.errors.length > 0)) {
      return validation(checked.map((c) => ({ ...c.item, ValidationErrors: c.errors.map((Message) => ({ Message })) })));
    }
    const saved = checked.map(({ item, invoice, account, value, date }) => {
      const id = randomUUID();
      const reference = typeof item.Reference === 'string' ? item.Reference : null;
      store.applyPayment(invoice!, { PaymentID: id, Date: date, Amount: amount(value * 100), Reference: reference }, ctx.now);
      const payment = store.paymentRecord(invoice!, id, date, amount(value * 100), reference, account!.Code, ctx.now);
      store.payments.push(payment);
      store.paymentsById.set(id, payment);
      return payment;
    });
    ctx.emit(events(ctx, 'INVOICE', 'UPDATE', [...new Set(saved.map((p) => (p.Invoice as Json).InvoiceID as string))]));
    return { status: 200, body: envelope('Payments', saved) };
  }

  const csv = (ctx: RequestContext, name: string) => ctx.query.get(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  const contactOf = (id: string) => store.contactsById.get(id);
  // Like Xero, an invoice can be addressed by its InvoiceID or its InvoiceNumber.
  const invoiceOf = (id: string) => store.invoicesById.get(id) ?? store.invoicesByNumber.get(id);

  const routes: RouteSpec[] = [
    { method: 'POST', path: '/connect/token', public: true, write: false, handle: token },
    {
      method: 'GET', path: '/connections', public: true,
      handle: (ctx) => authenticate(ctx) ?? {
        status: 200,
        body: [{ id: '4f8b8a05-5c1e-4d6d-9a3e-7b0f1c2d3e4f', authEventId: '0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e', tenantId: ACCOUNTING_CREDENTIALS.TENANT_ID, tenantType: 'ORGANISATION', tenantName: 'Hotel Aurora Group', createdDateUtc: '2024-02-01T09:00:00.0000000', updatedDateUtc: '2024-02-01T09:00:00.0000000' }],
      },
    },
    { method: 'GET', path: `${A}/Organisation`, handle: () => ({ status: 200, body: envelope('Organisations', [{ Name: 'Hotel Aurora Group', LegalName: 'Hotel Aurora Group S.L.', BaseCurrency: 'EUR', CountryCode: 'ES', OrganisationType: 'COMPANY', OrganisationStatus: 'ACTIVE', Timezone: 'ROMANCESTANDARDTIME' }]) }) },
    {
      method: 'GET', path: `${A}/Contacts`,
      handle: (ctx) => {
        const term = ctx.query.get('searchTerm')?.toLowerCase();
        const archived = ctx.query.get('includeArchived') === 'true';
        return list(ctx, 'Contacts', store.contacts, store.contactsById, [
          (c) => archived || c.ContactStatus !== 'ARCHIVED',
          (c) => !term || ['Name', 'FirstName', 'LastName', 'EmailAddress'].some((f) => String(c[f] ?? '').toLowerCase().includes(term)),
        ]);
      },
    },
    { method: 'GET', path: `${A}/Contacts/{ContactID}`, handle: (ctx) => { const c = contactOf(ctx.params.ContactID ?? ''); return c ? { status: 200, body: envelope('Contacts', [c]) } : notFound(); } },
    { method: 'POST', path: `${A}/Contacts`, handle: (ctx) => keyed(ctx, () => saveContacts(ctx)) },
    { method: 'PUT', path: `${A}/Contacts`, handle: (ctx) => keyed(ctx, () => saveContacts(ctx)) },
    { method: 'POST', path: `${A}/Contacts/{ContactID}`, handle: (ctx) => (store.contactsById.has(ctx.params.ContactID ?? '') ? keyed(ctx, () => saveContacts(ctx, ctx.params.ContactID)) : notFound()) },
    {
      method: 'GET', path: `${A}/Invoices`,
      handle: (ctx) => {
        const numbers = csv(ctx, 'InvoiceNumbers');
        const contacts = csv(ctx, 'ContactIDs');
        const statuses = csv(ctx, 'Statuses');
        return list(ctx, 'Invoices', store.invoices, store.invoicesById, [
          (i) => !numbers || numbers.includes(i.InvoiceNumber as string),
          (i) => !contacts || contacts.includes((i.Contact as Json).ContactID as string),
          (i) => !statuses || statuses.includes(i.Status as string),
        ]);
      },
    },
    { method: 'GET', path: `${A}/Invoices/{InvoiceID}`, handle: (ctx) => { const i = invoiceOf(ctx.params.InvoiceID ?? ''); return i ? { status: 200, body: envelope('Invoices', [i]) } : notFound(); } },
    { method: 'GET', path: `${A}/Payments`, handle: () => ({ status: 200, body: envelope('Payments', store.payments) }) },
    { method: 'GET', path: `${A}/Payments/{PaymentID}`, handle: (ctx) => { const p = store.paymentsById.get(ctx.params.PaymentID ?? ''); return p ? { status: 200, body: envelope('Payments', [p]) } : notFound(); } },
    { method: 'PUT', path: `${A}/Payments`, handle: (ctx) => keyed(ctx, () => savePayments(ctx)) },
    { method: 'POST', path: `${A}/Payments`, handle: (ctx) => keyed(ctx, () => savePayments(ctx)) },
  ];

  return {
    name: 'accounting',
    credentials: { ...ACCOUNTING_CREDENTIALS },
    settings,
    routes,
    decorate(ctx) {
      ctx.responseHeaders['Xero-Correlation-Id'] = randomUUID();
    },
    guard(ctx) {
      const unauthenticated = authenticate(ctx);
      if (unauthenticated) return unauthenticated;
      if (ctx.header('xero-tenant-id') !== ACCOUNTING_CREDENTIALS.TENANT_ID) return problem(403, 'Forbidden', 'AuthenticationUnsuccessful');
      const { perMinute, concurrent, perDay, appPerMinute } = settings.rateLimit;
      const checks = [['minute', minute.peek(ctx.now, perMinute, 60_000)], ['day', day.peek(ctx.now, perDay, 86_400_000)], ['appminute', app.peek(ctx.now, appPerMinute, 60_000)]] as const;
      const remaining = (i: number, taken: number) => String(Math.max(0, checks[i]![1].remaining - taken));
      const taken = inFlight < concurrent && checks.every(([, c]) => c.allowed) ? 1 : 0;
      Object.assign(ctx.responseHeaders, { 'X-MinLimit-Remaining': remaining(0, taken), 'X-DayLimit-Remaining': remaining(1, taken), 'X-AppMinLimit-Remaining': remaining(2, taken) });
      if (inFlight >= concurrent) return rateLimited('concurrent', 1);
      const blocked = checks.find(([, c]) => !c.allowed);
      if (blocked) return rateLimited(blocked[0], Math.ceil(blocked[1].retryAfterMs / 1000));
      minute.take(ctx.now, perMinute, 60_000);
      day.take(ctx.now, perDay, 86_400_000);
      app.take(ctx.now, appPerMinute, 60_000);
      inFlight += 1;
      ctx.defer(() => { inFlight -= 1; });
      return undefined;
    },
    errorReply(_ctx, status, retryAfterSeconds) {
      if (status === 429) return rateLimited('minute', retryAfterSeconds ?? 1);
      if (status === 404) return notFound();
      if (status === 401) return problem(401, 'Unauthorized', 'AuthenticationUnsuccessful');
      if (status === 503) return problem(503, 'Service Unavailable', 'The Xero API is temporarily unavailable');
      if (status >= 500) return { status, body: { ErrorNumber: 500, Type: 'UnknownErrorException', Message: 'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.' } };
      return problem(status, 'Bad Request', 'The request could not be processed');
    },
    notFound,
    badRequest: (_ctx, message) => ({ status: 400, body: { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: `JSON for post data was invalid: ${message}` } }),
    collections: () => ({ contacts: store.contacts, invoices: store.invoices, payments: store.payments }),
    webhooks: {
      types: EVENT_TYPES,
      build(type, id, _extra, baseUrl) {
        const [category, kind] = type.split('.') as ['INVOICE' | 'CONTACT', 'CREATE' | 'UPDATE'];
        const exists = category === 'INVOICE' ? store.invoicesById.has(id) : store.contactsById.has(id);
        return exists ? events({ baseUrl, now: Date.now() }, category, kind, [id]) : undefined;
      },
      sign(url, rawBody) {
        return { url, headers: { 'x-xero-signature': createHmac('sha256', ACCOUNTING_CREDENTIALS.WEBHOOK_KEY).update(rawBody).digest('base64') } };
      },
    },
  };
}
