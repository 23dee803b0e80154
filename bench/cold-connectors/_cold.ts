import type { ConnectorDefinition, EndpointDefinition } from '../../src/connectors/define.ts';

/**
 * The reference connectors with nothing reused between operations, for the cache-cold
 * scenarios: the gateway is pointed here with `CONNECTORS_DIR=bench/cold-connectors`.
 *
 * A TTL of 0 stops the cache. The runtime also shares identical reads in flight (a page, a
 * batch call), but those only arise from two operations asking for the same page at the same
 * moment, and the benchmark sends each request for another page, rotating over 100; the upstream
 * calls per operation in its table (the simulators' own counts) show that none was shared.
 */

const coldEndpoint = (endpoint: EndpointDefinition): EndpointDefinition => ({ ...endpoint, cacheTtlSeconds: 0 });

export function cold<T extends ConnectorDefinition>(definition: T): T {
  const endpoints = Object.fromEntries(Object.entries(definition.endpoints).map(([name, endpoint]) => [name, coldEndpoint(endpoint)]));
  return { ...definition, cacheTtlSeconds: 0, endpoints };
}
