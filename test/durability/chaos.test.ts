import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimulators } from '../../demo/index.ts';
import { createSqlStore, type SqlStore } from '../../src/store/sql-store.ts';
import { POSTGRES, type TestDatabase } from '../store/targets.ts';
import { connectorEnv, graphql, killAll, runCli, spawnGateway, type GatewayProcess } from './support/processes.ts';
import { callLog, clearFaults, CREATE_CUSTOMER, CUSTOMER_SYSTEMS, holdings, newGuest, setFaults, tally, type CustomerSystem, type Sims } from './support/systems.ts';

/**
 * Many instances under faults: two real gateway processes on one PostgreSQL and one Redis take
 * 1,000 keyed createCustomer mutations between them while the simulators go down, answer 503s
 * and lose responses after committing, and one gateway is killed with SIGKILL and restarted
 * midway. Clients behave as clients do: an answer that never came is asked for again, with the
 * same Idempotency-Key, from the other gateway.
 *
 * At the end every step is either succeeded exactly once upstream or in dead letters; the dead
 * letters are then replayed with `interchange replay --all`, after which every guest is held
 * exactly once by every system. All counts come from the simulators' own records.
 */

const GUESTS = 1_000;
const CLIENTS = 32;
const LEASE_MS = 5_000;
const TAG = 31;

type Phase = { at: number; label: string; run: () => Promise<unknown> };

let sims: Sims;
let database: TestDatabase;
let store: SqlStore;

beforeAll(async () => {
  sims = await startSimulators({ limits: 'relaxed' });
  database = await POSTGRES.database();
});
afterAll(async () => {
  await killAll();
  await store?.close();
  await database?.drop();
  await Promise.all(Object.values(sims ?? {}).map((sim) => sim.close()));
});

async function stepStates(): Promise<Record<string, number>> {
  const rows = await store.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM write_steps GROUP BY state');
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
}

