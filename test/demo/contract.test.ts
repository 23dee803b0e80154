import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../demo/index.ts';
import { drivers } from './drivers.ts';
import { admin, startReceiver, type WebhookReceiver } from './support.ts';

/** The same behaviour, asserted against every simulator: auth, faults, stats, paths, webhooks. */
describe.each(drivers)('the $name simulator', (driver) => {
  let sim: RunningSimulator;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sim = await startSimulator(driver.name, { port: 0 });
    receiver = await startReceiver();
    await driver.authorize(sim);
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });
  afterEach(async () => {
    await admin.faults(sim, {});
    await admin.clearWebhooks(sim);
  });

  it('refuses a read without credentials with the vendor error body', async () => {
    const res = await driver.readWithoutAuth(sim);
    expect(res.status).toBe(401);
    expect(driver.isVendorError(res)).toBe(true);
  });

  it('answers an authenticated read of a seeded guest', async () => {
    const res = await driver.read(sim);
    expect(res.status).toBe(200);
  });

  it('passes an encoded ../../admin segment to the handler as one parameter, which is not found', async () => {
    await admin.resetStats(sim);
    const res = await driver.encoded(sim);
    expect(res.status).toBe(404);
    const stats = await admin.stats(sim);
    expect(stats.byRoute).toEqual({ [driver.encodedRoute]: 1 });
    expect(stats.log[0].path).toContain('..%2F..%2Fadmin');
  });

  it('counts every call by route and status, but not the admin calls', async () => {
    await admin.resetStats(sim);
    await driver.read(sim);
    await driver.read(sim);
    await driver.readWithoutAuth(sim);
    await admin.faults(sim, {});
    const stats = await admin.stats(sim);
    expect(stats.calls).toBe(3);
    expect(stats.byRoute[driver.readRoute]).toBe(3);
    expect(stats.byStatus).toEqual({ 200: 2, 401: 1 });
    expect(stats.log.map((e: { status: number }) => e.status)).toEqual([200, 200, 401]);
    expect(stats.log[0]).toMatchObject({ method: expect.any(String), route: driver.readRoute, at: expect.any(Number) });
    expect(stats.records[driver.writeCollection]).toBeGreaterThan(0);
  });

  it('adds the configured latency to every call', async () => {
    await admin.faults(sim, { latencyMs: 120 });
    const started = performance.now();
    const res = await driver.read(sim);
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('answers 503 with the vendor error body when the error rate is 1', async () => {
    await admin.faults(sim, { errorRate: 1 });
    const res = await driver.read(sim);
    expect(res.status).toBe(503);
    expect(driver.isVendorError(res)).toBe(true);
  });

  it('answers every call 503 during an outage and recovers when it is cleared', async () => {
    await admin.faults(sim, { outage: true });
    expect((await driver.read(sim)).status).toBe(503);
    expect((await driver.readWithoutAuth(sim)).status).toBe(503);
    expect((await admin.stats(sim)).calls).toBeGreaterThan(0);
    await admin.faults(sim, {});
    expect((await driver.read(sim)).status).toBe(200);
  });

  it('answers a burst of vendor 429s with Retry-After, then serves again', async () => {
    await admin.faults(sim, { rateLimitBurst: { count: 2, retryAfterSeconds: 7 } });
    for (let i = 0; i < 2; i++) {
      const res = await driver.read(sim);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBe(7);
      expect(driver.isVendorError(res)).toBe(true);
    }
    expect((await driver.read(sim)).status).toBe(200);
  });

  it('answers a status sequence in order, then normally', async () => {
    await admin.faults(sim, { statusSequence: [503, 500, 502] });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await driver.read(sim)).status);
    expect(statuses).toEqual([503, 500, 502, 200]);
  });

  it('restricts faults to the routes named', async () => {
    await admin.faults(sim, { outage: true, routes: [driver.writeRoute] });
    expect((await driver.read(sim)).status).toBe(200);
    expect((await driver.write(sim)).status).toBe(503);
  });

  it('commits a write whose answer is lost, and answers the next one', async () => {
    const before = (await admin.records(sim, driver.writeCollection)).length;
    await admin.faults(sim, { loseResponses: 1 });
    await expect(driver.write(sim)).rejects.toThrow();
    expect((await admin.records(sim, driver.writeCollection)).length).toBe(before + 1);
    const next = await driver.write(sim);
    expect(next.status).toBeLessThan(300);
    expect((await admin.records(sim, driver.writeCollection)).length).toBe(before + 2);
    const lost = (await admin.stats(sim)).log.filter((e: { lost?: boolean }) => e.lost);
    expect(lost).toHaveLength(1);
    expect(lost[0].route).toBe(driver.writeRoute);
  });

  it('rejects a fault it does not know with a message naming the expected ones', async () => {
    const res = await admin.faults(sim, { explode: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('expected one of');
  });

  it('sends an on-demand webhook whose signature verifies with an independent HMAC', async () => {
    const target = `${receiver.url}/hooks/${driver.name}?source=demo`;
    await admin.webhook(sim, target);
    const emitted = await admin.emit(sim, driver.emit.type, driver.emit.id);
    expect(emitted.status).toBe(200);
    const webhook = await receiver.next();
    expect(webhook.method).toBe('POST');
    expect(driver.verify(webhook, target, sim)).toBe(true);
    // Mews does not sign bodies: what proves the sender is the secret in the URL.
    const tampered = driver.name === 'pms' ? { ...webhook, url: webhook.url.replace(/secret=[^&]+/, 'secret=guess') } : { ...webhook, rawBody: `${webhook.rawBody} ` };
    expect(driver.verify(tampered, target, sim)).toBe(false);
  });

  it('sends a signed webhook after each committed write', async () => {
    const target = `${receiver.url}/hooks/${driver.name}`;
    await admin.webhook(sim, target);
    const res = await driver.write(sim);
    expect(res.status).toBeLessThan(300);
    const webhook = await receiver.next();
    expect(driver.verify(webhook, target, sim)).toBe(true);
    expect(webhook.rawBody.length).toBeGreaterThan(2);
  });
});
