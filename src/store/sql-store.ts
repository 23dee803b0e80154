import type { Logger } from '../observability/logger.ts';
import type { Dialect } from './dialect.ts';
import { migrate } from './migrations.ts';

/**
 * The durable store behind the outbox, dead letters, the webhook event log and record links:
 * SQLite in one file by default, PostgreSQL when a database URL is configured (DESIGN.md,
 * "State"). Callers write SQL once, in PostgreSQL's spelling with `$1` placeholders, and use only
 * what both engines understand: TEXT ids, BIGINT epoch-milliseconds (always read back as
 * numbers), TEXT holding JSON, RETURNING, ON CONFLICT. The few real differences are fragments on
 * `store.dialect`.
 */

/** Values a statement binds. Booleans and objects are the caller's to encode (0/1, JSON text). */
export type SqlParam = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Every row the statement returns (with RETURNING for writes); `[]` for a statement without rows. */
  query<T extends object = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T extends object = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** Runs a statement for its effect; resolves with the number of rows it changed. */
  exec(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

export interface SqlStore extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one transaction: committed when its promise resolves, rolled back when it
   * rejects. On SQLite it holds the database's single write lock from the first statement
   * (`BEGIN IMMEDIATE`), so transactions never interleave. Inside `fn`, use only `tx`: the store's
   * own methods run outside the transaction (and on SQLite wait for it forever). This is not
   * checked at run time: telling the two apart needs AsyncLocalStorage, which on Node 20 and 22
   * turns on promise hooks for the whole process (9 % of the CPU of a cold nested query). `tx`
   * itself refuses to run once its transaction has ended.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SqlStoreOptions {
  /** `postgres://…`: use PostgreSQL. Without it, SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  /** SQLite database file; its directory is created. Default `./data/interchange.db`. */
  sqlitePath?: string | undefined;
  /** Largest number of PostgreSQL connections this process opens. Default 10. */
  poolSize?: number | undefined;
  /** Apply pending migrations before resolving. Default true. */
  migrate?: boolean | undefined;
  /** Where connection errors that belong to no query are reported (an idle PostgreSQL connection dropping). */
  logger?: Logger | undefined;
}

/** What each engine adapter provides; `createSqlStore` builds the single public code path over it. */
export interface DriverResult {
  rows: Row[];
  rowCount: number;
}
export interface Connection {
  run(sql: string, params: readonly SqlParam[]): Promise<DriverResult>;
}
export interface Driver extends Connection {
  readonly dialect: Dialect;
  transaction<T>(fn: (connection: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_PATH = './data/interchange.db';

export async function createSqlStore(options: SqlStoreOptions = {}): Promise<SqlStore> {
  const driver = options.databaseUrl
    ? (await import('./postgres.ts')).createPostgresDriver({
        connectionString: options.databaseUrl,
        poolSize: options.poolSize ?? 10,
        logger: options.logger,
      })
    : (await import('./sqlite.ts')).createSqliteDriver({ path: options.sqlitePath ?? DEFAULT_SQLITE_PATH });
  const store = storeOver(driver);
  if (options.migrate ?? true) {
    try {
      await migrate(store);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function executorOver(connection: Connection, guard: () => void = () => undefined): SqlExecutor {
  return {
    async query<T extends object>(sql: string, params: readonly SqlParam[] = []) {
      guard();
      return (await connection.run(sql, params)).rows as T[];
    },
    async one<T extends object>(sql: string, params: readonly SqlParam[] = []) {
      guard();
      return (await connection.run(sql, params)).rows[0] as T | undefined;
    },
    async exec(sql: string, params: readonly SqlParam[] = []) {
      guard();
      return (await connection.run(sql, params)).rowCount;
    },
  };
}

function storeOver(driver: Driver): SqlStore {
  const direct = executorOver(driver);
  return {
    ...direct,
    dialect: driver.dialect,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      return driver.transaction((connection) => {
        let open = true;
        const tx = executorOver(connection, () => {
          if (!open) throw new Error('a transaction executor was used after its transaction ended');
        });
        return fn(tx).finally(() => {
          open = false;
        });
      });
    },
    async ping() {
      await direct.query('SELECT 1 AS ok');
    },
    close: () => driver.close(),
  };
}
