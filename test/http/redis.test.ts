import { createKeyv } from '@keyv/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { maxInWindow, sequence } from '../support/backend.ts';
import { buildUpstream, get, startBackendForTest, uniqueName } from './harness.ts';

/** Two gateway processes, as far as `http/` can tell: separate limiters, connections and metrics. */
const redisUrl = inject('redisUrl');
const keyvs: Array<{ disconnect(): Promise<void> }> = [];
afterAll(async () => {
  for (const k of keyvs) await k.disconnect();
});

describe('with Redis, every instance shares one connector’s limits', () => {
  it('two instances together never exceed the quota (20/s, 60 calls split across both)', async () => {
    const backend = await startBackendForTest();
    const name = uniqueName('quota');
    const definition = { name, quota: { requests: 20, per: 'second', concurrency: 4 } };
    const a = buildUpstream(definition, { baseUrl: backend.url, redisUrl });
    const b = buildUpstream(definition, { baseUrl: backend.url, redisUrl });
    const started = Date.now();
    const calls = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).upstream.request(get(`/contacts/${i}`)));
    const answers = await Promise.all(calls);
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(backend.calls).toHaveLength(60);
    expect(maxInWindow(backend.calls.map((c) => c.at), 1_000)).toBeLessThanOrEqual(20);
    // Both instances took part: the quota was shared, not merely obeyed by each alone.
    expect(Date.now() - started).toBeGreaterThan(2_900);
  }, 20_000);

  it('stored settings from an earlier deployment are replaced at start (updateSettings)', async () => {
    const backend = await startBackendForTest();
    const name = uniqueName('settings');
    const old = buildUpstream({ name, quota: { requests: 1, per: 'second' } }, { baseUrl: backend.url, redisUrl });
    await old.upstream.request(get('/contacts/0'));
    await old.upstream.close();
    const now = buildUpstream({ name, quota: { requests: 50, per: 'second' } }, { baseUrl: backend.url, redisUrl });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => now.upstream.request(get(`/contacts/${i}`))));
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a 429 seen by one instance pauses the other', async () => {
    const backend = await startBackendForTest(sequence({ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }));
    const name = uniqueName('pause');
    const definition = { name, quota: { requests: 50, per: 'second' }, retry: { attempts: 0 } };
    const a = buildUpstream(definition, { baseUrl: backend.url, redisUrl });
    const b = buildUpstream(definition, { baseUrl: backend.url, redisUrl });
    await expect(a.upstream.request(get('/contacts/1'))).rejects.toMatchObject({ code: 'UPSTREAM_RATE_LIMITED' });
    expect((await b.upstream.request(get('/contacts/2'))).status).toBe(200);
    const [limited, next] = backend.calls;
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it('two instances sharing a Keyv on Redis share the OAuth2 token', async () => {
    const backend = await startBackendForTest();
    backend.oauth({ clientId: 'gateway', clientSecret: 's3cret' });
    const tokens = createKeyv(redisUrl, { namespace: uniqueName('tokens') });
    keyvs.push(tokens);
    const definition = {
      name: uniqueName('oauth'),
      auth: { type: 'oauth2', grant: 'client_credentials', tokenUrl: '/oauth/token', clientId: { secret: 'CLIENT_ID' }, clientSecret: { secret: 'CLIENT_SECRET' } },
    };
    const deps = { baseUrl: backend.url, tokens, secrets: { CLIENT_ID: 'gateway', CLIENT_SECRET: 's3cret' } };
    const a = buildUpstream(definition, deps);
    await a.upstream.request(get('/contacts/1'));
    const b = buildUpstream(definition, deps);
    await Promise.all([b.upstream.request(get('/contacts/2')), b.upstream.request(get('/contacts/3'))]);
    expect(backend.tokenCalls()).toHaveLength(1);
    expect(backend.dataCalls().map((c) => c.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(await series(b, 'auth')).toBe(undefined);
  });

  it('the limiter’s Redis keys carry an expiry, and close() releases every connection', async () => {
    const backend = await startBackendForTest();
    const name = uniqueName('keys');
    const built = buildUpstream({ name, quota: { requests: 5, per: 'second' } }, { baseUrl: backend.url, redisUrl });
    await built.upstream.request(get('/contacts/1'));
    const probe = new Redis(redisUrl);
    const keys = await probe.keys(`b_interchange-quota-${name}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await probe.pttl(key)).toBeGreaterThan(0);
    const ours = async () => (await probe.client('LIST') as string).split('\n').filter((l) => l.includes(`name=interchange-quota-${name} `)).length;
    expect(await ours()).toBe(2);
    await built.upstream.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(await ours()).toBe(0);
    probe.disconnect();
  });
});

async function series(h: { metrics: { registry: { metrics(): Promise<string> } } }, endpoint: string): Promise<string | undefined> {
  const text = await h.metrics.registry.metrics();
  return text.split('\n').find((l) => l.startsWith('interchange_upstream_requests_total') && l.includes(`endpoint="${endpoint}"`));
}
