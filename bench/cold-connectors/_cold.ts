import type { ConnectorDefinition, EndpointDefinition } from '../../src/connectors/define.ts';

/**
 * The reference connectors with nothing reused between operations, for the cache-cold
 * scenarios: the gateway is pointed here with `CONNECTORS_DIR=bench/cold-connectors`.
 *
 * Why two changes and not one. A TTL of 0 stops the cache, but the runtime also shares reads
 * in flight: when two operations ask for the same customer at the same moment, one batch call
 * answers both. Under a benchmark's identical concurrent requests that sharing would answer
 * most records for free and make the gateway look faster than the minimum plan allows. So every
 * batched endpoint also gets a unique value in its single-record query: that query only names
 * the record in the runtime's in-flight and cache keys (the batch call is built from `batch`,
 * and is sent unchanged), so no two operations ever share a record, as with a hand-written
 * aggregator. Page reads are made distinct by the benchmark itself (each request another page).
 */

let nonce = 0;

function coldEndpoint(endpoint: EndpointDefinition): EndpointDefinition {
  const out: EndpointDefinition = { ...endpoint, cacheTtlSeconds: 0 };
  if (endpoint.batch) {
    const query = endpoint.query;
    // Named to sort after any real parameter, so it does not make the key's parameters unordered;
    // added to the builder's own (fresh) object rather than a copy of it, to cost the gateway little.
    out.query = (args, settings) => Object.assign(query?.(args, settings) ?? {}, { zz_bench_unshared: ++nonce });
  }
  return out;
}

export function cold<T extends ConnectorDefinition>(definition: T): T {
  const endpoints = Object.fromEntries(Object.entries(definition.endpoints).map(([name, endpoint]) => [name, coldEndpoint(endpoint)]));
  return { ...definition, cacheTtlSeconds: 0, endpoints };
}
