import type { SqlExecutor, SqlStore } from '../store/sql-store.ts';
import type { LoggedEvent, NewEvent } from './types.ts';

/**
 * The durable event log (`webhook_events`): one row per (connector, vendor event id), written
 * before the sender hears 2xx. It is the source of truth for subscribers; the bus only says
 * "the log grew".
 *
 * Ordering guarantee: appends are serialised (SQLite has one writer; on PostgreSQL an advisory
 * transaction lock is taken first), so `seq` values are assigned in commit order. Therefore when
 * a reader has seen seq N, every row it has not seen has seq > N — no row with a smaller seq can
 * commit later. Without the lock, PostgreSQL could commit seq 11 before seq 10 and a reader
 * resuming "after 11" would miss 10 for good. The price is that intake writes queue on one lock;
 * each holds it for one short transaction.
 */

export interface AppendResult {
  /** Events that were new, numbered, in seq order. */
  accepted: LoggedEvent[];
  /** Events whose (connector, id) was already in the log: acknowledged and dropped. */
  duplicates: NewEvent[];
}

export interface EventLog {
  append(connector: string, events: readonly NewEvent[], receivedAt: number): Promise<AppendResult>;
  /** Rows with seq > `seq`, oldest first, at most `limit`. */
  after(seq: number, limit: number): Promise<LoggedEvent[]>;
  /**
   * The newest rows after `seq`, at most `limit`, received at or after `since`; oldest first.
   * A resume window: if more than `limit` rows follow `seq`, the oldest of them are left out.
   */
  recent(seq: number, window: { limit: number; since: number }): Promise<LoggedEvent[]>;
  /** The highest seq, 0 for an empty log. */
  head(): Promise<number>;
  /** The latest `occurredAt` of the connector's events of these types: where a poller resumes. */
  lastOccurredAt(connector: string, types: readonly string[]): Promise<number | undefined>;
  /** Removes rows received before `before`; resolves with how many. Redeliveries older than that are no longer recognised. */
  prune(before: number): Promise<number>;
}

/** Arbitrary but fixed: every Interchange process takes this advisory lock to append. */
const APPEND_LOCK_KEY = 7_355_608_412;

const COLUMNS = 'seq, connector, event_id, type, occurred_at, received_at, payload';

interface Row {
  seq: number;
  connector: string;
  event_id: string;
  type: string;
  occurred_at: number | null;
  received_at: number;
  payload: string;
}

interface Payload {
  subject: NewEvent['subject'];
  data: NewEvent['data'];
  purges: NewEvent['purges'];
}

function toEvent(row: Row): LoggedEvent {
  const payload = JSON.parse(row.payload) as Payload;
  return {
    seq: Number(row.seq),
    connector: row.connector,
    id: row.event_id,
    type: row.type,
    occurredAt: Number(row.occurred_at ?? row.received_at),
    receivedAt: Number(row.received_at),
    subject: payload.subject,
    data: payload.data,
    purges: payload.purges,
  };
}

async function insertOne(tx: SqlExecutor, connector: string, event: NewEvent, receivedAt: number): Promise<number | undefined> {
  const payload: Payload = { subject: event.subject, data: event.data, purges: event.purges };
  const row = await tx.one<{ seq: number }>(
    `INSERT INTO webhook_events (connector, event_id, type, occurred_at, received_at, payload)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (connector, event_id) DO NOTHING
     RETURNING seq`,
    [connector, event.id, event.type, event.occurredAt, receivedAt, JSON.stringify(payload)],
  );
  return row === undefined ? undefined : Number(row.seq);
}

export function createEventLog(store: SqlStore): EventLog {
  return {
    append(connector, events, receivedAt) {
      // One transaction per delivery: a batch is logged whole or not at all.
      return store.transaction(async (tx) => {
        if (store.dialect.name === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
        const result: AppendResult = { accepted: [], duplicates: [] };
        for (const event of events) {
          const seq = await insertOne(tx, connector, event, receivedAt);
          if (seq === undefined) result.duplicates.push(event);
          else result.accepted.push({ ...event, seq, connector, receivedAt });
        }
        return result;
      });
    },
    async after(seq, limit) {
      const rows = await store.query<Row>(`SELECT ${COLUMNS} FROM webhook_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit]);
      return rows.map(toEvent);
    },
    async recent(seq, window) {
      const rows = await store.query<Row>(
        `SELECT ${COLUMNS} FROM (
           SELECT ${COLUMNS} FROM webhook_events WHERE seq > $1 AND received_at >= $2 ORDER BY seq DESC LIMIT $3
         ) AS newest ORDER BY seq`,
        [seq, window.since, window.limit],
      );
      return rows.map(toEvent);
    },
    async head() {
      const row = await store.one<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM webhook_events');
      return Number(row?.seq ?? 0);
    },
    async lastOccurredAt(connector, types) {
      if (types.length === 0) return undefined;
      const list = types.map((_, i) => `$${i + 2}`).join(', ');
      const row = await store.one<{ at: number | null }>(
        `SELECT MAX(occurred_at) AS at FROM webhook_events WHERE connector = $1 AND type IN (${list})`,
        [connector, ...types],
      );
      return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
    },
    prune(before) {
      return store.exec('DELETE FROM webhook_events WHERE received_at < $1', [before]);
    },
  };
}
