import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { seedData } from '../../demo/seed.ts';
import { admin, call, unique } from './support.ts';

const seed = seedData(42);
const V1 = '/api/connector/v1';

describe('the Mews PMS simulator', () => {
  let sim: RunningSimulator;
  const post = (operation: string, body: Record<string, unknown>, target = sim) =>
    call(target.url, `${V1}/${operation}`, { json: { ClientToken: target.credentials.CLIENT_TOKEN, AccessToken: target.credentials.ACCESS_TOKEN, Client: 'Interchange 1.0', ...body } });

  beforeAll(async () => {
    sim = await startSimulator('pms');
  });
  afterAll(() => sim.close());

  it('reads tokens from the body and names the one that is wrong', async () => {
    const res = await call(sim.url, `${V1}/customers/getAll`, { json: { ClientToken: sim.credentials.CLIENT_TOKEN, AccessToken: 'nope', Client: 'x', Limitation: { Count: 1 } } });
    expect(res.status).toBe(401);
    expect(res.body.Message).toBe('Invalid AccessToken.');
    const client = await call(sim.url, `${V1}/customers/getAll`, { json: { ClientToken: 'nope', AccessToken: sim.credentials.ACCESS_TOKEN } });
    expect(client.body.Message).toBe('Invalid ClientToken.');
  });

  it('lists both hotels as enterprises with their time zones', async () => {
    const res = await post('enterprises/getAll', { Limitation: { Count: 10 } });
    expect(res.body.Enterprises.map((e: { Name: string; TimeZoneIdentifier: string }) => [e.Name, e.TimeZoneIdentifier])).toEqual([
      ['Hotel Aurora Barcelona', 'Europe/Madrid'],
      ['Hotel Aurora Lisboa', 'Europe/Lisbon'],
    ]);
    const services = await post('services/getAll', { Limitation: { Count: 10 } });
    expect(services.body.Services).toHaveLength(2);
  });

  it('finds customers by email and by id in one batch, and requires a Limitation', async () => {
    const [a, b] = [seed.guests[0]!, seed.guests[1]!];
    const res = await post('customers/getAll', { Emails: [a.email], CustomerIds: [a.mewsId, b.mewsId], Limitation: { Count: 100 } });
    expect(res.body.Customers).toHaveLength(1);
    expect(res.body.Customers[0]).toMatchObject({ Id: a.mewsId, Email: a.email, FirstName: a.firstName, LastName: a.lastName });
    expect(res.body.Customers[0].CreatedUtc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect((await post('customers/getAll', { Emails: [a.email] })).status).toBe(400);
  });

  it('pages through all 80 reservations of 2026 with the cursor', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await post('reservations/getAll/2023-06-06', { Limitation: { Count: 30, ...(cursor ? { Cursor: cursor } : {}) } });
      ids.push(...res.body.Reservations.map((r: { Id: string }) => r.Id));
      if (res.body.Reservations.length < 30) break;
      cursor = res.body.Cursor;
    }
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
  });

  it('filters reservations by colliding interval and refuses intervals over three months', async () => {
    const res = await post('reservations/getAll/2023-06-06', { CollidingUtc: { StartUtc: '2026-03-01T00:00:00Z', EndUtc: '2026-04-01T00:00:00Z' }, Limitation: { Count: 1000 } });
    expect(res.body.Reservations.length).toBeGreaterThan(0);
    for (const r of res.body.Reservations) {
      expect(Date.parse(r.ScheduledStartUtc)).toBeLessThan(Date.parse('2026-04-01T00:00:00Z'));
      expect(Date.parse(r.ScheduledEndUtc)).toBeGreaterThan(Date.parse('2026-03-01T00:00:00Z'));
      expect(r.AccountType).toBe('Customer');
    }
    const tooLong = await post('reservations/getAll/2023-06-06', { CollidingUtc: { StartUtc: '2026-01-01T00:00:00Z', EndUtc: '2026-06-01T00:00:00Z' }, Limitation: { Count: 10 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.Message).toContain('3 months');
  });

  it('refuses a duplicate email unless OverwriteExisting, which updates the existing customer', async () => {
    const g = seed.guests[9]!;
    const dup = await post('customers/add', { LastName: 'Other', Email: g.email });
    expect(dup.status).toBe(400);
    const overwritten = await post('customers/add', { FirstName: 'Renamed', LastName: g.lastName, Email: g.email, OverwriteExisting: true });
    expect(overwritten.body).toMatchObject({ Id: g.mewsId, FirstName: 'Renamed' });
    expect((await admin.records(sim, 'customers')).filter((c) => c.Email === g.email)).toHaveLength(1);
  });

  it('adds a reservation for a customer and returns it under its identifier', async () => {
    const services = (await post('services/getAll', { Limitation: { Count: 10 } })).body.Services;
    const serviceId = services[0].Id as string;
    const category = (await post('resourceCategories/getAll', { ServiceIds: [serviceId], Limitation: { Count: 10 } })).body.ResourceCategories[0];
    const adult = (await post('ageCategories/getAll', { ServiceIds: [serviceId], Limitation: { Count: 10 } })).body.AgeCategories[0];
    const customer = await post('customers/add', { FirstName: 'New', LastName: unique('Guest'), Email: `${unique('m')}@example.com` });
    const res = await post('reservations/add', {
      ServiceId: serviceId,
      Reservations: [{ Identifier: 'r1', State: 'Confirmed', StartUtc: '2026-05-01T13:00:00Z', EndUtc: '2026-05-03T09:00:00Z', CustomerId: customer.body.Id, RequestedCategoryId: category.Id, PersonCounts: [{ AgeCategoryId: adult.Id, Count: 2 }] }],
    });
    expect(res.status).toBe(200);
    expect(res.body.Reservations[0]).toMatchObject({ Identifier: 'r1', Reservation: { AccountId: customer.body.Id, State: 'Confirmed', ScheduledStartUtc: '2026-05-01T13:00:00Z' } });
  });

  it('allows 200 calls per 30 seconds per access token, then answers 429 with Retry-After', async () => {
    const fresh = await startSimulator('pms');
    try {
      await admin.config(fresh, { rateLimit: { max: 2 } });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await post('enterprises/getAll', { Limitation: { Count: 1 } }, fresh));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(typeof answers[2]!.body.Message).toBe('string');
    } finally {
      await fresh.close();
    }
  });
});
