export interface CallEntry {
  at: number;
  method: string;
  path: string;
  route: string;
  status: number;
  idempotencyKey?: string;
  /** The write committed but the connection was dropped before the answer (loseResponses). */
  lost?: true;
}

export interface StatsSnapshot {
  calls: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  log: CallEntry[];
}

const LOG_CAPACITY = 20_000;

/** Totals are exact forever; the log keeps the last 20,000 calls in a ring (O(1) per call). */
export class CallStats {
  private calls = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private ring: CallEntry[] = [];
  private next = 0;

  record(entry: CallEntry): void {
    this.calls += 1;
    this.byRoute[entry.route] = (this.byRoute[entry.route] ?? 0) + 1;
    const status = String(entry.status);
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    if (this.ring.length < LOG_CAPACITY) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % LOG_CAPACITY;
  }

  snapshot(logLimit = LOG_CAPACITY): StatsSnapshot {
    const ordered =
      this.ring.length < LOG_CAPACITY ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return {
      calls: this.calls,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      log: logLimit >= ordered.length ? ordered : ordered.slice(ordered.length - logLimit),
    };
  }

  reset(): void {
    this.calls = 0;
    this.byRoute = {};
    this.byStatus = {};
    this.ring = [];
    this.next = 0;
  }
}