/** Waits until no step is pending, in flight or waiting for a retry: each has succeeded or is dead. */
async function drained(timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await stepStates();
    const open = (states.pending ?? 0) + (states.in_flight ?? 0) + (states.retry_scheduled ?? 0);
    if (open === 0) return states;
    if (Date.now() > deadline) throw new Error(`the outbox did not drain in ${timeoutMs} ms: ${JSON.stringify(states)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface StepRow {
  operation_id: string;
  idempotency_key: string | null;
  name: string;
  state: string;
  external_id: string | null;
  dead_cause: string | null;
  last_error: string | null;
  attempts: number;
}

describe('two gateway processes on one PostgreSQL under injected faults', () => {
  it(`take ${GUESTS} keyed createCustomer mutations, and every step ends succeeded exactly once upstream or dead-lettered, then replayed`, async () => {
    const started = Date.now();
    const redisUrl = new URL(inject('redisUrl'));
    redisUrl.pathname = '/5'; // a Redis database of its own: tokens and quotas of other suites' simulators stay apart
    const env = {
      ...connectorEnv(sims),
      DATABASE_URL: database.options.databaseUrl!,
      REDIS_URL: redisUrl.toString(),
      WRITE_LEASE_MS: String(LEASE_MS),
    };
    store = await createSqlStore({ databaseUrl: database.options.databaseUrl, poolSize: 2 });
    const gateways: Array<GatewayProcess | undefined> = await Promise.all([spawnGateway('a', env), spawnGateway('b', env)]);

    const guests = Array.from({ length: GUESTS }, (_, i) => newGuest(TAG, i));
    const acknowledged = new Map<string, string>();
    let failovers = 0;
    /** Sends one keyed mutation, to gateway `prefer` if it is up; an answer lost with a dead gateway is asked for again elsewhere. */
    async function send(index: number, prefer: number): Promise<void> {
      const guest = guests[index]!;
      for (let attempt = 0; ; attempt++) {
        const target = gateways[(prefer + attempt) % 2] ?? gateways[(prefer + attempt + 1) % 2];
        if (!target) throw new Error('no gateway is up');
        try {
          const { body } = await graphql(target.url, CREATE_CUSTOMER, { input: guest }, { 'idempotency-key': `chaos-${guest.email}` });
          const id = body.data?.createCustomer?.id;
          if (typeof id !== 'string') throw new Error(`createCustomer for ${guest.email} answered without an id: ${JSON.stringify(body)}`);
          acknowledged.set(guest.email, id);
          return;
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('createCustomer')) throw error;
          if (attempt > 20) throw error;
          failovers += 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }

    // The fault schedule, keyed by how many mutations have been handed to clients.
    const faults: string[] = [];
    let restarting: Promise<void> | undefined;
    const phases: Phase[] = [
      { at: 0, label: 'shop 503 on 20% of calls; PMS loses 15 responses after committing', run: () => Promise.all([setFaults(sims.shop, { errorRate: 0.2 }), setFaults(sims.pms, { loseResponses: 15 })]) },
      { at: 150, label: 'accounting outage', run: () => setFaults(sims.accounting, { outage: true }) },
      {
        at: 300,
        label: 'accounting back, losing 15 responses; CRM 503 on 15%',
        run: () => Promise.all([setFaults(sims.accounting, { loseResponses: 15 }), setFaults(sims.crm, { errorRate: 0.15 })]),
      },
      {
        at: 450,
        label: 'gateway b killed with SIGKILL; shop outage',
        run: async () => {
          const b = gateways[1]!;
          gateways[1] = undefined;
          await b.kill('SIGKILL');
          await setFaults(sims.shop, { outage: true });
        },
      },
      {
        at: 550,
        label: 'gateway b restarting on the same database; shop back, losing 10 responses; CRM loses 10 responses',
        run: async () => {
          restarting = spawnGateway('b-restarted', env).then((b) => void (gateways[1] = b));
          await Promise.all([setFaults(sims.shop, { loseResponses: 10 }), setFaults(sims.crm, { loseResponses: 10, routes: ['POST /crm/v3/objects/contacts'] })]);
        },
      },
      { at: 700, label: 'PMS outage', run: () => setFaults(sims.pms, { outage: true }) },
      {
        at: 800,
        label: 'PMS back, 503 on 30%; accounting 503 on 20%',
        run: () => Promise.all([setFaults(sims.pms, { errorRate: 0.3 }), setFaults(sims.accounting, { errorRate: 0.2 })]),
      },
      { at: 950, label: 'every fault cleared', run: () => clearFaults(sims) },
    ];

    let next = 0;
    let phase = 0;
    let scheduling: Promise<void> = Promise.resolve();
    const client = async (c: number) => {
      while (next < GUESTS) {
        const index = next++;
        while (phase < phases.length && phases[phase]!.at <= index) {
          const { label, run } = phases[phase++]!;
          faults.push(`#${index} +${((Date.now() - started) / 1000).toFixed(1)}s ${label}`);
          scheduling = scheduling.then(() => run().then(() => undefined));
          await scheduling;
        }
        await send(index, c % 2);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    await scheduling;
    await restarting;
    const sentAt = Date.now();
    expect(acknowledged.size).toBe(GUESTS);
    expect(new Set(acknowledged.values()).size).toBe(GUESTS);

    await clearFaults(sims);
    const afterFaults = await drained(90_000);
    const drainedAt = Date.now();
    const emails = guests.map((g) => g.email);
    const held = await holdings(sims, new Set(emails));
    const steps = await store.query<StepRow>(
      "SELECT operation_id, idempotency_key, name, state, external_id, dead_cause, last_error, attempts FROM write_steps WHERE kind = 'forward'",
    );
    const emailOf = new Map([...acknowledged].map(([email, id]) => [id, email] as const));
    expect(steps).toHaveLength(GUESTS * CUSTOMER_SYSTEMS.length);

    // Before any replay: a succeeded step is held exactly once, as the record the outbox names;
    // a dead step is held at most once (its last attempt may have committed and lost its answer).
    const wrong: string[] = [];
    let deadButHeld = 0;
    const dead: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    for (const step of steps) {
      const email = emailOf.get(step.operation_id)!;
      const ids = held.active[step.name as CustomerSystem].get(email) ?? [];
      if (step.state === 'succeeded' && !(ids.length === 1 && ids[0] === step.external_id)) wrong.push(`${step.name} ${email}: succeeded as ${step.external_id}, held ${JSON.stringify(ids)}`);
      if (step.state === 'dead') {
        dead[`${step.name}/${step.dead_cause}`] = (dead[`${step.name}/${step.dead_cause}`] ?? 0) + 1;
        const reason = (step.last_error ?? '').slice(0, 70);
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        if (ids.length > 1) wrong.push(`${step.name} ${email}: dead, held ${ids.length} times`);
        if (ids.length === 1) deadButHeld += 1;
      }
    }
    expect(wrong).toEqual([]);
    expect(held.inactive).toEqual({ crm: 0, shop: 0, accounting: 0, pms: 0 });

    // The dead letters go back through `interchange replay --all`; the running gateways send them.
    const deadSteps = afterFaults.dead ?? 0;
    let replayOutput = '';
    if (deadSteps > 0) {
      const replay = await runCli(['replay', '--all'], { DATABASE_URL: env.DATABASE_URL });
      replayOutput = replay.stdout.split('\n')[0] ?? '';
      expect(replay.code, replay.stderr).toBe(0);
      expect(replayOutput).toMatch(new RegExp(`^Replayed ${deadSteps} steps? in \\d+ operations?:`));
    }
    const final = await drained(60_000);
    expect(final).toEqual({ succeeded: GUESTS * CUSTOMER_SYSTEMS.length });
    const finalHeld = await holdings(sims, new Set(emails));
    const { records, duplicates, missing } = tally(finalHeld, emails);
    expect(duplicates).toEqual([]);
    expect(missing).toEqual([]);
    expect(records).toBe(GUESTS * CUSTOMER_SYSTEMS.length);
    const after = await store.query<StepRow>("SELECT operation_id, name, external_id FROM write_steps WHERE kind = 'forward'");
    for (const step of after) expect(finalHeld.active[step.name as CustomerSystem].get(emailOf.get(step.operation_id)!)).toEqual([step.external_id]);
    const completed = await store.one<{ n: number }>("SELECT count(*) AS n FROM write_operations WHERE status = 'COMPLETED'");
    expect(Number(completed?.n)).toBe(GUESTS);

    const injected: Record<string, { calls: number; '503': number; lost: number }> = {};
    for (const system of CUSTOMER_SYSTEMS) {
      const stats = await callLog(sims[system]);
      injected[system] = { calls: stats.calls, '503': stats.byStatus['503'] ?? 0, lost: stats.log.filter((call) => call.lost).length };
    }
    console.info(
      [
        `[durability:chaos] ${GUESTS} keyed createCustomer over 2 gateway processes (PostgreSQL, Redis), ${CLIENTS} clients, lease ${LEASE_MS} ms`,
        `  faults (at mutation #): ${faults.join(' | ')}`,
        `  upstream answers per system: ${JSON.stringify(injected)}`,
        `  client re-sends after a dead gateway: ${failovers}`,
        `  sent and acknowledged in ${sentAt - started} ms; drained ${drainedAt - sentAt} ms after faults cleared: ${JSON.stringify(afterFaults)}`,
        `  dead letters by step/cause: ${JSON.stringify(dead)} (${deadButHeld} of them had committed upstream before their answer was lost)`,
        `  last errors of the dead: ${JSON.stringify(reasons)}`,
        `  ${replayOutput || 'no dead letters to replay'}; all steps succeeded ${Date.now() - drainedAt} ms later`,
        `  records: ${records} (${GUESTS} × 4), duplicates 0, missing 0; total ${Date.now() - started} ms`,
      ].join('\n'),
    );
  }, 180_000);
});
