import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkStore, type LinkStore } from '../../src/store/link-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { TARGETS, type TestDatabase } from './targets.ts';

describe.each(TARGETS)('record links on $name', (target) => {
  let database: TestDatabase;
  let store: SqlStore;
  let links: LinkStore;

  beforeAll(async () => {
    database = await target.database();
    store = await database.open();
    links = createLinkStore(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('knows no systems for a customer never linked', async () => {
    expect(await links.get('customer', 'nobody@example.com')).toEqual({});
  });

  it("remembers a customer's id in each system, found once by email", async () => {
    await links.set('customer', 'ada@example.com', 'crm', '901');
    await links.set('customer', 'ada@example.com', 'shop', 'gid-77');
    await links.set('order', 'ada@example.com', 'shop', 'not-a-customer');
    expect(await links.get('customer', 'ada@example.com')).toEqual({ crm: '901', shop: 'gid-77' });
  });

  it('is idempotent: setting the same link again keeps the first sighting', async () => {
    await links.set('customer', 'bo@example.com', 'crm', '1');
    const first = await store.one<{ found_at: number }>("SELECT found_at FROM record_links WHERE entity_key = 'bo@example.com'");
    await new Promise((resolve) => setTimeout(resolve, 5));
    await links.set('customer', 'bo@example.com', 'crm', '1');
    const again = await store.one<{ found_at: number }>("SELECT found_at FROM record_links WHERE entity_key = 'bo@example.com'");
    expect(again?.found_at).toBe(first?.found_at);
    expect(typeof first?.found_at).toBe('number');
  });

  it('replaces a link when the system now answers with another record', async () => {
    await links.set('customer', 'cy@example.com', 'pms', 'old');
    await links.set('customer', 'cy@example.com', 'pms', 'new');
    expect(await links.get('customer', 'cy@example.com')).toEqual({ pms: 'new' });
  });

  it('finds the unified key from a system id, as a webhook names it', async () => {
    await links.set('customer', 'di@example.com', 'pos', 'SQ-5');
    expect(await links.findKey('customer', 'pos', 'SQ-5')).toBe('di@example.com');
    expect(await links.findKey('customer', 'pos', 'SQ-unknown')).toBeUndefined();
  });

  it('keeps concurrent sets of the same link to one row', async () => {
    await Promise.all(Array.from({ length: 10 }, () => links.set('customer', 'ed@example.com', 'crm', '42')));
    const rows = await store.query("SELECT external_id FROM record_links WHERE entity_key = 'ed@example.com'");
    expect(rows).toEqual([{ external_id: '42' }]);
  });
});
