import { afterEach, describe, expect, it, vi } from 'vitest';
import { normalizeConnector } from '../../src/connectors/normalize.ts';
import { createRetryPlan } from '../../src/http/resilience.ts';
import { sequence } from '../support/backend.ts';
import { get, harness, post, rejection, series } from './harness.ts';

const fast = { retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 20 } };

describe('retries', () => {
  it('a GET answered 503, 503, then 200 succeeds after exactly three calls', async () => {
    const h = await harness(fast, { handler: sequence({ status: 503 }, { status: 503 }, { status: 200, body: { id: 1 } }) });
    const response = await h.upstream.request(get('/contacts/1'));
    expect(response).toMatchObject({ status: 200, body: { id: 1 } });
    expect(h.backend.calls).toHaveLength(3);
    expect(await series(h.metrics, 'interchange_upstream_retries_total', { connector: 'crm', endpoint: 'contact' })).toBe(2);
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'contact', code: '503' })).toBe(2);
    expect(h.logs().filter((l) => l.msg === 'retrying upstream call')).toHaveLength(2);
  });

  it('a POST answered 503 fails with UPSTREAM_UNAVAILABLE after exactly one call', async () => {
    const h = await harness(fast, { handler: sequence({ status: 503, body: { detail: 'internal stack trace here' } }, { status: 200 }) });
    const error = await rejection(h.upstream.request(post('/contacts', { name: 'Ada' })));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503, connector: 'crm', endpoint: 'createContact' });
    expect(error.message).not.toContain('stack trace');
    expect(h.backend.calls).toHaveLength(1);
  });

  it('gives up after the declared attempts and reports the last status', async () => {
    const h = await harness(fast, { handler: () => ({ status: 502 }) });
    const error = await rejection(h.upstream.request(get('/contacts/1')));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 502, message: 'crm is unavailable (status 502)' });
    expect(h.backend.calls).toHaveLength(3);
  });

  it('answers a 4xx (other than 401 and 429) as a response, without retrying', async () => {
    const h = await harness(fast, { handler: () => ({ status: 404, body: { message: 'no such contact' } }) });
    expect(await h.upstream.request(get('/contacts/9'))).toMatchObject({ status: 404, body: { message: 'no such contact' } });
    expect(h.backend.calls).toHaveLength(1);
  });

  it('does not retry a 500, which is not a transient status', async () => {
    const h = await harness(fast, { handler: () => ({ status: 500 }) });
    expect(await rejection(h.upstream.request(get('/contacts/1')))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 500 });
    expect(h.backend.calls).toHaveLength(1);
  });

  it('waits for the Retry-After of a 429 before retrying', async () => {
    const h = await harness(fast, { handler: sequence({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: {} }) });
    expect(await h.upstream.request(get('/contacts/1'))).toMatchObject({ status: 200 });
    const [first, second] = h.backend.calls;
    expect(h.backend.calls).toHaveLength(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it('fails at once with UPSTREAM_RATE_LIMITED when the Retry-After lies beyond the deadline', async () => {
    const h = await harness(fast, { handler: () => ({ status: 429, headers: { 'retry-after': '5' } }) });
    const started = Date.now();
    const error = await rejection(h.upstream.request(get('/contacts/1', { deadline: Date.now() + 1_000 })));
    expect(error).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', retryAfterMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(300);
    expect(h.backend.calls).toHaveLength(1);
  });

  it('never lets a backoff reach past the deadline', async () => {
    const h = await harness({ retry: { attempts: 5, initialDelayMs: 400, maxDelayMs: 400 } }, { handler: () => ({ status: 503, headers: { 'retry-after': '1' } }) });
    const started = Date.now();
    const error = await rejection(h.upstream.request(get('/contacts/1', { deadline: Date.now() + 300 })));
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(300);
  });
});

describe('timeouts', () => {
  it('a backend slower than requestMs fails with UPSTREAM_TIMEOUT, counted as code "timeout"', async () => {
    const h = await harness({ timeouts: { requestMs: 100 }, retry: { attempts: 0 } }, { handler: () => ({ status: 200, delayMs: 2_000 }) });
    const started = Date.now();
    const error = await rejection(h.upstream.request(get('/contacts/1')));
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'crm did not answer within 100 ms' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'contact', code: 'timeout' })).toBe(1);
  });

  it('an attempt never runs past the request deadline', async () => {
    const h = await harness({ timeouts: { requestMs: 5_000 } }, { handler: () => ({ status: 200, delayMs: 2_000 }) });
    const started = Date.now();
    const error = await rejection(h.upstream.request(get('/contacts/1', { deadline: Date.now() + 150 })));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.backend.calls).toHaveLength(1);
  });

  it('retries an idempotent call that timed out', async () => {
    const h = await harness({ ...fast, timeouts: { requestMs: 100 } }, { handler: sequence({ status: 200, delayMs: 300 }, { status: 200, body: { ok: 1 } }) });
    expect(await h.upstream.request(get('/contacts/1'))).toMatchObject({ status: 200, body: { ok: 1 } });
    expect(h.backend.calls).toHaveLength(2);
  });

  it('a call the caller aborts rejects with the caller’s own reason', async () => {
    const h = await harness({}, { handler: () => ({ status: 200, delayMs: 500 }) });
    const controller = new AbortController();
    const pending = h.upstream.request(get('/contacts/1', { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    expect((await rejection(pending)).message).toBe('client went away');
  });
});

describe('circuit breaker', () => {
  const breakerConnector = { retry: { attempts: 0 }, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 } };

  it('opens after N consecutive failures, fails fast without calling, and closes after one good probe', async () => {
    let healthy = false;
    const h = await harness(breakerConnector, { handler: () => (healthy ? { status: 200, body: {} } : { status: 503 }) });
    for (let i = 0; i < 3; i++) expect((await rejection(h.upstream.request(get('/contacts/1')))).status).toBe(503);
    expect(h.backend.calls).toHaveLength(3);

    for (let i = 0; i < 5; i++) {
      const error = await rejection(h.upstream.request(get('/contacts/1')));
      expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'crm is unavailable (circuit open)' });
    }
    expect(h.backend.calls).toHaveLength(3);
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'contact', code: 'circuit_open' })).toBe(5);

    healthy = true;
    await new Promise((r) => setTimeout(r, 220));
    const [probe, after] = await Promise.all([h.upstream.request(get('/contacts/1')), h.upstream.request(get('/contacts/2'))]);
    expect(probe.status).toBe(200);
    expect(after.status).toBe(200);
    expect(h.backend.calls).toHaveLength(5);
    expect((await h.upstream.request(get('/contacts/3'))).status).toBe(200);
  });

  it('a failed probe opens the circuit again', async () => {
    const h = await harness(breakerConnector, { handler: () => ({ status: 503 }) });
    for (let i = 0; i < 3; i++) await rejection(h.upstream.request(get('/contacts/1')));
    await new Promise((r) => setTimeout(r, 220));
    expect((await rejection(h.upstream.request(get('/contacts/1')))).status).toBe(503);
    expect((await rejection(h.upstream.request(get('/contacts/1')))).message).toContain('circuit open');
    expect(h.backend.calls).toHaveLength(4);
  });

  it('does not count 4xx or 429 answers as failures', async () => {
    const h = await harness(breakerConnector, { handler: () => ({ status: 429 }) });
    for (let i = 0; i < 5; i++) expect((await rejection(h.upstream.request(get('/contacts/1')))).code).toBe('UPSTREAM_RATE_LIMITED');
    h.backend.handle(() => ({ status: 400 }));
    for (let i = 0; i < 5; i++) expect((await h.upstream.request(get('/contacts/1'))).status).toBe(400);
    expect(h.backend.calls).toHaveLength(10);
  });

  it('counts network errors: a backend that is gone opens the circuit', async () => {
    const h = await harness(breakerConnector);
    await h.backend.close();
    for (let i = 0; i < 3; i++) expect(await rejection(h.upstream.request(get('/contacts/1')))).toMatchObject({ message: 'crm is unavailable (network error)' });
    expect((await rejection(h.upstream.request(get('/contacts/1')))).message).toContain('circuit open');
    expect(await series(h.metrics, 'interchange_upstream_requests_total', { connector: 'crm', endpoint: 'contact', code: 'network' })).toBe(3);
  });
});

