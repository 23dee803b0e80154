import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.ts';
import { TARGETS, type TestDatabase } from '../store/targets.ts';
import { deliver, eventIds, personWebhook, startFixtureGateway, startPeopleSystem, subscribeSse, subscribeWs, type PeopleSystem } from './support.ts';

/** Webhooks in, subscriptions out, on one gateway (in-process bus), with the event log on each SQL engine. */

const PERSON_CHANGED = `subscription($id: ID, $teamId: ID, $after: ID) {
  personChanged(id: $id, teamId: $teamId, after: $after) { cursor eventId type source subject { id } person { name } }
}`;

describe.each(TARGETS)('with the event log on $name', (target) => {
  let system: PeopleSystem;
  let gateway: TestGateway;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await target.database();
    system = await startPeopleSystem();
    gateway = await startFixtureGateway(system, database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {});
  });
  afterAll(async () => {
    await gateway?.stop();
    await system?.close();
    await database?.drop();
  });

  const head = async () => String(await gateway.events.log.head());
  const rows = async (eventId: string) => (await gateway.events.log.after(0, 10_000)).filter((e) => e.id === eventId);

  describe('de-duplication by the vendor event id', () => {
    it('logs an event delivered three times once, and each subscriber receives it once', async () => {
      const after = await head();
      const first = subscribeWs(gateway.url, PERSON_CHANGED, { after });
      const second = subscribeWs(gateway.url, PERSON_CHANGED, { after });
      const delivery = personWebhook(gateway, system.change('1', { name: 'Ada' }), { eventId: 'msg_dup_1' });
      expect([await deliver(delivery), await deliver(delivery), await deliver(delivery)]).toEqual([200, 200, 200]);
      // A later event as a sentinel: delivery is in log order, so once it arrives nothing earlier can still come.
      expect(await deliver(personWebhook(gateway, system.change('2', { name: 'Bea' }), { eventId: 'msg_sentinel_1' }))).toBe(200);
      for (const subscriber of [first, second]) {
        expect(eventIds(await subscriber.received(2), 'personChanged')).toEqual(['msg_dup_1', 'msg_sentinel_1']);
        await subscriber.close();
      }
      expect(await rows('msg_dup_1')).toHaveLength(1);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toContain('interchange_webhooks_total{connector="people",outcome="accepted"} 2');
      expect(metrics).toContain('interchange_webhooks_total{connector="people",outcome="duplicate"} 2');
    });
  });

  describe('subscriptions', () => {
    it('filter by their arguments and resolve the changed record through its connector', async () => {
      const after = await head();
      const onlyThree = subscribeWs(gateway.url, PERSON_CHANGED, { id: '3', after });
      const teamTwo = subscribeWs(gateway.url, PERSON_CHANGED, { teamId: '2', after });
      await deliver(personWebhook(gateway, system.change('4', { name: 'Dee' }), { eventId: 'msg_f_4' }));
      await deliver(personWebhook(gateway, system.change('3', { name: 'Cy' }), { eventId: 'msg_f_3' }));
      const [three] = await onlyThree.received(1);
      expect(three!.data).toMatchObject({ personChanged: { eventId: 'msg_f_3', type: 'person.updated', source: 'people', subject: { id: '3' }, person: { name: 'Cy' } } });
      // Person 3 is in team 2 ((3 % 2) + 1), person 4 in team 1.
      expect(eventIds(await teamTwo.received(1), 'personChanged')).toEqual(['msg_f_3']);
      await Promise.all([onlyThree.close(), teamTwo.close()]);
    });

    it('refuses a resume cursor it never issued', async () => {
      const subscriber = subscribeWs(gateway.url, PERSON_CHANGED, { after: 'yesterday' });
      const [result] = await subscriber.received(1);
      expect(result!.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      await subscriber.close();
    });
  });

  describe('resuming after a disconnect', () => {
    it('over graphql-ws with `after`: the missed events, then live ones, none twice', async () => {
      const start = await head();
      const before = subscribeWs(gateway.url, PERSON_CHANGED, { after: start });
      await deliver(personWebhook(gateway, system.change('1', { name: 'r1' }), { eventId: 'msg_r_1' }));
      await deliver(personWebhook(gateway, system.change('2', { name: 'r2' }), { eventId: 'msg_r_2' }));
      const seen = await before.received(2);
      await before.close();
      const last = (seen[1]!.data as { personChanged: { cursor: string } }).personChanged.cursor;

      await deliver(personWebhook(gateway, system.change('3', { name: 'r3' }), { eventId: 'msg_r_3' }));
      await deliver(personWebhook(gateway, system.change('4', { name: 'r4' }), { eventId: 'msg_r_4' }));
      const after = subscribeWs(gateway.url, PERSON_CHANGED, { after: last });
      await after.received(2);
      await deliver(personWebhook(gateway, system.change('5', { name: 'r5' }), { eventId: 'msg_r_5' }));
      expect(eventIds(await after.received(3), 'personChanged')).toEqual(['msg_r_3', 'msg_r_4', 'msg_r_5']);
      await after.close();
    });

    it('over SSE with Last-Event-ID: the missed events, then live ones, none twice', async () => {
      const start = await head();
      const before = subscribeSse(gateway.url, PERSON_CHANGED, { lastEventId: start });
      await deliver(personWebhook(gateway, system.change('1', { name: 's1' }), { eventId: 'msg_s_1' }));
      await before.received(1);
      await before.close();
      expect(before.ids).toHaveLength(1);

      await deliver(personWebhook(gateway, system.change('2', { name: 's2' }), { eventId: 'msg_s_2' }));
      const after = subscribeSse(gateway.url, PERSON_CHANGED, { lastEventId: before.ids[0]! });
      await after.received(1);
      await deliver(personWebhook(gateway, system.change('3', { name: 's3' }), { eventId: 'msg_s_3' }));
      expect(eventIds(await after.received(2), 'personChanged')).toEqual(['msg_s_2', 'msg_s_3']);
      expect(after.ids.map(Number)).toEqual([...after.ids.map(Number)].sort((a, b) => a - b));
      await after.close();
    });
  });

  describe('the resume window', () => {
    it('replays at most the newest 1,000 events after the cursor, then continues live', async () => {
      const start = Number(await head());
      const events = Array.from({ length: 1_005 }, (_, i) => ({
        id: `bulk-${target.name}-${i}`,
        type: 'person.updated',
        occurredAt: Date.now(),
        subject: { type: 'person', id: '1' },
        data: { teamId: '2' },
        purges: [],
      }));
      await gateway.events.log.append('people', events, Date.now());
      const subscriber = subscribeWs(gateway.url, 'subscription($after: ID) { personChanged(after: $after) { eventId } }', { after: String(start) });
      const replayed = await subscriber.received(1_000);
      expect(eventIds(replayed, 'personChanged').slice(0, 2)).toEqual([`bulk-${target.name}-5`, `bulk-${target.name}-6`]);
      await deliver(personWebhook(gateway, system.change('1', { name: 'after the window' }), { eventId: `msg_window_${target.name}` }));
      expect(eventIds(await subscriber.received(1_001), 'personChanged').at(-1)).toBe(`msg_window_${target.name}`);
      await subscriber.close();
    });
  });

  describe('freshness', () => {
    it('after a change event, the same query returns the changed data without waiting for the TTL', async () => {
      const query = '{ person(id: "5") { name } }';
      const before = system.people.get('5')!.name;
      expect((await gateway.query(query)).body.data).toEqual({ person: { name: before } });
      const record = system.change('5', { name: 'Eve' });
      // The answer is cached for 300 s: without a purge the old name would stay.
      expect((await gateway.query(query)).body.data).toEqual({ person: { name: before } });
      expect(await deliver(personWebhook(gateway, record, { eventId: 'msg_fresh_5' }))).toBe(200);
      expect((await gateway.query(query)).body.data).toEqual({ person: { name: 'Eve' } });
    });
  });

  describe('pollers', () => {
    it('turn changes found by modification time into the same events, each once', async () => {
      // Catch up with the changes earlier tests made, then change one record.
      await gateway.events.pollers!.pollNow('people');
      const subscriber = subscribeWs(gateway.url, PERSON_CHANGED, { after: await head() });
      const changed = system.change('2', { name: 'Polly' });
      expect(await gateway.events.pollers!.pollNow('people')).toBe(1);
      // The next poll overlaps the last one and finds the same version again: nothing new.
      expect(await gateway.events.pollers!.pollNow('people')).toBe(0);
      const [result] = await subscriber.received(1);
      expect(result!.data).toMatchObject({ personChanged: { eventId: `2@${changed.updated_at}`, type: 'person.changed', person: { name: 'Polly' } } });
      await subscriber.close();
    });
  });
});
