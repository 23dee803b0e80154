import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard, type DashboardData } from '../../src/observability/dashboard.ts';
import type { Principal } from '../../src/schema/context.ts';
import type { Reference } from '../support/reference.ts';
import { startDashboardReference } from './support.ts';

/** Stands in for the auth layer: `Bearer <scopes>` signs in with those scopes. */
async function principalOf(authorization: string | undefined): Promise<Principal | undefined> {
  const scopes = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  return scopes ? { subject: 'operator', scopes: scopes.split(',') } : undefined;
}

let ref: Reference;
let dashboard: Dashboard;
let server: Server;
let url: string;

beforeAll(async () => {
  ref = await startDashboardReference();
  const { metrics, writes, connectors } = ref.gateway;
  dashboard = createDashboard({ metrics, writes, connectors, production: true, authorize: (req) => principalOf(req.headers.authorization) });
  server = createServer((req, res) => {
    const route = dashboard.routes.find((r) => r.method === req.method && r.pattern.test(req.url ?? ''));
    if (route) void route.handler(req, res, {});
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  dashboard?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await ref?.stop();
});

describe('the dashboard data in production', () => {
  it('refuses a caller without a token (401) and one without the admin scope (403)', async () => {
    const anonymous = await fetch(`${url}/dashboard/data`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toMatchObject({ error: 'UNAUTHENTICATED' });
    const reader = await fetch(`${url}/dashboard/data`, { headers: { authorization: 'Bearer read:customers' } });
    expect(reader.status).toBe(403);
    expect(await reader.json()).toMatchObject({ error: 'FORBIDDEN' });
  });

  it('answers a caller with the admin scope', async () => {
    const admin = await fetch(`${url}/dashboard/data`, { headers: { authorization: 'Bearer read:customers,admin' } });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as DashboardData).connectors.length).toBe(ref.gateway.connectors.length);
  });

  it('serves the page shell to anyone: it holds no data', async () => {
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<table id="connectors">');
  });
});