describe('observability', () => {
  it('exposes the labelled request, duration and retry series, and logs paths without query strings', async () => {
    const h = await harness({ ...fast, auth: { type: 'apiKey', in: 'query', name: 'key', value: { secret: 'API_KEY' } } }, {
      handler: sequence({ status: 503 }, { status: 200, body: {} }),
      deps: { secrets: { API_KEY: 'very-secret-key' } },
    });
    await h.upstream.request(get('/contacts/1', { query: { email: 'ada@example.com' } }));
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('interchange_upstream_requests_total{connector="crm",endpoint="contact",code="503"} 1');
    expect(text).toContain('interchange_upstream_requests_total{connector="crm",endpoint="contact",code="200"} 1');
    expect(text).toContain('interchange_upstream_retries_total{connector="crm",endpoint="contact"} 1');
    expect(text).toContain('interchange_upstream_request_duration_seconds_count{connector="crm",endpoint="contact"} 2');
    const attempts = h.logs().filter((l) => l.msg === 'upstream attempt');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toMatchObject({ level: 20, connector: 'crm', endpoint: 'contact', method: 'GET', path: '/contacts/1', status: '200' });
    expect(h.logText()).not.toContain('very-secret-key');
    expect(h.logText()).not.toContain('ada@example.com');
  });
});

describe('the retry plan', () => {
  afterEach(() => vi.restoreAllMocks());
  const plan = createRetryPlan(normalizeConnector({ name: 'x', retry: { attempts: 5, initialDelayMs: 100, maxDelayMs: 500 }, endpoints: {} }, 'test'));

  it('backs off exponentially from initialDelayMs with full jitter, capped at maxDelayMs, for the declared attempts', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9999);
    const budget = plan.begin({ idempotent: true });
    expect(Array.from({ length: 6 }, () => budget.delayAfter({ kind: 'network' }, 0))).toEqual([99, 199, 399, 499, 499, undefined]);
  });

  it('lets a Retry-After set the delay, unless it does not fit before the deadline', () => {
    expect(plan.begin({ idempotent: true, deadline: 5_000 }).delayAfter({ kind: 'status', status: 429, retryAfterMs: 2_000 }, 0)).toBe(2_000);
    expect(plan.begin({ idempotent: true, deadline: 1_000 }).delayAfter({ kind: 'status', status: 503, retryAfterMs: 2_000 }, 0)).toBeUndefined();
  });

  it('never retries a non-idempotent call, nor a status that is not transient', () => {
    expect(plan.begin({ idempotent: false }).delayAfter({ kind: 'status', status: 503, retryAfterMs: undefined }, 0)).toBeUndefined();
    expect(plan.begin({ idempotent: true }).delayAfter({ kind: 'status', status: 500, retryAfterMs: undefined }, 0)).toBeUndefined();
  });
});
