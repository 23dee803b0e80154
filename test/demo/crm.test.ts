import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, unique } from './support.ts';

const guests = seedData(42).guests;

describe('the HubSpot CRM simulator', () => {
  let sim: RunningSimulator;
  let auth: Record<string, string>;
  const token = (form: Record<string, string>) => call(sim.url, '/oauth/v1/token', { form });
  const clientForm = () => ({ grant_type: 'client_credentials', client_id: sim.credentials.CLIENT_ID!, client_secret: sim.credentials.CLIENT_SECRET! });

  beforeAll(async () => {
    sim = await startSimulator('crm');
    const res = await token(clientForm());
    auth = { authorization: `Bearer ${res.body.access_token}` };
  });
  afterAll(() => sim.close());

  it('issues bearer tokens that expire after 1800 seconds by default', async () => {
    const res = await token(clientForm());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: 1800, access_token: expect.any(String), refresh_token: expect.any(String) });
  });

  it('refuses an unknown client with BAD_CLIENT_ID and a bad refresh token with BAD_REFRESH_TOKEN', async () => {
    const badClient = await token({ ...clientForm(), client_secret: 'wrong' });
    expect(badClient.status).toBe(400);
    expect(badClient.body).toMatchObject({ status: 'BAD_CLIENT_ID', correlationId: expect.any(String) });
    const badRefresh = await token({ ...clientForm(), grant_type: 'refresh_token', refresh_token: 'nope' });
    expect(badRefresh.body.status).toBe('BAD_REFRESH_TOKEN');
    const refreshed = await token({ ...clientForm(), grant_type: 'refresh_token', refresh_token: sim.credentials.REFRESH_TOKEN! });
    expect(refreshed.status).toBe(200);
  });

  it('answers 401 EXPIRED_AUTHENTICATION once a token outlives tokenTtlSeconds', async () => {
    await admin.config(sim, { tokenTtlSeconds: 0 });
    const short = await token(clientForm());
    await admin.config(sim, { tokenTtlSeconds: 1800 });
    expect(short.body.expires_in).toBe(0);
    const res = await call(sim.url, `/crm/v3/objects/contacts/${guests[0]!.crmId}`, { headers: { authorization: `Bearer ${short.body.access_token}` } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    const missing = await call(sim.url, `/crm/v3/objects/contacts/${guests[0]!.crmId}`, { headers: { authorization: 'Bearer forged' } });
    expect(missing.body.category).toBe('INVALID_AUTHENTICATION');
  });

  it('reads a contact as a properties bag of strings, with only the properties asked for', async () => {
    const g = guests[3]!;
    const res = await call(sim.url, `/crm/v3/objects/contacts/${g.crmId}?properties=email,phone,firstname`, { headers: auth });
    expect(res.body).toMatchObject({ id: g.crmId, archived: false, properties: { email: g.email, phone: g.phone, firstname: g.firstName, hs_object_id: g.crmId } });
    expect(res.body.properties.lastname).toBeUndefined();
    expect(res.body.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    const byEmail = await call(sim.url, `/crm/v3/objects/contacts/${encodeURIComponent(g.email.toUpperCase())}?idProperty=email`, { headers: auth });
    expect(byEmail.body.id).toBe(g.crmId);
  });

  it('batch-reads contacts, answering 207 with the missing ids', async () => {
    const inputs = [{ id: guests[0]!.crmId }, { id: guests[1]!.crmId }];
    const ok = await call(sim.url, '/crm/v3/objects/contacts/batch/read', { headers: auth, json: { properties: ['email'], inputs } });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('COMPLETE');
    expect(ok.body.results.map((r: { id: string }) => r.id)).toEqual([guests[0]!.crmId, guests[1]!.crmId]);
    const partial = await call(sim.url, '/crm/v3/objects/contacts/batch/read', { headers: auth, json: { properties: ['email'], inputs: [...inputs, { id: '999999' }] } });
    expect(partial.status).toBe(207);
    expect(partial.body).toMatchObject({ numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } }] });
    const tooMany = await call(sim.url, '/crm/v3/objects/contacts/batch/read', { headers: auth, json: { inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })) } });
    expect(tooMany.status).toBe(400);
  });

  it('pages through every contact with the after cursor until paging disappears', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await call(sim.url, `/crm/v3/objects/contacts?limit=25${after ? `&after=${after}` : ''}`, { headers: auth });
      ids.push(...res.body.results.map((r: { id: string }) => r.id));
      after = res.body.paging?.next?.after;
      if (!after) break;
      expect(res.body.paging.next.link).toContain(`after=${after}`);
    }
    expect(ids.length).toBeGreaterThanOrEqual(60);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('finds a contact by email with a search filter, case-insensitively', async () => {
    const g = guests[5]!;
    const filterGroups = [{ filters: [{ propertyName: 'email', operator: 'EQ', value: g.email.toUpperCase() }] }];
    const res = await call(sim.url, '/crm/v3/objects/contacts/search', { headers: auth, json: { filterGroups, properties: ['email'], limit: 10 } });
    expect(res.body.total).toBe(1);
    expect(res.body.results[0].id).toBe(g.crmId);
    expect(res.body.paging).toBeUndefined();
  });

  it('creates a contact once and answers 409 with the existing id for the same email', async () => {
    const email = `${unique('dup')}@example.com`;
    const first = await call(sim.url, '/crm/v3/objects/contacts', { headers: auth, json: { properties: { email, firstname: 'Ana' } } });
    expect(first.status).toBe(201);
    const second = await call(sim.url, '/crm/v3/objects/contacts', { headers: auth, json: { properties: { email } } });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${first.body.id}` });
    const contacts = await admin.records(sim, 'contacts');
    expect(contacts.filter((c) => (c.properties as Record<string, string>).email === email)).toHaveLength(1);
  });

  it('updates, archives and attaches notes to contacts', async () => {
    const created = await call(sim.url, '/crm/v3/objects/contacts', { headers: auth, json: { properties: { email: `${unique('n')}@example.com` } } });
    const patched = await call(sim.url, `/crm/v3/objects/contacts/${created.body.id}`, { method: 'PATCH', headers: auth, json: { properties: { phone: '+34 600 000 000' } } });
    expect(patched.body.properties.phone).toBe('+34 600 000 000');
    const note = await call(sim.url, '/crm/v3/objects/notes', {
      headers: auth,
      json: { properties: { hs_note_body: 'Late check-in', hs_timestamp: '2026-03-01T10:00:00Z' }, associations: [{ to: { id: created.body.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }] },
    });
    expect(note.status).toBe(201);
    expect((await call(sim.url, `/crm/v3/objects/contacts/${created.body.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await call(sim.url, `/crm/v3/objects/contacts/${created.body.id}`, { headers: auth })).status).toBe(404);
  });

  it('enforces the ten-second rolling limit with the HubSpot headers and 429 body', async () => {
    const fresh = await startSimulator('crm');
    try {
      await admin.config(fresh, { rateLimit: { max: 3 } });
      const issued = await call(fresh.url, '/oauth/v1/token', { form: { ...clientForm() } });
      const headers = { authorization: `Bearer ${issued.body.access_token}` };
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await call(fresh.url, `/crm/v3/objects/contacts/${guests[0]!.crmId}`, { headers }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers[0]!.headers.get('x-hubspot-ratelimit-max')).toBe('3');
      expect(answers[0]!.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      expect(answers[2]!.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(answers[3]!.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.' });
    } finally {
      await fresh.close();
    }
  });
});
