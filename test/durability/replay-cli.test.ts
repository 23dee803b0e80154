import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulators } from '../../demo/index.ts';
import { POSTGRES } from '../store/targets.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { connectorEnv, killAll, runCli, type CliRun } from './support/processes.ts';
import { callLog, CREATE_CUSTOMER, holdings, newGuest, setFaults, tally, type Sims } from './support/systems.ts';

/**
 * `npx interchange replay` as a child process against an outbox that holds dead letters, on
 * SQLite (DATA_DIR) and on PostgreSQL (DATABASE_URL). A gateway runs on the same database, as in
 * production: the command only revives rows, and the gateway's dispatcher sends them.
 *
 * The dead letters: the CRM refuses a contact once (HTTP 400, a permanent answer), so the CRM
 * step dies `rejected` and the accounting step, which needs the CRM id, dies `dependency`
 * without ever being sent. Shop and PMS succeed. A replay then sends the CRM and accounting steps
 * once each; Xero takes an idempotency key, so its calls are counted by key.
 */

let sims: Sims;
beforeAll(async () => {
  sims = await startSimulators({ limits: 'relaxed' });
});
afterAll(async () => {
  await killAll();
  await Promise.all(Object.values(sims ?? {}).map((sim) => sim.close()));
});

interface Target {
  name: string;
  tag: number;
  open(): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    name: 'SQLite (DATA_DIR)',
    tag: 21,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'interchange-replay-cli-'));
      return { env: { DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL (DATABASE_URL)',
    tag: 22,
    async open() {
      const database = await POSTGRES.database();
      return { env: { DATABASE_URL: database.options.databaseUrl! }, drop: () => database.drop() };
    },
  },
];

const DEAD_OPERATIONS = 4;
/** Each CLI run is a child process that loads TypeScript through tsx: seconds each on a busy two-core machine. */
const CLI_TEST_MS = 120_000;

