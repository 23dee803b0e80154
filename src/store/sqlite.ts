import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteDialect } from './dialect.ts';
import { bindPositional, toPositional } from './placeholders.ts';
import type { Connection, Driver, DriverResult, SqlParam } from './sql-store.ts';

/**
 * SQLite adapter over better-sqlite3 (synchronous). One connection per store: SQLite has a
 * single writer, and WAL lets readers work while it writes. This is the one-process default;
 * several processes on one file work (a crashed process's leases are taken over after a restart)
 * but wait for each other's write lock synchronously, so many instances belong on PostgreSQL.
 *
 * Transactions are asynchronous callbacks over a synchronous connection, so two of them could
 * interleave on the one connection. A promise queue prevents that: a transaction holds the queue
 * from BEGIN IMMEDIATE to COMMIT/ROLLBACK, and statements outside a transaction wait their turn
 * (each runs synchronously, so it needs the queue only to not land inside someone's transaction).
 *
 * The queue is shared by every connection this process opens on the same file. Otherwise a
 * second connection's BEGIN IMMEDIATE would wait for the write lock synchronously, blocking the
 * event loop the first connection needs to finish its transaction and release it: a deadlock
 * until busy_timeout. Other processes are kept apart by SQLite's own lock and busy_timeout.
 */
const queues = new Map<string, { tail: Promise<unknown>; users: number }>();

export function createSqliteDriver(options: { path: string }): Driver {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  // WAL: readers never block the writer. FULL sync: an acknowledged commit survives power loss,
  // not only a process crash — the outbox promises exactly that. busy_timeout: another process
  // holding the write lock makes us wait (up to 5 s) instead of failing at once.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');

  const statements = new Map<string, Database.Statement>();
  const runSync = (sql: string, params: readonly SqlParam[]): DriverResult => {
    const positional = toPositional(sql);
    let statement = statements.get(positional.sql);
    if (!statement) {
      statement = db.prepare(positional.sql);
      if (statements.size >= 500) statements.clear();
      statements.set(positional.sql, statement);
    }
    const values = bindPositional(positional, params);
    if (statement.reader) {
      const rows = statement.all(values) as DriverResult['rows'];
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: statement.run(values).changes };
  };

  const file = options.path === ':memory:' ? `:memory:${Math.random()}` : resolve(options.path);
  const queue = queues.get(file) ?? { tail: Promise.resolve(), users: 0 };
  queue.users += 1;
  queues.set(file, queue);
  const exclusive = <T>(work: () => Promise<T> | T): Promise<T> => {
    const next = queue.tail.then(() => work());
    queue.tail = next.catch(() => undefined);
    return next;
  };

  return {
    dialect: sqliteDialect,
    run: (sql, params) => exclusive(() => runSync(sql, params)),
    transaction<T>(fn: (connection: Connection) => Promise<T>): Promise<T> {
      return exclusive(async () => {
        db.exec(sqliteDialect.begin);
        try {
          const result = await fn({ run: async (sql, params) => runSync(sql, params) });
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
    },
    close: () =>
      exclusive(() => {
        db.close();
        queue.users -= 1;
        if (queue.users === 0) queues.delete(file);
      }),
  };
}
