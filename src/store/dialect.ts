/**
 * Everything that differs between PostgreSQL and SQLite, in one place. The rest of the engine
 * writes its SQL once (`$1` placeholders, TEXT ids, BIGINT epoch-ms, TEXT JSON, RETURNING,
 * ON CONFLICT) and reaches for these fragments only where the two engines truly disagree: how a
 * row is locked against other writers, how a transaction takes the write lock, how concurrent
 * migrations are kept apart, and how an auto-numbered column is declared.
 */
export interface Dialect {
  readonly name: 'postgres' | 'sqlite';
  /**
   * Appended to a SELECT that picks rows to work on. PostgreSQL locks the rows it returns and
   * skips rows another transaction holds, so many processes claim disjoint rows. SQLite has one
   * writer at a time (every transaction is `BEGIN IMMEDIATE`), so the whole claim is already
   * exclusive and the clause is empty.
   */
  readonly lockRowsSkipLocked: string;
  /** The statement that opens a transaction holding the write lock from its first statement on SQLite. */
  readonly begin: string;
  /**
   * Run first inside the migration transaction; keeps two processes that start at once from
   * applying the same migration twice. Undefined when `begin` already serialises writers.
   */
  readonly migrationLock: string | undefined;
  /** Column declaration of a monotonically increasing integer primary key. */
  readonly serialPrimaryKey: string;
}

/** Arbitrary but fixed: the advisory lock every Interchange process takes to migrate. */
const MIGRATION_LOCK_KEY = 7_355_608_411;

export const postgresDialect: Dialect = Object.freeze({
  name: 'postgres',
  lockRowsSkipLocked: 'FOR UPDATE SKIP LOCKED',
  begin: 'BEGIN',
  migrationLock: `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`,
  serialPrimaryKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
});

export const sqliteDialect: Dialect = Object.freeze({
  name: 'sqlite',
  lockRowsSkipLocked: '',
  begin: 'BEGIN IMMEDIATE',
  migrationLock: undefined,
  serialPrimaryKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
});
