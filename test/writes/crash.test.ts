import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSqlStore } from '../../src/store/sql-store.ts';
import { createOutbox } from '../../src/writes/outbox.ts';
import { dispatcherFactory } from './support/harness.ts';
import { startRecordingServer, type RecordingServer } from './support/recording-server.ts';

const WORKER = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('a gateway killed with SIGKILL mid-dispatch on SQLite', () => {
  let dir: string;
  let server: RecordingServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interchange-crash-'));
    server = await startRecordingServer();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write and duplicates none: a new dispatcher finishes the work, resending with the same keys', async () => {
    const sqlitePath = join(dir, 'interchange.db');
    // After ten writes, the system records every write and never answers: the worker's requests
    // in flight when it dies have reached the system, but the worker never learns it.
    const served = 10;
    server.inject({ mode: 'hang', after: served });
    const leaseMs = 1_000;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, sqlitePath, server.url, '20', String(leaseMs)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

    await vi.waitFor(() => expect(stdout, stderr).toContain('\n'), { timeout: 15_000, interval: 20 });
    const { acknowledged } = JSON.parse(stdout) as { acknowledged: string[] };
    expect(acknowledged).toHaveLength(20);
    // Four requests in flight (the worker's concurrency), all committed upstream, none answered.
    await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(served + 4), { timeout: 15_000, interval: 5 });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const hung = new Set(server.requests.slice(served).map((request) => request.key));
    server.clearFaults();
    const store = await createSqlStore({ sqlitePath });
    try {
      const outbox = createOutbox(store);
      const stuck = await store.one<{ n: number }>("SELECT count(*) AS n FROM write_steps WHERE state = 'in_flight'");
      expect(stuck?.n).toBeGreaterThan(0);

      const dispatchers = dispatcherFactory({ store, outbox, serverUrl: server.url });
      dispatchers.start({ owner: 'after-restart' });
      await vi.waitFor(
        async () => expect(await store.one("SELECT count(*) AS n FROM write_steps WHERE state <> 'succeeded'")).toEqual({ n: 0 }),
        { timeout: 15_000, interval: 50 },
      );
      await dispatchers.stopAll();

      const operations = await Promise.all(acknowledged.map((id) => outbox.getOperation(id)));
      expect(operations.map((operation) => operation?.status)).toEqual(acknowledged.map(() => 'COMPLETED'));
      const keys = operations.flatMap((operation) => operation?.steps.map((step) => step.idempotencyKey) ?? []);
      expect(keys).toHaveLength(60);
      expect(server.records.size).toBe(60);
      expect(keys.every((key) => server.records.has(key))).toBe(true);
      // The writes cut off by the kill were sent again, with the key they had before it.
      expect(hung.size).toBeGreaterThan(0);
      for (const key of hung) expect(server.attempts(key)).toBeGreaterThanOrEqual(2);
    } finally {
      await store.close();
    }
  });
});
