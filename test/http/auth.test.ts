import { describe, expect, it } from 'vitest';
import { get, harness, post, rejection, series } from './harness.ts';

const secrets = { API_KEY: 'k-123', TOKEN: 't-456', USER: 'gateway', PASSWORD: 'p@ss:word', ACCESS_TOKEN: 'mews-access', CLIENT_TOKEN: 'mews-client' };

describe('static credentials reach the backend as declared', () => {
  it('an API key in a header', async () => {
    const h = await harness({ auth: { type: 'apiKey', in: 'header', name: 'X-Api-Key', value: { secret: 'API_KEY' } } }, { deps: { secrets } });
    await h.upstream.request(get('/contacts/1'));
    expect(h.backend.calls[0]!.headers['x-api-key']).toBe('k-123');
  });

  it('an API key in the query, beside the call’s own parameters', async () => {
    const h = await harness({ auth: { type: 'apiKey', in: 'query', name: 'api_key', value: { secret: 'API_KEY' } } }, { deps: { secrets } });
    await h.upstream.request(get('/contacts?limit=5', { query: { email: 'a@b.c' } }));
    const seen = h.backend.calls[0]!;
    expect(seen.pathname).toBe('/contacts');
    expect(Object.fromEntries(seen.query)).toEqual({ limit: '5', email: 'a@b.c', api_key: 'k-123' });
  });

  it('a bearer token', async () => {
    const h = await harness({ auth: { type: 'bearer', token: { secret: 'TOKEN' } } }, { deps: { secrets } });
    await h.upstream.request(get('/contacts/1'));
    expect(h.backend.calls[0]!.headers.authorization).toBe('Bearer t-456');
  });

  it('basic credentials', async () => {
    const h = await harness({ auth: { type: 'basic', username: { secret: 'USER' }, password: { secret: 'PASSWORD' } } }, { deps: { secrets } });
    await h.upstream.request(get('/contacts/1'));
    expect(h.backend.calls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('gateway:p@ss:word').toString('base64')}`);
  });

  it('body tokens merged into every JSON body, secret and literal alike', async () => {
    const h = await harness(
      { auth: { type: 'bodyTokens', fields: { AccessToken: { secret: 'ACCESS_TOKEN' }, ClientToken: { secret: 'CLIENT_TOKEN' }, Client: 'Interchange 1.0' } } },
      { deps: { secrets } },
    );
    await h.upstream.request(post('/reservations/getAll', { StartUtc: '2025-01-01T00:00:00Z' }));
    await h.upstream.request(post('/configuration/get', undefined));
    expect(JSON.parse(h.backend.calls[0]!.body)).toEqual({ StartUtc: '2025-01-01T00:00:00Z', AccessToken: 'mews-access', ClientToken: 'mews-client', Client: 'Interchange 1.0' });
    expect(JSON.parse(h.backend.calls[1]!.body)).toEqual({ AccessToken: 'mews-access', ClientToken: 'mews-client', Client: 'Interchange 1.0' });
    expect(h.backend.calls[0]!.headers['content-type']).toBe('application/json');
  });

  it('connector headers with secret values go on every call', async () => {
    const h = await harness({ headers: { 'Xero-Tenant-Id': { secret: 'TOKEN' }, 'X-Api-Version': '2024-01' } }, { deps: { secrets } });
    await h.upstream.request(get('/contacts/1'));
    expect(h.backend.calls[0]!.headers).toMatchObject({ 'xero-tenant-id': 't-456', 'x-api-version': '2024-01' });
  });

  it('refuses to start when a secret the connector names is missing', async () => {
    await expect(harness({ auth: { type: 'bearer', token: { secret: 'TOKEN' } } })).rejects.toThrow('crm: missing secret(s) CRM_TOKEN');
  });

  it('returns a 401 to the caller when the credentials are static (no renewal can help)', async () => {
    const h = await harness({ auth: { type: 'bearer', token: { secret: 'TOKEN' } } }, { deps: { secrets }, handler: () => ({ status: 401 }) });
    expect((await h.upstream.request(get('/contacts/1'))).status).toBe(401);
    expect(h.backend.calls).toHaveLength(1);
  });
});

const oauth = (extra: Record<string, unknown> = {}) => ({
  auth: { type: 'oauth2', grant: 'client_credentials', tokenUrl: '/oauth/token', clientId: { secret: 'CLIENT_ID' }, clientSecret: { secret: 'CLIENT_SECRET' }, ...extra },
});
const client = { CLIENT_ID: 'gateway', CLIENT_SECRET: 's3cret' };

describe('OAuth2', () => {
  it('50 parallel calls on a cold start make exactly one token request', async () => {
    const h = await harness(oauth(), { deps: { secrets: client } });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', delayMs: 50 });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.upstream.request(get(`/contacts/${i}`))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(h.backend.tokenCalls()).toHaveLength(1);
    expect(h.backend.dataCalls().every((c) => c.headers.authorization === 'Bearer tok-1')).toBe(true);
    const form = new URLSearchParams(h.backend.tokenCalls()[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', client_id: 'gateway', client_secret: 's3cret' });
    expect(h.backend.tokenCalls()[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'auth', code: '200' })).toBe(1);
    expect(await series(h.metrics, 'interchange_upstream_request_duration_seconds_count', { connector: 'crm', endpoint: 'auth' })).toBe(1);
  });

  it('renews once, before expiry, when a call comes after expiry − renewBefore', async () => {
    let clock = 1_000_000;
    const h = await harness(oauth({ renewBeforeSeconds: 60 }), { deps: { secrets: client, now: () => clock } });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', expiresIn: 120 });
    await h.upstream.request(get('/contacts/1'));
    clock += 59_000;
    await h.upstream.request(get('/contacts/2'));
    expect(h.backend.tokenCalls()).toHaveLength(1);
    clock += 2_000; // 61 s after issue: inside the renewal window, 59 s before expiry
    await Promise.all([h.upstream.request(get('/contacts/3')), h.upstream.request(get('/contacts/4'))]);
    expect(h.backend.tokenCalls()).toHaveLength(2);
    expect(h.backend.dataCalls().map((c) => c.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2']);
  });

  it('a data call answered 401 makes one renewal and one retry, even for a POST', async () => {
    const h = await harness(oauth(), { deps: { secrets: client } });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret' });
    await h.upstream.request(get('/contacts/1'));
    h.backend.revokeTokens();
    const answer = await h.upstream.request(post('/contacts', { name: 'Ada' }));
    expect(answer.status).toBe(200);
    expect(h.backend.tokenCalls()).toHaveLength(2);
    expect(h.backend.dataCalls().map((c) => c.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('a token the backend keeps refusing ends in UPSTREAM_UNAVAILABLE after one renewal', async () => {
    const h = await harness(oauth(), { deps: { secrets: client }, handler: () => ({ status: 200 }) });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret' });
    await h.upstream.request(get('/contacts/1'));
    h.backend.handle(() => ({ status: 401, body: { message: 'token scopes do not match' } }));
    const error = await rejection(h.upstream.request(get('/contacts/2')));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 401, message: "crm is unavailable (the backend refused the gateway's credentials)" });
    expect(h.backend.tokenCalls()).toHaveLength(2);
    expect(h.backend.dataCalls()).toHaveLength(3);
  });

  it('a wrong client secret rejects every waiting call with one clear message after one token request', async () => {
    const h = await harness(oauth(), { deps: { secrets: { CLIENT_ID: 'gateway', CLIENT_SECRET: 'wrong-secret' } } });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', delayMs: 30 });
    const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => h.upstream.request(get(`/contacts/${i}`))));
    const errors = settled.map((s) => (s as PromiseRejectedResult).reason);
    expect(errors.every((e) => e?.message === 'crm is unavailable (token request refused: check CRM_CLIENT_ID / CRM_CLIENT_SECRET)')).toBe(true);
    expect(errors[0]).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 401, endpoint: 'contact' });
    expect(h.backend.tokenCalls()).toHaveLength(1);
    expect(h.backend.dataCalls()).toHaveLength(0);

    // Not retried in a loop: a later call is refused from memory, without another token request.
    expect((await rejection(h.upstream.request(get('/contacts/x')))).message).toContain('token request refused');
    expect(h.backend.tokenCalls()).toHaveLength(1);

    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'auth', code: '401' })).toBe(1);
    const refusals = h.logs().filter((l) => l.level === 50);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ connector: 'crm', endpoint: 'auth', status: 401 });
    expect(h.logText()).not.toContain('wrong-secret');
  });

  it('authenticates at the token endpoint with HTTP Basic when declared', async () => {
    const h = await harness(oauth({ clientAuth: 'basic', scope: 'crm.read' }), { deps: { secrets: { CLIENT_ID: 'gate way', CLIENT_SECRET: 's3cret:x' } } });
    h.backend.oauth({ clientId: 'gate way', clientSecret: 's3cret:x' });
    expect((await h.upstream.request(get('/contacts/1'))).status).toBe(200);
    const token = h.backend.tokenCalls()[0]!;
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({ grant_type: 'client_credentials', scope: 'crm.read' });
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from('gate%20way:s3cret%3Ax').toString('base64')}`);
  });

  it('a token URL starting with "/" is taken from the base URL’s origin, not its path', async () => {
    const h = await harness(oauth(), { deps: { secrets: client }, basePath: '/crm/v3' });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret' });
    await h.upstream.request(get('/contacts/1'));
    expect(h.backend.tokenCalls()[0]!.pathname).toBe('/oauth/token');
    expect(h.backend.dataCalls()[0]!.pathname).toBe('/crm/v3/contacts/1');
  });

  it('the refresh-token grant keeps the rotated refresh token and uses it next time', async () => {
    let clock = 5_000_000;
    const h = await harness(oauth({ grant: 'refresh_token', refreshToken: { secret: 'REFRESH_TOKEN' } }), {
      deps: { secrets: { ...client, REFRESH_TOKEN: 'rt-initial' }, now: () => clock },
    });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', refreshToken: 'rt-initial', expiresIn: 100 });
    await h.upstream.request(get('/contacts/1'));
    clock += 100_000;
    await h.upstream.request(get('/contacts/2'));
    clock += 100_000;
    await h.upstream.request(get('/contacts/3'));
    const used = h.backend.tokenCalls().map((c) => new URLSearchParams(c.body).get('refresh_token'));
    expect(used).toEqual(['rt-initial', 'rt-1', 'rt-2']);
    expect(h.backend.dataCalls().every((c) => c.headers.authorization?.startsWith('Bearer tok-'))).toBe(true);
  });

  it('falls back to the configured refresh token when the endpoint refuses the rotated one', async () => {
    let clock = 7_000_000;
    const h = await harness(oauth({ grant: 'refresh_token', refreshToken: { secret: 'REFRESH_TOKEN' } }), {
      deps: { secrets: { ...client, REFRESH_TOKEN: 'rt-initial' }, now: () => clock },
    });
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', refreshToken: 'rt-initial', expiresIn: 100 });
    await h.upstream.request(get('/contacts/1'));
    h.backend.oauth({ clientId: 'gateway', clientSecret: 's3cret', refreshToken: 'rt-initial', expiresIn: 100 });
    clock += 100_000;
    expect((await h.upstream.request(get('/contacts/2'))).status).toBe(200);
    expect(h.backend.tokenCalls().map((c) => new URLSearchParams(c.body).get('refresh_token'))).toEqual(['rt-initial', 'rt-1', 'rt-initial']);
    expect(h.logs().filter((l) => l.level === 50)).toHaveLength(0);
  });

  it('an unreachable token endpoint fails the call but is not held like a refusal: the next call asks again', async () => {
    const h = await harness(oauth(), { deps: { secrets: client } });
    await h.backend.close();
    const error = await rejection(h.upstream.request(get('/contacts/1')));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'crm is unavailable (token request failed: network error)' });
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'auth', code: 'network' })).toBe(1);
    expect(await rejection(h.upstream.request(get('/contacts/1')))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'auth', code: 'network' })).toBe(2);
  });
});
