import { describe, expect, it } from 'vitest';
import type { NormalizedEndpoint } from '../../src/connectors/normalize.ts';
import type { ConnectorRuntime } from '../../src/connectors/runtime.ts';
import { createRequestLoaders } from '../../src/loaders/index.ts';

/** A runtime that answers every read itself and counts them: the loaders are what is tested. */
function countingRuntime() {
  const calls = { many: [] as unknown[][], pages: 0 };
  const runtime = {
    fetchMany: async (_endpoint: NormalizedEndpoint, keys: readonly unknown[]) => {
      calls.many.push([...keys]);
      return keys.map((key) => ({ id: key }));
    },
    fetchPage: async () => {
      calls.pages++;
      return { items: [{ id: 'p' }], endCursor: null, hasNextPage: false };
    },
  } as unknown as ConnectorRuntime;
  return { runtime, calls };
}

const people = { connector: 'people', name: 'person', batch: { key: 'id', maxSize: 50 } } as unknown as NormalizedEndpoint;
const list = { connector: 'people', name: 'people' } as unknown as NormalizedEndpoint;

describe('per-operation loaders', () => {
  it('batch one tick of loads and read each record once per operation', async () => {
    const { runtime, calls } = countingRuntime();
    const loaders = createRequestLoaders(runtime, { deadline: Date.now() + 5_000 });
    const [a, b] = await Promise.all([loaders.load(people, { id: '1' }), loaders.load(people, { id: '2' })]);
    expect([a, b]).toEqual([{ id: '1' }, { id: '2' }]);
    await loaders.load(people, { id: '1' });
    await loaders.page(list, {}, { first: 10 });
    await loaders.page(list, {}, { first: 10 });
    expect(calls.many).toEqual([['1', '2']]);
    expect(calls.pages).toBe(1);
  });

  it('forget every record and page once released, so nothing the operation read outlives it', async () => {
    const { runtime, calls } = countingRuntime();
    const loaders = createRequestLoaders(runtime, { deadline: Date.now() + 5_000 });
    await loaders.load(people, { id: '1' });
    await loaders.page(list, {}, { first: 10 });
    loaders.release();
    expect(await loaders.load(people, { id: '1' })).toEqual({ id: '1' });
    await loaders.page(list, {}, { first: 10 });
    expect(calls.many).toEqual([['1'], ['1']]);
    expect(calls.pages).toBe(2);
  });
});
