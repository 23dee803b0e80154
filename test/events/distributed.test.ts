import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { TestGateway } from '../support/gateway.ts';
import { POSTGRES, type TestDatabase } from '../store/targets.ts';
import { deliver, eventIds, personWebhook, startFixtureGateway, startPeopleSystem, subscribeWs, type PeopleSystem } from './support.ts';

/** Two gateway processes behind a load balancer: one Redis (bus, cache), one PostgreSQL (event log). */

const PERSON_CHANGED = 'subscription($after: ID) { personChanged(after: $after) { cursor eventId } }';

let system: PeopleSystem;
let database: TestDatabase;
let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  system = await startPeopleSystem();
  database = await POSTGRES.database();
  const shared = { REDIS_URL: inject('redisUrl'), DATABASE_URL: database.options.databaseUrl! };
  a = await startFixtureGateway(system, shared);
  b = await startFixtureGateway(system, shared);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await system?.close();
  await database?.drop();
});

describe('two gateway processes on one Redis and one PostgreSQL', () => {
  it('a subscriber on B receives an event posted to A, once; a subscriber on A hears one posted to B', async () => {
    const after = String(await a.events.log.head());
    const onA = subscribeWs(a.url, PERSON_CHANGED, { after });
    const onB = subscribeWs(b.url, PERSON_CHANGED, { after });
    expect(await deliver(personWebhook(a, system.change('1', { name: 'via A' }), { eventId: 'msg_d_a' }))).toBe(200);
    expect(await deliver(personWebhook(b, system.change('2', { name: 'via B' }), { eventId: 'msg_d_b' }))).toBe(200);
    // The vendor retries the first event against the other instance: the shared log drops it.
    expect(await deliver(personWebhook(b, system.people.get('1')!, { eventId: 'msg_d_a' }))).toBe(200);
    expect(await deliver(personWebhook(a, system.change('3', { name: 'sentinel' }), { eventId: 'msg_d_end' }))).toBe(200);
    for (const subscriber of [onA, onB]) {
      expect(eventIds(await subscriber.received(3), 'personChanged')).toEqual(['msg_d_a', 'msg_d_b', 'msg_d_end']);
      await subscriber.close();
    }
  });

  it('a change event accepted by A purges the shared cache, so B answers with the change', async () => {
    const query = '{ person(id: "4") { name } }';
    expect((await b.query(query)).body.data).toEqual({ person: { name: 'Person 4' } });
    const record = system.change('4', { name: 'Changed via A' });
    expect((await b.query(query)).body.data).toEqual({ person: { name: 'Person 4' } });
    expect(await deliver(personWebhook(a, record, { eventId: 'msg_d_purge' }))).toBe(200);
    expect((await b.query(query)).body.data).toEqual({ person: { name: 'Changed via A' } });
  });
});

describe('the Redis bus', () => {
  it('rings every process, the announcing one included, without waiting for the catch-up timer', async () => {
    const logger = createLogger({ level: 'silent' });
    const channel = `interchange:events:test-${Date.now()}`;
    const one = createRedisBus({ url: inject('redisUrl'), logger, channel });
    const two = createRedisBus({ url: inject('redisUrl'), logger, channel });
    await Promise.all([one.ready(), two.ready()]);
    const heardByOne: Array<number | undefined> = [];
    const heardByTwo = new Promise<number | undefined>((resolve) => two.listen(resolve));
    one.listen((seq) => heardByOne.push(seq));
    await one.announce(42);
    expect(await heardByTwo).toBe(42);
    expect(heardByOne[0]).toBe(42);
    await Promise.all([one.close(), two.close()]);
  });
});
