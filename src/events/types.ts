/**
 * The webhook flow's one record: a change, verified (or polled), normalised by its connector's
 * mapping and written once to the event log. Subscribers receive exactly these, in `seq` order.
 */

/** A normalised change before the log has numbered it. */
export interface NewEvent {
  /** The vendor's event id: unique per connector, the de-duplication key. */
  id: string;
  /** Unified type, like `order.created`. */
  type: string;
  /** Epoch ms. */
  occurredAt: number;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
  /** Cache tags this change makes stale. */
  purges: readonly string[];
}

/** A change as the log holds it. */
export interface LoggedEvent extends NewEvent {
  /**
   * Position in the log. Rows are numbered in commit order (see `log.ts`), so "every event after
   * seq N" is a complete answer once N was seen: this is the resume cursor.
   */
  seq: number;
  connector: string;
  /** Epoch ms. */
  receivedAt: number;
}
