import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A backend the outbox tests write to: a real HTTP server on 127.0.0.1:0 that keeps one record
 * per idempotency key, the way Stripe and Xero do. A repeated key gets the first answer back and
 * creates nothing, so the records show what a real system would hold: one per step, whatever the
 * retries. Every request is logged too, to count attempts and to catch the same key arriving
 * while an earlier request with it is still being handled (a concurrent double dispatch).
 *
 * Faults apply to matching requests, `times` times each (default: every time):
 * - `unavailable`: 503, nothing recorded;
 * - `lost`: the write is recorded, then the connection is cut before any answer;
 * - `reject`: 422 with a validation message, nothing recorded;
 * - `hang`: the write is recorded and no answer ever comes;
 * - `flaky`: with probability `rate`, a 503 or (half of those) a lost answer.
 */
export type FaultMode = 'unavailable' | 'lost' | 'reject' | 'hang' | 'flaky';

export interface Fault {
  mode: FaultMode;
  /** Request path prefix, e.g. `/acct/`; default every path. */
  path?: string;
  times?: number;
  /** For `flaky`. */
  rate?: number;
  /** For `reject`: the system's reason. */
  message?: string;
  /** Applies only once the server has received more than this many requests. */
  after?: number;
}

export interface RecordedWrite {
  id: string;
  key: string;
  path: string;
  body: { args: Record<string, unknown>; dependencies: Record<string, { externalId: string | null; result: unknown }> };
  at: number;
}

export interface RecordingServer {
  readonly url: string;
  readonly records: Map<string, RecordedWrite>;
  readonly requests: Array<{ key: string; path: string; at: number }>;
  readonly concurrentDuplicates: string[];
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Requests carrying `key`. */
  attempts(key: string): number;
  /** Records whose key starts with `prefix` (an operation id). */
  recordsFor(prefix: string): RecordedWrite[];
  close(): Promise<void>;
}

export async function startRecordingServer(options: { latencyMs?: number } = {}): Promise<RecordingServer> {
  const records = new Map<string, RecordedWrite>();
  const requests: RecordingServer['requests'] = [];
  const concurrentDuplicates: string[] = [];
  const active = new Map<string, number>();
  let faults: Array<Fault & { left: number }> = [];
  let sequence = 0;

  const takeFault = (path: string): { mode: FaultMode | undefined; message?: string | undefined } => {
    const fault = faults.find((f) => f.left > 0 && path.startsWith(f.path ?? '/') && requests.length > (f.after ?? 0));
    if (!fault) return { mode: undefined };
    fault.left -= 1;
    if (fault.mode !== 'flaky') return { mode: fault.mode, message: fault.message };
    const roll = Math.random();
    const rate = fault.rate ?? 0.1;
    return { mode: roll < rate / 2 ? 'lost' : roll < rate ? 'unavailable' : undefined };
  };

  const commit = (key: string, path: string, body: RecordedWrite['body']): RecordedWrite => {
    const existing = records.get(key);
    if (existing) return existing;
    const record = { id: `rec_${++sequence}`, key, path, body, at: Date.now() };
    records.set(key, record);
    return record;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const key = String(req.headers['idempotency-key'] ?? '');
    const path = req.url ?? '/';
    requests.push({ key, path, at: Date.now() });
    if ((active.get(key) ?? 0) > 0) concurrentDuplicates.push(key);
    active.set(key, (active.get(key) ?? 0) + 1);
    res.on('close', () => active.set(key, (active.get(key) ?? 1) - 1));
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, Math.random() * (options.latencyMs ?? 0)));
    const body = JSON.parse(raw || '{}') as RecordedWrite['body'];
    const answer = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fault = takeFault(path);
    switch (fault.mode) {
      case 'unavailable':
        return answer(503, { message: 'Service Unavailable' });
      case 'reject':
        return answer(422, { message: fault.message ?? 'Validation failed' });
      case 'lost':
        commit(key, path, body);
        return req.socket.destroy();
      case 'hang':
        commit(key, path, body);
        return;
      default: {
        const replayed = records.has(key);
        return answer(200, { id: commit(key, path, body).id, replayed });
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    requests,
    concurrentDuplicates,
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY }),
    clearFaults: () => {
      faults = [];
    },
    attempts: (key) => requests.filter((request) => request.key === key).length,
    recordsFor: (prefix) => [...records.values()].filter((record) => record.key.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
