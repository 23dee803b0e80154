import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { API_KEY, startPeopleBackend, type PeopleBackend } from '../fixtures/people/backend.ts';
import type { TestGateway } from '../support/gateway.ts';
import { AUDIENCE, bearer, closeCodeOf, deliverPersonUpdated, ISSUER, now, overWebSocket, post, signHs256, startSecurityGateway, WEBHOOK_SECRET } from './support.ts';

/**
 * Secrets stay secret: a gateway logging at trace level into a captured stream serves a run of
 * ordinary and hostile traffic — valid and invalid tokens, a backend that fails and echoes its
 * API key, a resolver crash, webhooks good and forged, WebSockets, the rate limit — and then
 * neither the logs nor any response (errors, /metrics, /readyz, the dashboard) holds any
 * configured secret or any token that was sent.
 */

const JWT_SECRET = 'secrets-suite-hs256-secret-do-not-log-0123456789';
const DEV_SECRET = 'secrets-suite-development-secret-do-not-log-98765';
const SECRETS = { PEOPLE_API_KEY: API_KEY, AUTH_JWT_SECRET: JWT_SECRET, AUTH_DEV_SECRET: DEV_SECRET, PEOPLE_WEBHOOK_SECRET: WEBHOOK_SECRET };

let backend: PeopleBackend;
let gateway: TestGateway;
const lines: string[] = [];
const responses: string[] = [];
const tokens: string[] = [];

const token = (claims: Record<string, unknown>, options: Record<string, unknown> = {}) => {
  const t = signHs256(JWT_SECRET, claims, options);
  tokens.push(t);
  return t;
};

async function traffic(): Promise<void> {
  const admin = token({ sub: 'admin-1', scope: 'admin hr:read teams:read people:events' });
  const record = async (body: unknown, headers: Record<string, string> = {}) => responses.push((await post(gateway, body, headers)).text);
  await record({ query: '{ person(id: "1") { name salaryBand team { title } } }' }, bearer(admin));
  await record({ query: '{ person(id: "1") { name } }' }, bearer(gateway.developmentToken!.token));
  for (const bad of [token({ sub: 'x' }, { audience: 'elsewhere' }), token({ sub: 'x', exp: now() - 600 }, { expiresIn: undefined }), `${admin}tampered`]) {
    tokens.push(bad);
    await record({ query: '{ person(id: "1") { name } }' }, bearer(bad));
  }
  // A backend that fails and puts the key it was sent into its error body.
  backend.override('/people/13', (call) => ({ status: 500, body: { error: `internal error for key ${String(call.headers['x-api-key'])}` } }));
  backend.override('/people/14', (call) => ({ status: 401, body: { error: `bad key ${String(call.headers['x-api-key'])}` } }));
  await record({ query: '{ a: person(id: "13") { name } b: person(id: "14") { name } }' }, bearer(admin));
  await record({ query: '{ crashingPerson(id: "2") { name crash } }' }, bearer(admin));
  await record({ query: '{ person(id: "1") { name ' }, bearer(admin));
  await record({ query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: everyone { name }`).join(' ')} }` }, bearer(admin));
  expect(await deliverPersonUpdated(gateway, '3')).toBe(200);
  const forged = await fetch(`${gateway.url}/webhooks/people`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'x', 'webhook-timestamp': String(now()), 'webhook-signature': 'v1,Zm9yZ2Vk' }, body: '{}' });
  responses.push(await forged.text());
  responses.push(JSON.stringify(await overWebSocket(gateway.url, '{ person(id: "1") { name } }', { authorization: `Bearer ${admin}` })));
  responses.push(JSON.stringify(await closeCodeOf(gateway.url, { authorization: `Bearer ${admin}x` })));
  for (let i = 0; i < 3; i++) await record({ query: '{ person(id: "1") { name } }' }, bearer(admin));
  for (const path of ['/metrics', '/readyz', '/healthz', '/dashboard', '/dashboard/data']) {
    responses.push(await (await fetch(`${gateway.url}${path}`, { headers: bearer(admin) })).text());
  }
}

beforeAll(async () => {
  backend = await startPeopleBackend();
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  gateway = await startSecurityGateway(
    backend,
    { AUTH_JWT_SECRET: JWT_SECRET, AUTH_DEV_SECRET: DEV_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE, RATE_LIMIT: '8/hour', LOG_LEVEL: 'trace' },
    { logger },
  );
  tokens.push(gateway.developmentToken!.token);
  await traffic();
});
afterAll(async () => {
  await gateway?.stop();
  await backend?.close();
});

describe('secrets and tokens', () => {
  it('the run produced the traffic it meant to: logs, failures, a refusal of each kind', () => {
    const logs = lines.join('');
    expect(logs).toContain('unexpected error in an operation');
    expect(responses.join('\n')).toMatch(/UPSTREAM_UNAVAILABLE|UPSTREAM_/);
    expect(responses.join('\n')).toContain('RATE_LIMITED');
    expect(responses.join('\n')).toContain('"code":4403');
    expect(tokens.length).toBeGreaterThanOrEqual(6);
  });

  it.each(Object.entries(SECRETS))('never logs %s', (_name, secret) => {
    expect(lines.join('')).not.toContain(secret);
  });

  it('never logs a token sent to it, nor the signature part of one', () => {
    const logs = lines.join('');
    for (const t of tokens) {
      expect(logs).not.toContain(t);
      expect(logs).not.toContain(t.split('.')[2]!.slice(0, 30));
    }
  });

  it.each(Object.entries(SECRETS))('never answers with %s (errors, /metrics, /readyz, the dashboard)', (_name, secret) => {
    expect(responses.join('\n')).not.toContain(secret);
  });
});
