import { createAccounting } from './accounting.ts';
import { createCrm } from './crm.ts';
import { createPayments } from './payments.ts';
import { createPms } from './pms.ts';
import { createPos } from './pos.ts';
import { createShop } from './shop.ts';
import { serveSimulator } from './sim/server.ts';
import type { SimulatorName, VendorOptions, VendorSimulator } from './sim/types.ts';

/**
 * The reference systems as real HTTP servers: HubSpot (crm), Shopify (shop), Xero (accounting),
 * Mews (pms), Square (pos) and Stripe (payments), each holding its own mutable copy of one
 * seeded data set, counting calls and taking faults over `/__admin/*`.
 */

export type { SimulatorName } from './sim/types.ts';

export interface SimulatorOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Added to every counted call. */
  latencyMs?: number;
  /** Seed of the demo data and of the fault PRNG; default 42. */
  seed?: number;
  /** `vendor` (default): the vendors' own rate limits. `relaxed`: a thousand times higher, for benchmarks. */
  limits?: 'vendor' | 'relaxed';
}

export interface RunningSimulator {
  name: SimulatorName;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** What the gateway needs, keyed by UPPER_SNAKE secret name. */
  credentials: Record<string, string>;
  close(): Promise<void>;
}

export const DEFAULT_PORTS: Record<SimulatorName, number> = { crm: 4101, shop: 4102, accounting: 4103, pms: 4104, pos: 4105, payments: 4106 };

export const SIMULATOR_NAMES = Object.keys(DEFAULT_PORTS) as SimulatorName[];

const FACTORIES: Record<SimulatorName, (options: VendorOptions) => VendorSimulator> = {
  crm: createCrm,
  shop: createShop,
  accounting: createAccounting,
  pms: createPms,
  pos: createPos,
  payments: createPayments,
};

export async function startSimulator(name: SimulatorName, options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const factory = FACTORIES[name];
  if (!factory) throw new TypeError(`startSimulator: unknown simulator "${String(name)}"; expected one of ${SIMULATOR_NAMES.join(', ')}`);
  const vendor = factory({ seed: options.seed ?? 42, limits: options.limits ?? 'vendor' });
  const serving = await serveSimulator(vendor, options);
  return { name, url: serving.url, credentials: { ...vendor.credentials }, close: serving.close };
}

export interface StartSimulatorsOptions {
  /** Ports per system; systems not named listen on any free port (0). */
  ports?: Partial<Record<SimulatorName, number>>;
  latencyMs?: number;
  host?: string;
  seed?: number;
  limits?: 'vendor' | 'relaxed';
}

/** Starts all six; if one cannot start, the others are closed again and the error is thrown. */
export async function startSimulators(options: StartSimulatorsOptions = {}): Promise<Record<SimulatorName, RunningSimulator>> {
  const { ports = {}, ...shared } = options;
  const results = await Promise.allSettled(SIMULATOR_NAMES.map((name) => startSimulator(name, { ...shared, port: ports[name] ?? 0 })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  const running = {} as Record<SimulatorName, RunningSimulator>;
  for (const r of results) if (r.status === 'fulfilled') running[r.value.name] = r.value;
  return running;
}
