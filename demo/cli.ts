import { DEFAULT_PORTS, SIMULATOR_NAMES, startSimulators, type SimulatorName } from './index.ts';

/**
 * `tsx demo/cli.ts`: the six reference systems on their default ports (4101–4106), each
 * overridable with DEMO_<NAME>_PORT; DEMO_LATENCY_MS adds latency to every call and
 * DEMO_LIMITS=relaxed raises the vendors' rate limits a thousandfold.
 */

const TITLES: Record<SimulatorName, string> = {
  crm: 'CRM (HubSpot CRM v3)',
  shop: 'Shop (Shopify Admin REST)',
  accounting: 'Accounting (Xero 2.0)',
  pms: 'Hotel PMS (Mews Connector)',
  pos: 'POS (Square v2)',
  payments: 'Payments (Stripe)',
};

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const ports = Object.fromEntries(SIMULATOR_NAMES.map((name) => [name, intFromEnv(`DEMO_${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name])]));
  const limits = process.env.DEMO_LIMITS === 'relaxed' ? 'relaxed' : 'vendor';
  const running = await startSimulators({ ports, latencyMs: intFromEnv('DEMO_LATENCY_MS', 0), limits });
  for (const name of SIMULATOR_NAMES) {
    process.stdout.write(`${TITLES[name].padEnd(30)} ${running[name].url}   (admin: ${running[name].url}/__admin/stats)\n`);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all(SIMULATOR_NAMES.map((name) => running[name].close())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo simulators failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
