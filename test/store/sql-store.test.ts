import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS } from '../../src/store/migrations.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { TARGETS, type TestDatabase } from './targets.ts';

describe.each(TARGETS)('the SQL store on $name', (target) => {
  let database: TestDatabase;
  let store: SqlStore;

  beforeAll(async () => {
    database = await target.database();
    store = await database.open();
    await store.exec('CREATE TABLE probe (id TEXT PRIMARY KEY, at BIGINT NOT NULL, doc TEXT, n INTEGER NOT NULL DEFAULT 0)');
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('names its dialect and answers ping', async () => {
    expect(store.dialect.name).toBe(target.name);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('records every migration once in schema_migrations', async () => {
    const rows = await store.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(await migrate(store)).toEqual([]);
  });

  it('binds a repeated $1 and returns BIGINT epoch-ms and counts as numbers', async () => {
    const at = 1_714_000_000_123;
    const inserted = await store.query<{ id: string; at: number }>(
      'INSERT INTO probe (id, at, doc) VALUES ($1, $2, $1) RETURNING id, at',
      ['a', at],
    );
    expect(inserted).toEqual([{ id: 'a', at }]);
    const row = await store.one<{ doc: string; total: number }>('SELECT doc, (SELECT count(*) FROM probe) AS total FROM probe WHERE id = $1 AND doc = $1', ['a']);
    expect(row).toEqual({ doc: 'a', total: 1 });
  });

  it('supports ON CONFLICT DO NOTHING and DO UPDATE with RETURNING', async () => {
    await store.exec('INSERT INTO probe (id, at) VALUES ($1, $2)', ['c', 1]);
    const ignored = await store.query('INSERT INTO probe (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id', ['c', 2]);
    expect(ignored).toEqual([]);
    const updated = await store.query<{ n: number }>(
      'INSERT INTO probe (id, at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = probe.n + 1 RETURNING n',
      ['c', 3],
    );
    expect(updated).toEqual([{ n: 1 }]);
    expect(await store.exec('UPDATE probe SET n = n + 1 WHERE id IN ($1, $2)', ['c', 'missing'])).toBe(1);
  });

  it('keeps JSON text as written', async () => {
    const doc = JSON.stringify({ name: 'Zoë', tags: ['a', 'b'], nested: { n: 1.5 } });
    await store.exec('INSERT INTO probe (id, at, doc) VALUES ($1, $2, $3)', ['json', 0, doc]);
    const row = await store.one<{ doc: string }>('SELECT doc FROM probe WHERE id = $1', ['json']);
    expect(JSON.parse(row?.doc ?? 'null')).toEqual(JSON.parse(doc));
  });

  it('commits a transaction whose callback resolves and rolls back one that throws', async () => {
    await store.transaction(async (tx) => {
      await tx.exec('INSERT INTO probe (id, at) VALUES ($1, $2)', ['kept', 1]);
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.exec('INSERT INTO probe (id, at) VALUES ($1, $2)', ['undone', 1]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const ids = await store.query<{ id: string }>("SELECT id FROM probe WHERE id IN ('kept', 'undone')");
    expect(ids).toEqual([{ id: 'kept' }]);
  });

  it('runs concurrent read-then-write transactions without losing an increment', async () => {
    // SQLite serialises whole transactions; PostgreSQL needs the row lock a reader takes here.
    const lock = store.dialect.name === 'postgres' ? ' FOR UPDATE' : '';
    await store.exec('INSERT INTO probe (id, at) VALUES ($1, $2)', ['counter', 0]);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction(async (tx) => {
          const row = await tx.one<{ at: number }>(`SELECT at FROM probe WHERE id = $1${lock}`, ['counter']);
          await tx.exec('UPDATE probe SET at = $2 WHERE id = $1', ['counter', (row?.at ?? 0) + 1]);
        }),
      ),
    );
    expect(await store.one('SELECT at FROM probe WHERE id = $1', ['counter'])).toEqual({ at: 20 });
  });

  it('migrates once when three stores open the same empty database at the same time', async () => {
    const fresh = await target.database();
    try {
      const stores = await Promise.all([fresh.open(), fresh.open(), fresh.open()]);
      const rows = await stores[0]!.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });
});