describe.each(TARGETS)('npx interchange replay on $name', (target) => {
  let gateway: TestGateway;
  let database: Awaited<ReturnType<Target['open']>>;
  const cli = (...args: string[]): Promise<CliRun> => runCli(['replay', ...args], database.env);
  const guests = Array.from({ length: DEAD_OPERATIONS }, (_, i) => newGuest(target.tag, i));
  const ids: string[] = [];

  beforeAll(async () => {
    database = await target.open();
    gateway = await startTestGateway(
      { ...connectorEnv(sims), ...database.env },
      { writes: { pollMs: 100, settleMs: 2_000, backoff: { initialDelayMs: 50, maxDelayMs: 200 } } },
    );
    await setFaults(sims.crm, { statusSequence: guests.map(() => 400), routes: ['POST /crm/v3/objects/contacts'] });
    for (const guest of guests) {
      const { body } = await gateway.query(CREATE_CUSTOMER, { input: guest });
      expect(body.errors).toBeUndefined();
      ids.push(body.data.createCustomer.id);
    }
    await setFaults(sims.crm, {});
    await vi.waitFor(async () => expect((await gateway.writes.outbox.counts()).dead).toBe(2 * DEAD_OPERATIONS), { timeout: 30_000, interval: 50 });
  }, CLI_TEST_MS);
  afterAll(async () => {
    await gateway?.stop();
    await database?.drop();
  });

  const operation = (id: string) => gateway.writes.outbox.getOperation(id);
  const stepOf = async (id: string, name: string) => (await operation(id))!.steps.find((step) => step.name === name)!;
  const completed = (id: string) =>
    vi.waitFor(async () => expect((await operation(id))?.status).toBe('COMPLETED'), { timeout: 30_000, interval: 50 });
  const xeroCallsWithKey = async (key: string) => (await callLog(sims.accounting)).log.filter((call) => call.idempotencyKey === key);

  it('lists the dead letters, grouped by operation, with why each step died, and exits 0', async () => {
    const listed = await cli();
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${2 * DEAD_OPERATIONS} dead letters`);
    for (const id of ids) expect(listed.stdout).toContain(`operation ${id}  createCustomer`);
    expect(listed.stdout).toMatch(/crm → crm\.createContact {2}rejected after 1 attempt/);
    expect(listed.stdout).toContain('crm refused the write (HTTP 400)');
    expect(listed.stdout).toMatch(/accounting → accounting\.createContact {2}not sent: a step it needs is dead/);
    expect(listed.stderr).toContain(target.name.startsWith('SQLite') ? 'Outbox: SQLite' : 'Outbox: PostgreSQL');

    const json = await cli('--list', '--json', '--connector', 'accounting');
    expect(json.code).toBe(0);
    const letters = JSON.parse(json.stdout) as Array<{ operationId: string; connector: string; deadCause: string }>;
    expect(letters.map((l) => `${l.operationId} ${l.connector} ${l.deadCause}`).sort()).toEqual(ids.map((id) => `${id} accounting dependency`).sort());
  }, CLI_TEST_MS);

  it('shows what a replay would do with --dry-run, and changes nothing', async () => {
    const [byConnector, byMutation] = await Promise.all([cli('--dry-run', '--connector', 'crm'), cli('--dry-run', '--mutation', 'createCustomer')]);
    for (const dry of [byConnector, byMutation]) {
      expect(dry.code, dry.stderr).toBe(0);
      // A CRM step brings along the accounting step that died only because of it; each step is counted once.
      expect(dry.stdout).toContain(`Would replay ${2 * DEAD_OPERATIONS} steps in ${DEAD_OPERATIONS} operations`);
      expect(dry.stdout).toContain('Nothing was changed (--dry-run).');
      expect(dry.stdout).not.toContain('nothing to replay');
    }
    expect((await gateway.writes.outbox.counts()).dead).toBe(2 * DEAD_OPERATIONS);
  }, CLI_TEST_MS);

  it('replays an operation by id once; the gateway sends each dead step once; a second replay writes nothing', async () => {
    const [id] = ids as [string];
    const key = `${id}:accounting`;
    expect(await xeroCallsWithKey(key)).toEqual([]);

    const first = await cli(id);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Replayed 2 steps in 1 operation:');
    expect(first.stdout).toContain(`operation ${id}  createCustomer → PARTIAL`);
    expect(first.stdout).toContain('dispatchers of the gateways running on this database send them');
    await completed(id);
    const sent = await xeroCallsWithKey(key);
    expect(sent.map((call) => call.status)).toEqual([200]);

    const second = await cli(id);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('nothing to replay, no step is dead (status COMPLETED)');
    expect(second.stdout).toContain('No step was dead: nothing changed.');
    await new Promise((r) => setTimeout(r, 500));
    expect(await xeroCallsWithKey(key)).toEqual(sent);
    const held = await holdings(sims, new Set([guests[0]!.email]));
    expect(tally(held, [guests[0]!.email])).toMatchObject({ records: 4, duplicates: [], missing: [] });
    expect((await operation(id))!.steps.find((s) => s.name === 'accounting')).toMatchObject({ state: 'succeeded', attempts: 1 });
  }, CLI_TEST_MS);

  it('replays one step by its id, bringing along the step that died because of it', async () => {
    const id = ids[1]!;
    const crm = await stepOf(id, 'crm');
    const replayed = await cli(crm.id);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain('Replayed 2 steps in 1 operation:');
    expect(replayed.stdout).toContain(`step ${crm.id}  crm → crm.createContact`);
    await completed(id);
  }, CLI_TEST_MS);

  it('replays the dead letters of one connector; then --all finds nothing left; every system holds one record per guest', async () => {
    const replayed = await cli('--connector', 'crm');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain(`Replayed 4 steps in 2 operations:`);
    for (const id of ids.slice(2)) await completed(id);
    const all = await cli('--all');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('Nothing to replay: no dead letters match.');
    expect((await cli()).stdout).toContain('No dead letters.');

    const emails = guests.map((g) => g.email);
    const { records, duplicates, missing } = tally(await holdings(sims, new Set(emails)), emails);
    expect({ records, duplicates, missing }).toEqual({ records: 4 * DEAD_OPERATIONS, duplicates: [], missing: [] });
    for (const id of ids) expect((await xeroCallsWithKey(`${id}:accounting`)).map((call) => call.status)).toEqual([200]);
  }, CLI_TEST_MS);

  it('exits 1 with a reason for an id that names no operation or step', async () => {
    const unknown = await cli('no-such-operation');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('interchange replay: no-such-operation: no write operation or step has the id no-such-operation');
    expect(unknown.stdout).toBe('');
  }, CLI_TEST_MS);
});

describe('npx interchange replay, before it opens any database', () => {
  it('exits 1 with the reason and the usage for a bad command line, and for a data directory without an outbox', async () => {
    const [usage, elsewhere, help] = await Promise.all([
      runCli(['replay', '--all', 'some-id'], {}),
      runCli(['replay'], { DATA_DIR: join(tmpdir(), 'interchange-no-such-dir') }),
      runCli(['replay', '--help'], {}),
    ]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('interchange replay: give either ids or --all / --connector / --mutation, not both');
    expect(usage.stderr).toContain('Usage: interchange replay');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('no outbox at');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('interchange replay --connector <name>');
  }, CLI_TEST_MS);
});
