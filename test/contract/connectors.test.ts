import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulator, type SimulatorName } from '../../demo/index.ts';
import { UpstreamBadResponseError, UpstreamError } from '../../src/errors.ts';
import { CONTRACTS, type Contract } from './contracts.ts';
import { admin, callsTo, connectors, runtimeFor, startDriftProxy } from './harness.ts';

/**
 * The contract every connector passes against its simulator: auth (and token renewal where the
 * vendor's tokens expire), the mapping of a recorded vendor payload, batch use, retry of a read on
 * 503, no inline retry of a write, the cache TTL, pagination to the end, and drift detection.
 */

let sims: Record<SimulatorName, RunningSimulator>;
beforeAll(async () => {
  sims = await startSimulators({ limits: 'relaxed' });
});
afterAll(async () => {
  await Promise.all(Object.values(sims ?? {}).map((s) => s.close()));
});

describe.each(CONTRACTS)('connector $name', (contract: Contract) => {
  const sim = () => sims[contract.name];
  const endpoint = async (name: string) => (await connectors).get(contract.name)!.endpoints[name]!;

  beforeEach(async () => {
    await admin(sim(), 'faults', {});
    await admin(sim(), 'stats/reset', {});
  });

  it('reads one record with its credentials and maps it into the unified type', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { single } = await contract.sample(sim());
    const record = await runtime.fetch(await endpoint(contract.single.endpoint), single);
    expect(record).not.toBeNull();
    expect(await callsTo(sim(), contract.single.route)).toHaveLength(1);
    await runtime.close();
  });

  it('maps the recorded vendor payload exactly as recorded', async () => {
    const file = new URL(`./recorded/${contract.name}.json`, import.meta.url);
    expect(existsSync(file), `recorded payload for ${contract.name}`).toBe(true);
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { endpoint: string; args: Record<string, unknown>; raw: unknown; mapped: unknown };
    const ep = await endpoint(recorded.endpoint);
    expect(ep.response?.safeParse(recorded.raw).success ?? true).toBe(true);
    expect(ep.map(recorded.raw, recorded.args)).toEqual(recorded.mapped);
  });

  it('refuses to work with wrong credentials, with a clear error and no retry loop', async () => {
    const wrong = { ...sim(), credentials: Object.fromEntries(Object.entries(sim().credentials).map(([k, v]) => [k, `${v}-wrong`])) };
    const runtime = await runtimeFor(contract.name, sim().url, wrong);
    const { single } = await contract.sample(sim());
    const error = await runtime.fetch(await endpoint(contract.single.endpoint), single).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
    expect((await callsTo(sim(), '')).length).toBeLessThanOrEqual(3);
    await runtime.close();
  });

  if (contract.oauth) it('renews its token before expiry and keeps reading', async () => {
    await admin(sim(), 'config', { tokenTtlSeconds: 2 });
    try {
      const runtime = await runtimeFor(contract.name, sim().url, sim());
      const { single, other } = await contract.sample(sim());
      await runtime.fetch(await endpoint(contract.single.endpoint), single);
      await new Promise((r) => setTimeout(r, 1_300));
      expect(await runtime.fetch(await endpoint(contract.single.endpoint), other)).not.toBeNull();
      const tokens = (await callsTo(sim(), '')).filter((c) => /token/.test(c.route));
      expect(tokens).toHaveLength(2);
      await runtime.close();
    } finally {
      await admin(sim(), 'config', { tokenTtlSeconds: 1800 });
    }
  });

  if (contract.batch) it('reads several records with one batch call', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { batchKeys, batchArgs } = await contract.sample(sim());
    const found = await runtime.fetchMany(await endpoint(contract.batch!.endpoint), batchKeys!, batchArgs ?? {});
    expect(found).toHaveLength(batchKeys!.length);
    for (const record of found) expect(Array.isArray(record) ? record.length : record).toBeTruthy();
    expect(await callsTo(sim(), contract.batch!.route)).toHaveLength(1);
    await runtime.close();
  });

  it('retries a read that answers 503 and succeeds on the second call', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { single } = await contract.sample(sim());
    await admin(sim(), 'faults', { statusSequence: [503], routes: [contract.single.route.split(' ')[1]!] });
    expect(await runtime.fetch(await endpoint(contract.single.endpoint), single)).not.toBeNull();
    expect((await callsTo(sim(), contract.single.route)).map((c) => c.status)).toEqual([503, 200]);
    await runtime.close();
  });

  if (contract.write) it('never repeats a write by itself: the outbox does, with its key', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { write } = await contract.sample(sim());
    await admin(sim(), 'faults', { statusSequence: [503], routes: [contract.write!.route.split(' ')[1]!] });
    const error = await runtime.write(await endpoint(contract.write!.endpoint), write!, { idempotencyKey: `contract-${Date.now()}` }).catch((e: unknown) => e);
    expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
    expect((await callsTo(sim(), contract.write!.route)).filter((c) => c.route === contract.write!.route)).toHaveLength(1);
    await runtime.close();
  });

  it('serves a repeated read from the cache within its TTL', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { single } = await contract.sample(sim());
    const ep = await endpoint(contract.single.endpoint);
    expect(ep.cacheTtlSeconds).toBeGreaterThan(0);
    const first = await runtime.fetch(ep, single);
    expect(await runtime.fetch(ep, single)).toEqual(first);
    expect(await callsTo(sim(), contract.single.route)).toHaveLength(1);
    await runtime.close();
  });

  if (contract.page) it('pages through a list to the end, each record once', async () => {
    const runtime = await runtimeFor(contract.name, sim().url, sim());
    const { page } = await contract.sample(sim());
    const ep = await endpoint(contract.page!.endpoint);
    const seen: unknown[] = [];
    let after: string | null = null;
    for (let n = 0; n < 100; n++) {
      const result = await runtime.fetchPage(ep, page!, { first: contract.page!.size, after });
      seen.push(...result.items);
      if (!result.hasNextPage) break;
      after = result.endCursor;
    }
    const total = await contract.page!.total(sim());
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((r) => JSON.stringify(r))).size).toBe(total);
    await runtime.close();
  });

  it('reports an answer missing a required field as UPSTREAM_BAD_RESPONSE naming the field', async () => {
    const proxy = await startDriftProxy(sim().url, contract.drift.property);
    const runtime = await runtimeFor(contract.name, proxy.url, sim());
    const sample = await contract.sample(sim());
    const error =
      contract.drift.endpoint === 'single'
        ? await runtime.fetch(await endpoint(contract.single.endpoint), sample.single).catch((e: unknown) => e)
        : await runtime.fetchMany(await endpoint(contract.batch!.endpoint), sample.batchKeys!, sample.batchArgs ?? {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamBadResponseError);
    expect((error as UpstreamBadResponseError).field).toBe(contract.drift.field);
    await runtime.close();
    await proxy.close();
  });
});
