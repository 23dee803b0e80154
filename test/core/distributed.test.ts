import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_KEY } from '../fixtures/people/backend.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/**
 * Two gateway instances on one real Redis, as two processes behind a load balancer would run.
 * The backend runs in a process of its own so its arrival stamps are not skewed by the gateways'
 * work on this event loop.
 */
let backendProcess: ChildProcess;
let backendUrl: string;
let a: TestGateway;
let b: TestGateway;

async function backendCalls(): Promise<Array<{ at: number; url: string }>> {
  return (await fetch(`${backendUrl}/__calls`)).json() as Promise<Array<{ at: number; url: string }>>;
}

beforeAll(async () => {
  backendProcess = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/people/standalone.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(backendProcess.stdout!, 'data')) as [Buffer];
  backendUrl = line.toString().trim();
  const env = {
    CONNECTORS_DIR: 'test/fixtures/people/connectors',
    SCHEMA_DIR: 'test/fixtures/people/schema',
    PEOPLE_URL: backendUrl,
    PEOPLE_API_KEY: API_KEY,
    PEOPLE_QUOTA: '5/second',
    REDIS_URL: inject('redisUrl'),
  };
  a = await startTestGateway(env);
  b = await startTestGateway(env);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  backendProcess?.kill('SIGTERM');
});

describe('two gateway instances on one Redis', () => {
  it('share the response cache: a record fetched by one is served to the other without a call', async () => {
    const before = (await backendCalls()).length;
    expect((await a.query('{ person(id: "8") { name } }')).body.data).toEqual({ person: { name: 'Person 8' } });
    expect((await b.query('{ person(id: "8") { name } }')).body.data).toEqual({ person: { name: 'Person 8' } });
    expect((await backendCalls()).length - before).toBe(1);
  });

  it('share the quota: together they never exceed it in any one-second window, and every query succeeds', async () => {
    const before = (await backendCalls()).length;
    const ids = Array.from({ length: 20 }, (_, i) => String(i + 1));
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).query(`{ freshPerson(id: "${id}") { id } }`)));
    for (const [i, r] of results.entries()) expect(r.body).toEqual({ data: { freshPerson: { id: ids[i] } } });
    const times = (await backendCalls()).slice(before).map((c) => c.at).sort((x, y) => x - y);
    expect(times).toHaveLength(20);
    let busiest = 0;
    for (let i = 0; i < times.length; i++) busiest = Math.max(busiest, times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length);
    const gaps = times.slice(1).map((t, i) => Math.round(t - times[i]!));
    expect(busiest, `gaps between arrivals (ms): ${gaps.join(', ')}`).toBeLessThanOrEqual(5);
  });
});
