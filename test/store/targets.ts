import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createSqlStore, type SqlStore, type SqlStoreOptions } from '../../src/store/sql-store.ts';

/**
 * The two engines every store and outbox suite runs against. Each `database()` is a fresh,
 * empty database: a temp SQLite file, or a new PostgreSQL database on the test server. `open()`
 * connects another store (another pool, as a second gateway process would) to the same one.
 */
export interface TestDatabase {
  readonly options: SqlStoreOptions;
  open(extra?: Partial<SqlStoreOptions>): Promise<SqlStore>;
  drop(): Promise<void>;
}

export interface Target {
  readonly name: 'sqlite' | 'postgres';
  database(): Promise<TestDatabase>;
}

const sqlite: Target = {
  name: 'sqlite',
  async database() {
    const dir = mkdtempSync(join(tmpdir(), 'interchange-store-'));
    const options = { sqlitePath: join(dir, 'nested', 'interchange.db') };
    return {
      options,
      open: (extra) => createSqlStore({ ...options, ...extra }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Target = {
  name: 'postgres',
  async database() {
    const adminUrl = inject('databaseUrl');
    const name = `t_${randomUUID().replaceAll('-', '')}`;
    await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const options = { databaseUrl: url.toString() };
    return {
      options,
      open: (extra) => createSqlStore({ ...options, ...extra }),
      drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    };
  },
};

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const TARGETS: readonly Target[] = [sqlite, postgres];
export const POSTGRES = postgres;
export const SQLITE = sqlite;
