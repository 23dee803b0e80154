import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signXero } from '../../src/events/signatures/index.ts';
import type { LoggedEvent } from '../../src/events/types.ts';
import type { TestGateway } from '../support/gateway.ts';
import { CASES, flipByte, reserialise, type IntakeCase } from './intake-cases.ts';
import { deliver, startFixtureGateway, startPeopleSystem, startReferenceGateway, type PeopleSystem } from './support.ts';

/**
 * The intake over real HTTP, for every scheme: a genuine delivery is accepted; every tampered
 * one gets 401 and leaves no trace — no row in the log, nothing for any subscriber — and a
 * delivery signed with the previous secret of a rotation is accepted.
 */

const MINUTES = 60_000;
let reference: Awaited<ReturnType<typeof startReferenceGateway>>;
let system: PeopleSystem;
let fixture: TestGateway;

beforeAll(async () => {
  const previous: Record<string, string> = {};
  for (const c of CASES) if (c.gateway === 'reference') previous[`${c.connector.toUpperCase()}_${c.credential}_PREVIOUS`] = c.secrets[1];
  reference = await startReferenceGateway(previous);
  system = await startPeopleSystem();
  fixture = await startFixtureGateway(system);
});
afterAll(async () => {
  await reference?.gateway.stop();
  await reference?.close();
  await fixture?.stop();
  await system?.close();
});

function setup(c: IntakeCase) {
  const gateway = c.gateway === 'reference' ? reference.gateway : fixture;
  const current = c.secrets[0] ?? reference.simulators[c.connector as keyof typeof reference.simulators].credentials[c.credential!]!;
  const url = `${gateway.url}/webhooks/${c.connector}`;
  const sign = (options: { secret?: string; now?: number } = {}) => c.sign({ secret: options.secret ?? current, url, now: options.now ?? Date.now() });
  const rows = async () => (await gateway.events.log.after(0, 100_000)).filter((e) => e.connector === c.connector);
  return { gateway, sign, rows };
}

describe.each(CASES)('$name', (c) => {
  it('accepts a correctly signed delivery, and one signed with the previous secret of a rotation', async () => {
    const { sign, rows } = setup(c);
    const before = (await rows()).length;
    expect(await deliver(sign())).toBe(200);
    expect(await deliver(sign({ secret: c.secrets[1] }))).toBe(200);
    expect((await rows()).length).toBe(before + 2);
  });

  it('refuses tampered deliveries with 401, storing and publishing nothing', async () => {
    const { gateway, sign, rows } = setup(c);
    const seen: LoggedEvent[] = [];
    const unlisten = gateway.events.hub.listen((e) => void (e.connector === c.connector && seen.push(e)));
    const before = (await rows()).length;
    const tampered = [sign({ secret: c.wrongSecret ?? 'not-the-secret' })];
    if (c.authenticatesBody) tampered.push(flipByte(sign()), reserialise(sign()));
    if (c.timestamped) tampered.push(sign({ now: Date.now() - 10 * MINUTES }), sign({ now: Date.now() + 10 * MINUTES }));
    for (const delivery of tampered) expect(await deliver(delivery)).toBe(401);
    // A genuine delivery afterwards: once the hub has handed it out, anything earlier would have been too.
    expect(await deliver(sign())).toBe(200);
    await gateway.events.hub.drain();
    unlisten();
    expect((await rows()).length).toBe(before + 1);
    expect(seen).toHaveLength(1);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`interchange_webhooks_total\\{connector="${c.connector}",outcome="rejected"\\} ${tampered.length}\\b`));
  });
});

describe('the intake', () => {
  it("passes Xero's intent-to-receive: 200 with an empty body when signed, 401 when not, and logs nothing", async () => {
    const url = `${reference.gateway.url}/webhooks/accounting`;
    const key = reference.simulators.accounting.credentials.WEBHOOK_KEY!;
    const probe = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: 'S0M3R4ND0M3NTR0PY' });
    const head = await reference.gateway.events.log.head();
    const good = await fetch(url, { method: 'POST', headers: signXero({ secret: key, url, body: probe }).headers as Record<string, string>, body: probe });
    expect([good.status, await good.text()]).toEqual([200, '']);
    const bad = await fetch(url, { method: 'POST', headers: signXero({ secret: 'wrong', url, body: probe }).headers as Record<string, string>, body: probe });
    expect([bad.status, await bad.text()]).toEqual([401, '']);
    expect(await reference.gateway.events.log.head()).toBe(head);
  });

  it('refuses a body over the limit with 413 before verifying it', async () => {
    const response = await fetch(`${fixture.url}/webhooks/gh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1_048_577) });
    expect(response.status).toBe(413);
  });

  it('answers 404 for a connector that takes no webhooks', async () => {
    expect((await fetch(`${fixture.url}/webhooks/nobody`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
