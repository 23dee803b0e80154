import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reference } from '../support/reference.ts';
import { connector, dashboardData, deadLetterAtPms, readDuringAccountingOutage, readGuests, startDashboardReference } from './support.ts';

let ref: Reference;
beforeAll(async () => {
  ref = await startDashboardReference();
});
afterAll(async () => {
  await ref?.stop();
});

describe('GET /dashboard/data on the reference integration', () => {
  it('counts the calls each connector made for real queries, with latencies, and no errors', async () => {
    await readGuests(ref, 3);
    const { status, data } = await dashboardData(ref);
    expect(status).toBe(200);
    expect(data.connectors.map((c) => c.name).sort()).toEqual(ref.gateway.connectors.map((c) => c.name).sort());
    for (const name of ['crm', 'shop', 'accounting', 'pms']) {
      const c = connector(data, name);
      expect(c.lastMinute.calls, name).toBeGreaterThan(0);
      expect(c.total.calls, name).toBeGreaterThanOrEqual(c.lastMinute.calls);
      expect(c.lastMinute.errors, name).toBe(0);
      expect(c.lastMinute.p50Ms, name).toBeGreaterThan(0);
      expect(c.lastMinute.p95Ms!, name).toBeGreaterThanOrEqual(c.lastMinute.p50Ms!);
      expect(c.health, name).toBe('ok');
      expect(c.circuit, name).toBe('closed');
    }
    expect(connector(data, 'crm').title).toBeTruthy();
    // The calls match what /metrics says reached each backend.
    const calls = await ref.upstreamCalls();
    expect(connector(data, 'shop').total.calls).toBe(calls.shop);
    const queries = data.graphql.find((t) => t.type === 'query');
    expect(queries?.lastMinute.operations).toBe(4);
    expect(queries?.lastMinute.errorShare).toBe(0);
    expect(queries?.health).toBe('ok');
  });

  it('marks the connector in an outage as failing and leaves the others healthy', async () => {
    await readDuringAccountingOutage(ref);
    const { data } = await dashboardData(ref);
    const accounting = connector(data, 'accounting');
    expect(accounting.health).toBe('failing');
    expect(accounting.lastMinute.errors).toBeGreaterThan(0);
    expect(accounting.lastMinute.codes['503']).toBeGreaterThan(0);
    expect(accounting.reasons.join(' ')).toMatch(/failed call/);
    for (const name of ['crm', 'shop', 'pms']) {
      expect(connector(data, name).lastMinute.errors, name).toBe(0);
      expect(connector(data, name).health, name).not.toBe('failing');
    }
    expect(data.graphql.find((t) => t.type === 'query')?.lastMinute.partialShare).toBeGreaterThan(0);
  });

  it('lists a dead-lettered write with its reason and the command that replays it', async () => {
    const operationId = await deadLetterAtPms(ref);
    const { data } = await dashboardData(ref);
    const letter = data.writes.deadLetters.find((d) => d.operationId === operationId);
    expect(letter).toMatchObject({ mutation: 'createCustomer', step: 'pms', connector: 'pms', cause: 'exhausted', attempts: 5 });
    expect(letter?.reason).toContain('pms is unavailable');
    expect(letter?.replay).toBe(`npx interchange replay ${letter?.stepId}`);
    expect(data.writes.deadSteps).toBeGreaterThanOrEqual(1);
    expect(data.writes.recent[0]).toMatchObject({ id: operationId, mutation: 'createCustomer', status: 'PARTIAL' });
    expect(data.writes.recent[0]?.steps.find((s) => s.name === 'pms')?.state).toBe('dead');
    expect(data.writes.byConnector.find((c) => c.connector === 'pms')?.lastMinute.dead).toBe(1);
    expect(connector(data, 'pms').health).toBe('failing');
  });

  it('never carries a credential, a token or the input of a write', async () => {
    const { text } = await dashboardData(ref);
    const secrets = Object.values(ref.sims).flatMap((sim) => Object.values(sim.credentials)).filter((value) => value.length >= 8);
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('@example.com');
    expect(text).not.toMatch(/bearer|access_token|refresh_token/i);
  });

  it('serves the page with a policy that allows nothing from another origin', async () => {
    const response = await fetch(`${ref.gateway.url}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
  });
});
