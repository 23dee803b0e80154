import type { Dialect } from './dialect.ts';
import type { SqlStore } from './sql-store.ts';

/**
 * The schema, as an ordered list of migrations. A migration is never edited once released: a
 * change is a new entry with the next version. Types are the portable subset: TEXT ids and
 * JSON, BIGINT epoch-milliseconds, INTEGER counters; CHECK constraints keep the state columns to
 * their closed lists on both engines.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One statement per entry: neither engine is asked to split a script. */
  readonly up: (dialect: Dialect) => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'record links',
    // A unified record (entity + key, say customer + email) and its id in each system, found
    // once (usually by a search on email) and remembered so later reads go straight to it.
    up: () => [
      `CREATE TABLE record_links (
        entity TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        system TEXT NOT NULL,
        external_id TEXT NOT NULL,
        found_at BIGINT NOT NULL,
        PRIMARY KEY (entity, entity_key, system)
      )`,
      // A webhook names the system's own id: this finds the unified record it belongs to.
      `CREATE INDEX record_links_by_external_id ON record_links (entity, system, external_id)`,
    ],
  },
  {
    version: 2,
    name: 'write outbox',
    up: () => [
      `CREATE TABLE write_operations (
        id TEXT PRIMARY KEY,
        mutation TEXT NOT NULL,
        idempotency_key TEXT UNIQUE,
        input TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PENDING', 'PARTIAL', 'COMPLETED', 'FAILED')),
        alerted_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE INDEX write_operations_by_created ON write_operations (created_at, id)`,
      `CREATE INDEX write_operations_by_status ON write_operations (status, created_at, id)`,
      `CREATE TABLE write_steps (
        id TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL REFERENCES write_operations (id),
        ordinal INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('forward', 'compensation')),
        compensates_step_id TEXT REFERENCES write_steps (id),
        connector TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        args TEXT NOT NULL,
        compensation TEXT,
        idempotency_key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'retry_scheduled', 'succeeded', 'dead', 'compensated')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
        next_attempt_at BIGINT,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        external_id TEXT,
        result TEXT,
        last_error TEXT,
        dead_cause TEXT CHECK (dead_cause IN ('rejected', 'exhausted', 'dependency')),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (operation_id, name)
      )`,
      // The dispatcher's two questions, each answered from a small partial index: which waiting
      // steps are due, and which leases have expired.
      `CREATE INDEX write_steps_due ON write_steps (next_attempt_at) WHERE state IN ('pending', 'retry_scheduled')`,
      `CREATE INDEX write_steps_leased ON write_steps (lease_expires_at) WHERE state = 'in_flight'`,
      `CREATE INDEX write_steps_dead ON write_steps (updated_at) WHERE state = 'dead'`,
      `CREATE TABLE write_step_dependencies (
        step_id TEXT NOT NULL REFERENCES write_steps (id),
        depends_on_step_id TEXT NOT NULL REFERENCES write_steps (id),
        PRIMARY KEY (step_id, depends_on_step_id)
      )`,
    ],
  },
  {
    version: 3,
    name: 'webhook event log',
    // Verified inbound events, deduplicated by the vendor's event id per connector. `seq` orders
    // replay to subscribers. On PostgreSQL an identity value is taken before commit, so two
    // concurrent intakes may commit out of order: a reader that resumes "after seq N" should
    // re-read a short window behind N rather than trust it as a watermark.
    up: (dialect) => [
      `CREATE TABLE webhook_events (
        seq ${dialect.serialPrimaryKey},
        connector TEXT NOT NULL,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        occurred_at BIGINT,
        received_at BIGINT NOT NULL,
        payload TEXT NOT NULL,
        UNIQUE (connector, event_id)
      )`,
      `CREATE INDEX webhook_events_by_type ON webhook_events (type, seq)`,
    ],
  },
];

/**
 * Applies every migration the database has not recorded, all in one transaction: a failure
 * leaves the schema as it was. Two processes that start at once on PostgreSQL queue on an
 * advisory lock (the second then finds nothing left to do); on SQLite `BEGIN IMMEDIATE` already
 * admits one writer. Resolves with the versions it applied.
 */
export async function migrate(store: SqlStore, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  checkOrder(migrations);
  return store.transaction(async (tx) => {
    if (store.dialect.migrationLock) await tx.query(store.dialect.migrationLock);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.up(store.dialect)) await tx.exec(statement);
      await tx.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      done.push(migration.version);
    }
    return done;
  });
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous && migration.version <= previous.version) {
      throw new Error(`migrations must have increasing versions: ${migration.version} ("${migration.name}") follows ${previous.version}`);
    }
  });
}
