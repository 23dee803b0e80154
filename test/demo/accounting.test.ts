import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, unique } from './support.ts';

const seed = seedData(42);
const API = '/api.xro/2.0';
const MS_DATE = /^\/Date\(\d+\+0000\)\/$/;

async function connect(sim: RunningSimulator): Promise<Record<string, string>> {
  const basic = Buffer.from(`${sim.credentials.CLIENT_ID}:${sim.credentials.CLIENT_SECRET}`).toString('base64');
  const res = await call(sim.url, '/connect/token', { headers: { authorization: `Basic ${basic}` }, form: { grant_type: 'client_credentials' } });
  return { authorization: `Bearer ${res.body.access_token}`, 'xero-tenant-id': sim.credentials.TENANT_ID! };
}

describe('the Xero accounting simulator', () => {
  let sim: RunningSimulator;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator('accounting', { limits: 'relaxed' });
    auth = await connect(sim);
  });
  afterAll(() => sim.close());

  it('issues client-credentials tokens to HTTP Basic client auth only', async () => {
    const res = await call(sim.url, '/connect/token', { form: { grant_type: 'client_credentials', client_id: sim.credentials.CLIENT_ID!, client_secret: sim.credentials.CLIENT_SECRET! } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_client' });
  });

  it('answers 403 without the tenant header and 401 TokenExpired for an expired token', async () => {
    const noTenant = await call(sim.url, `${API}/Contacts`, { headers: { authorization: auth.authorization! } });
    expect(noTenant.status).toBe(403);
    expect(noTenant.body).toEqual({ Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' });
    await admin.config(sim, { tokenTtlSeconds: 0 });
    const expired = await connect(sim);
    await admin.config(sim, { tokenTtlSeconds: 1800 });
    const res = await call(sim.url, `${API}/Contacts`, { headers: expired });
    expect(res.status).toBe(401);
    expect(res.body.Detail).toMatch(/^TokenExpired: token expired at \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/);
  });

  it('wraps PascalCase records with Microsoft JSON dates in the envelope', async () => {
    const g = seed.guests[2]!;
    const res = await call(sim.url, `${API}/Contacts/${g.xeroId}`, { headers: auth });
    expect(res.body).toMatchObject({ Status: 'OK', Id: expect.any(String), DateTimeUTC: expect.stringMatching(MS_DATE) });
    expect(res.body.Contacts[0]).toMatchObject({ ContactID: g.xeroId, ContactStatus: 'ACTIVE', EmailAddress: g.email, Name: `${g.firstName} ${g.lastName}`, Phones: [{ PhoneType: 'DEFAULT', PhoneNumber: g.phone }] });
    expect(res.body.Contacts[0].UpdatedDateUTC).toMatch(MS_DATE);
  });

  it('answers a plain-text 404 for an unknown id', async () => {
    const res = await call(sim.url, `${API}/Invoices/00000000-0000-4000-8000-000000000000`, { headers: auth });
    expect(res.status).toBe(404);
    expect(res.text).toBe("The resource you're looking for cannot be found");
  });

  it('batch-reads contacts by IDs and finds them with where filters joined by OR', async () => {
    const [a, b] = [seed.guests[0]!, seed.guests[1]!];
    const byIds = await call(sim.url, `${API}/Contacts?IDs=${a.xeroId},${b.xeroId}`, { headers: auth });
    expect(byIds.body.Contacts.map((c: { ContactID: string }) => c.ContactID)).toEqual([a.xeroId, b.xeroId]);
    const where = encodeURIComponent(`EmailAddress=="${a.email}" OR EmailAddress=="${b.email}"`);
    const found = await call(sim.url, `${API}/Contacts?where=${where}`, { headers: auth });
    expect(found.body.Contacts.map((c: { EmailAddress: string }) => c.EmailAddress).sort()).toEqual([a.email, b.email].sort());
    const broken = await call(sim.url, `${API}/Contacts?where=${encodeURIComponent('Nope=="x"')}`, { headers: auth });
    expect(broken.status).toBe(400);
    expect(broken.body.Type).toBe('QueryParseException');
  });

  it('pages through all 200 invoices, one per shop order, referenced by the order name', async () => {
    const invoices: Array<{ Reference: string; Status: string; AmountDue: number; Total: number; LineItems: unknown[] }> = [];
    for (let page = 1; page < 10; page++) {
      const res = await call(sim.url, `${API}/Invoices?page=${page}`, { headers: auth });
      if (res.body.Invoices.length === 0) break;
      expect(res.body.pagination).toMatchObject({ page, pageSize: 100, itemCount: 200 });
      invoices.push(...res.body.Invoices);
    }
    expect(invoices).toHaveLength(200);
    expect(invoices.map((i) => i.Reference)).toEqual(seed.orders.map((o) => o.name));
    for (const invoice of invoices) {
      expect(invoice.LineItems.length).toBeGreaterThan(0);
      expect(invoice.Status === 'PAID' ? invoice.AmountDue === 0 : invoice.AmountDue === invoice.Total).toBe(true);
    }
  });

  it('refuses a second active contact with the same name with a ValidationException', async () => {
    const g = seed.guests[4]!;
    const res = await call(sim.url, `${API}/Contacts`, { method: 'POST', headers: auth, json: { Contacts: [{ Name: `${g.firstName} ${g.lastName}` }] } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred' });
    expect(res.body.Elements[0].ValidationErrors[0].Message).toContain('is already assigned to another contact');
  });

  it('applies a payment once per Idempotency-Key and marks the invoice PAID', async () => {
    const order = seed.orders.find((o) => o.paidAt === undefined)!;
    const body = { Payments: [{ Invoice: { InvoiceID: order.invoiceId }, Account: { Code: '090' }, Date: '2026-01-05', Amount: order.totalCents / 100 }] };
    const key = unique('pay-');
    const first = await call(sim.url, `${API}/Payments`, { method: 'PUT', headers: { ...auth, 'idempotency-key': key }, json: body });
    expect(first.status).toBe(200);
    const replay = await call(sim.url, `${API}/Payments`, { method: 'PUT', headers: { ...auth, 'idempotency-key': key }, json: body });
    expect(replay.body.Payments[0].PaymentID).toBe(first.body.Payments[0].PaymentID);
    const invoice = (await call(sim.url, `${API}/Invoices/${order.invoiceId}`, { headers: auth })).body.Invoices[0];
    expect(invoice).toMatchObject({ Status: 'PAID', AmountDue: 0, AmountPaid: order.totalCents / 100 });
    expect(invoice.Payments).toHaveLength(1);
    const stats = await admin.stats(sim);
    expect(stats.log.filter((e: { idempotencyKey?: string }) => e.idempotencyKey === key)).toHaveLength(2);
  });

  it('allows 60 calls a minute per tenant, then answers 429 with Retry-After and X-Rate-Limit-Problem', async () => {
    const fresh = await startSimulator('accounting');
    try {
      await admin.config(fresh, { rateLimit: { perMinute: 2 } });
      const headers = await connect(fresh);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await call(fresh.url, `${API}/Organisation`, { headers }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(answers[0]!.headers.get('x-minlimit-remaining')).toBe('1');
      expect(answers[0]!.headers.get('x-daylimit-remaining')).toBe('4999');
      expect(answers[0]!.headers.get('x-appminlimit-remaining')).toBeTruthy();
      expect(answers[2]!.headers.get('x-rate-limit-problem')).toBe('minute');
      expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });

  it('allows 5 concurrent calls, then answers 429 with X-Rate-Limit-Problem: concurrent', async () => {
    const fresh = await startSimulator('accounting', { latencyMs: 150 });
    try {
      const headers = await connect(fresh);
      const answers = await Promise.all(Array.from({ length: 6 }, () => call(fresh.url, `${API}/Organisation`, { headers })));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited).toHaveLength(1);
      expect(limited[0]!.headers.get('x-rate-limit-problem')).toBe('concurrent');
    } finally {
      await fresh.close();
    }
  });
});
