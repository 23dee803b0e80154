import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConnectors } from '../../src/connectors/load.ts';
import { compileShapeCheck } from '../../src/connectors/shape-check.ts';

/**
 * The allocation-free drift check must answer exactly what zod answers, or fall back to zod.
 * Checked on every response schema of the reference connectors, against the recorded vendor
 * payloads and every one-field corruption of them.
 */

const CORRUPTIONS: unknown[] = [undefined, null, 0, -1.5, Number.NaN, Number.POSITIVE_INFINITY, '', 'text', '2025-13-45', '2025-11-01T13:24:44Z', true, false, {}, [], [1], { id: 1 }];

/** The value, then each field (at any depth) replaced by each corruption, and removed. */
function* variants(value: unknown, depth = 0): Generator<unknown> {
  yield value;
  if (depth > 3 || value === null || typeof value !== 'object') return;
  const entries = Array.isArray(value) ? value.slice(0, 2).map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    const copy = (replacement: unknown) => (Array.isArray(value) ? value.map((v, i) => (String(i) === key ? replacement : v)) : { ...value, [key]: replacement });
    for (const bad of CORRUPTIONS) yield copy(bad);
    if (!Array.isArray(value)) {
      const { [key]: _dropped, ...rest } = value as Record<string, unknown>;
      yield rest;
    }
    for (const deeper of variants(inner, depth + 1)) if (deeper !== inner) yield copy(deeper);
  }
}

describe('drift check without zod copies', () => {
  it('covers every response schema of the reference connectors and agrees with zod on recorded payloads and their corruptions', async () => {
    const connectors = await loadConnectors('connectors');
    let compared = 0;
    let schemas = 0;
    for (const connector of connectors) {
      const recorded = JSON.parse(readFileSync(`test/contract/recorded/${connector.name}.json`, 'utf8')) as { endpoint: string; raw: unknown };
      for (const endpoint of Object.values(connector.endpoints)) {
        if (!endpoint.response) continue;
        schemas++;
        const fast = compileShapeCheck(endpoint.response);
        expect(fast, `${connector.name}.${endpoint.name} has a fast check`).toBeDefined();
        const samples = endpoint.name === recorded.endpoint ? [...variants(recorded.raw)] : CORRUPTIONS;
        for (const sample of samples) {
          expect(fast!(sample), `${connector.name}.${endpoint.name} on ${JSON.stringify(sample)?.slice(0, 200)}`).toBe(endpoint.response.safeParse(sample).success);
          compared++;
        }
      }
    }
    expect(schemas).toBeGreaterThan(10);
    expect(compared).toBeGreaterThan(1000);
  });

  it('agrees with zod on each supported kind', () => {
    const schemas = [
      z.object({ a: z.string(), b: z.number().nullish(), c: z.array(z.union([z.string(), z.number()])).optional() }),
      z.looseObject({ a: z.boolean() }),
      z.record(z.string(), z.number()),
      z.enum(['OPEN', 'PAID']),
      z.literal([1, 'x']),
      z.iso.datetime({ offset: true }),
      z.iso.date(),
      z.null(),
      z.unknown(),
    ];
    const samples = [null, undefined, 1, 1.5, Number.NaN, 'OPEN', 'x', '2025-11-01', '2025-11-01T10:00:00+01:00', '2025-11-01T10:00:00Z', true, [], ['a', 2], [null], { a: 'x' }, { a: 'x', b: null, c: [1, 'y'] }, { a: 'x', b: 'no' }, { a: true, extra: 1 }, { k: 1, j: 2 }, { k: 'one' }];
    for (const schema of schemas) {
      const fast = compileShapeCheck(schema)!;
      expect(fast).toBeDefined();
      for (const sample of samples) expect(fast(sample), `${JSON.stringify(sample)} against ${schema._zod.def.type}`).toBe(schema.safeParse(sample).success);
    }
  });

  it('leaves to zod what it cannot answer exactly', () => {
    for (const schema of [
      z.string().min(1),
      z.number().int(),
      z.int(),
      z.email(),
      z.strictObject({ a: z.string() }),
      z.object({ a: z.string() }).refine(() => true),
      z.object({ a: z.string().transform((s) => s.length) }),
      z.array(z.string()).min(1),
      z.discriminatedUnion('k', [z.object({ k: z.literal('a') })]),
      z.record(z.enum(['a', 'b']), z.number()),
      z.string().default('x'),
    ]) {
      expect(compileShapeCheck(schema as z.ZodType), schema._zod.def.type).toBeUndefined();
    }
  });
});
