import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators } from '../../demo/index.ts';
import { createSqlStore } from '../../src/store/sql-store.ts';
import { connectorEnv, graphql, killAll, spawnGateway } from './support/processes.ts';
import { clearFaults, CREATE_CUSTOMER, holdings, newGuest, setFaults, tally, type CustomerSystem, type Sims } from './support/systems.ts';

/**
 * `kill -9` of a real gateway process while its dispatcher has writes on the wire, then a
 * restart on the same SQLite data directory. The gateway is configured as an operator would
 * configure it, through the environment; WRITE_LEASE_MS=3000 lets the restarted process take
 * over the dead one's in-flight steps after three seconds instead of thirty.
 */

const GUESTS = 60;
const CLIENTS = 10;
const KILL_AFTER_ACKNOWLEDGED = 25;
const LEASE_MS = 3_000;

let sims: Sims;
let dataDir: string;

beforeAll(async () => {
  sims = await startSimulators({ limits: 'relaxed' });
  dataDir = mkdtempSync(join(tmpdir(), 'interchange-durability-crash-'));
});
afterAll(async () => {
  await killAll();
  await Promise.all(Object.values(sims ?? {}).map((sim) => sim.close()));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const OPERATIONS = /* GraphQL */ `
  query($after: String) {
    writeOperations(first: 50, after: $after) { nodes { id status steps { name status externalId attempts } } pageInfo { hasNextPage endCursor } }
  }
`;

async function allOperations(url: string): Promise<any[]> {
  const nodes: any[] = [];
  let after: string | null = null;
  for (;;) {
    const { body } = await graphql(url, OPERATIONS, { after });
    if (!body.data) throw new Error(`writeOperations failed: ${JSON.stringify(body.errors)}`);
    nodes.push(...body.data.writeOperations.nodes);
    if (!body.data.writeOperations.pageInfo.hasNextPage) return nodes;
    after = body.data.writeOperations.pageInfo.endCursor;
  }
}

describe('a gateway process killed with SIGKILL mid-dispatch and restarted on the same data', () => {
  it('completes every acknowledged createCustomer, and each system holds exactly one record per email', async () => {
    const started = Date.now();
    const env = { ...connectorEnv(sims), DATA_DIR: dataDir, WRITE_LEASE_MS: String(LEASE_MS) };
    const first = await spawnGateway('first', env);
    // Slow systems: each step spends most of its time on the wire, so the kill lands mid-dispatch.
    await Promise.all([setFaults(sims.crm, { latencyMs: 400 }), setFaults(sims.shop, { latencyMs: 250 }), setFaults(sims.pms, { latencyMs: 700 })]);

    const guests = Array.from({ length: GUESTS }, (_, i) => newGuest(1, i));
    const keyOf = (email: string) => `crash-${email}`;
    const acknowledged = new Map<string, string>();
    const cutOff: string[] = [];
    let killed = false;
    let next = 0;
    /** A client sends its share with a key each, and remembers what got no answer (the gateway died under it). */
    const send = async (url: string, email: string): Promise<boolean> => {
      const guest = guests.find((g) => g.email === email)!;
      let body;
      try {
        ({ body } = await graphql(url, CREATE_CUSTOMER, { input: guest }, { 'idempotency-key': keyOf(email) }));
      } catch {
        return false;
      }
      const id = body.data?.createCustomer?.id;
      if (typeof id !== 'string') throw new Error(`createCustomer answered without an id: ${JSON.stringify(body)}`);
      acknowledged.set(email, id);
      return true;
    };
    const client = async () => {
      while (!killed && next < guests.length) {
        const { email } = guests[next++]!;
        if (!(await send(first.url, email))) cutOff.push(email);
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    while (acknowledged.size < KILL_AFTER_ACKNOWLEDGED) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    const exit = await first.kill('SIGKILL');
    const killedAt = Date.now();
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(clients);
    const acknowledgedBeforeKill = new Map(acknowledged);
    const neverSent = guests.slice(next).map((g) => g.email);

    // What the dead process left behind, read from its SQLite file.
    const store = await createSqlStore({ sqlitePath: join(dataDir, 'interchange.db'), migrate: false });
    const left = Object.fromEntries(
      (await store.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM write_steps GROUP BY state')).map((row) => [row.state, Number(row.n)]),
    );
    const committedAtKill = Number((await store.one<{ n: number }>('SELECT count(*) AS n FROM write_operations'))?.n);
    await store.close();
    expect(left.in_flight, `steps by state at the kill: ${JSON.stringify(left)}`).toBeGreaterThan(0);
    expect(left.succeeded ?? 0).toBeLessThan(committedAtKill * 4);
    expect(cutOff.length, 'mutations cut off by the kill').toBeGreaterThan(0);

    await clearFaults(sims);
    const second = await spawnGateway('restarted', env);
    const restartedAt = Date.now();
    // The clients whose answer died with the first process send again with the same key; the others send for the first time.
    for (const email of [...cutOff, ...neverSent]) expect(await send(second.url, email), email).toBe(true);
    for (const [email, id] of acknowledgedBeforeKill) expect(acknowledged.get(email)).toBe(id);

    const deadline = Date.now() + 30_000;
    let operations = await allOperations(second.url);
    while (operations.some((op) => op.status !== 'COMPLETED') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      operations = await allOperations(second.url);
    }
    const completedAt = Date.now();
    const byId = new Map(operations.map((op) => [op.id, op] as const));

    // One operation per guest (a repeated key returned the first), every one COMPLETED.
    expect(operations).toHaveLength(GUESTS);
    expect(new Set(acknowledged.values()).size).toBe(GUESTS);
    for (const [email, id] of acknowledged) expect(byId.get(id)?.status, `${email} (${id})`).toBe('COMPLETED');
    // The steps the dead process had in flight were claimed again after its lease and sent again, with the same key.
    const resent = operations.flatMap((op) => op.steps).filter((step) => step.attempts >= 2).length;
    expect(resent).toBeGreaterThanOrEqual(left.in_flight!);

    // Counted from the simulators: exactly one record per guest in each system, and it is the one the outbox names.
    const emails = guests.map((g) => g.email);
    const held = await holdings(sims, new Set(emails));
    const { duplicates, missing, records } = tally(held, emails);
    expect(duplicates).toEqual([]);
    expect(missing).toEqual([]);
    expect(held.inactive).toEqual({ crm: 0, shop: 0, accounting: 0, pms: 0 });
    for (const [email, id] of acknowledged) {
      for (const step of byId.get(id).steps) expect(held.active[step.name as CustomerSystem].get(email), `${email} ${step.name}`).toEqual([step.externalId]);
    }

    console.info(
      `[durability:crash] ${GUESTS} keyed createCustomer; ${acknowledgedBeforeKill.size} acknowledged before the kill, ${cutOff.length} cut off by it ` +
        `(${committedAtKill - acknowledgedBeforeKill.size} of those already committed), ${neverSent.length} sent after the restart; ` +
        `steps at the kill: ${JSON.stringify(left)}, ${resent} steps sent again after it; restart ready ${restartedAt - killedAt} ms after the kill, all ${GUESTS} COMPLETED ` +
        `${completedAt - restartedAt} ms later; ${records} records (${GUESTS} × 4), 0 duplicates, 0 missing; total ${Date.now() - started} ms`,
    );
    await second.kill('SIGTERM');
  }, 60_000);
});
