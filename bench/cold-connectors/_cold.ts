import type { ConnectorDefinition, EndpointDefinition } from '../../src/connectors/define.ts';

/**
 * The reference connectors with nothing reused between operations, for the cache-cold
 * scenarios: the gateway is pointed here with `CONNECTORS_DIR=bench/cold-connectors`.
 *
 * A TTL of 0 stops the cache. The runtime also shares identical reads in flight: two operations
 * asking for the same page at the same moment share the page read (the benchmark sends each
 * request for another page, rotating over 100), and two whose pages name the same customers in
 * the same order share the CRM batch call. A hand-written aggregator shares nothing, so every
 * batch call here carries one more query parameter, unique per call, that the simulators
 * ignore: no two batch calls are identical, and every operation makes the full upstream plan.
 */

let nonce = 0;

function coldEndpoint(endpoint: EndpointDefinition): EndpointDefinition {
  const batch = endpoint.batch;
  if (!batch) return { ...endpoint, cacheTtlSeconds: 0 };
  // Named to sort after any real parameter, so the key's parameters stay in order.
  const query: NonNullable<typeof batch.query> = (keys, args, settings) => ({ ...batch.query?.(keys, args, settings), zz_bench_unshared: ++nonce });
  return { ...endpoint, cacheTtlSeconds: 0, batch: { ...batch, query } };
}

export function cold<T extends ConnectorDefinition>(definition: T): T {
  const endpoints = Object.fromEntries(Object.entries(definition.endpoints).map(([name, endpoint]) => [name, coldEndpoint(endpoint)]));
  return { ...definition, cacheTtlSeconds: 0, endpoints };
}
