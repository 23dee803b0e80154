import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { ConfigurationError } from './errors.ts';
import type { GatewayOptions } from './gateway.ts';

/**
 * `interchange <command>`. `start` serves the gateway; with no URL configured for a connector
 * (outside production) it starts that connector's demo simulator in-process.
 */

const EXAMPLE_QUERY = `{
  customers(first: 1) {
    nodes { email firstName orders { name total { amount currency } invoice { status } } reservations { checkIn status } posChecks { total { amount currency } } }
  }
}`;

async function demoStarter(): Promise<GatewayOptions['demo']> {
  const { startSimulator, DEFAULT_PORTS } = await import('../demo/index.ts');
  return async (name) => {
    if (!(name in DEFAULT_PORTS)) return undefined;
    const sim = name as keyof typeof DEFAULT_PORTS;
    try {
      return await startSimulator(sim, { port: DEFAULT_PORTS[sim] });
    } catch {
      // The default port is taken (a standalone `npm run demo:systems`, say): any free port will do.
      return startSimulator(sim, { port: 0 });
    }
  };
}

/**
 * V8 settings the gateway starts with, each before the gateway's code runs and each only when
 * the command line (or NODE_OPTIONS) does not set it: `node --allocation-site-pretenuring` or
 * `--heap-growing-percent=300`, say, keep V8's own behaviour.
 *
 * `--no-allocation-site-pretenuring`. V8 allocates objects straight into the old generation from
 * any allocation site whose objects it saw survive often. After a burst of load (many operations
 * in flight) some of the sites that build requests, responses and upstream answers qualify, and
 * stay pretenured. Their objects then sit in the old generation, where only a full collection
 * frees them, and until then everything young they point to survives every scavenge and is
 * promoted in turn: the operation's data fills the old generation and full collections, the
 * latency tail, come every few seconds. Which sites qualify differs from process to process. On
 * the nested benchmark query at 76/s: 0.9–2.3 MB promoted per scavenge with pretenuring, 0.3 MB
 * without (bench/FINDINGS.md, third pass; `npm run bench -- --gc` compares the two).
 *
 * `--heap-growing-percent=60`. After each full collection V8 lets the old generation grow to a
 * multiple of what survived before it collects again: up to 4× on a machine with a few GB of
 * memory, 1.3–2× on small devices. A large answer (2.3 MB, its result tree kept across
 * scavenges) fills the old generation with dead trees, so 4× meant ~160 MB of old generation
 * and a peak RSS of 310 MB; at 2× the peak was ~215 MB for the same answers per second and CPU
 * per answer (bench/FINDINGS.md, fourth pass). With the larger young generation `npm start`
 * and the image give node (`--max-semi-space-size=32`, README "Configuration"), 2× still let a
 * 5-minute soak on tsx (as `npm start` runs it) reach 326 MB; at 1.6× the old generation stays
 * ~100 MB there (RSS ~280 MB; 233 MB compiled, as the image runs it), and the large answers
 * cost the same CPU (fifth and seventh passes).
 */
const V8_DEFAULTS: ReadonlyArray<{ name: string; flag: string }> = [
  { name: 'allocation-site-pretenuring', flag: '--no-allocation-site-pretenuring' },
  { name: 'heap-growing-percent', flag: '--heap-growing-percent=60' },
];

function applyV8Defaults(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ').replaceAll('_', '-');
  for (const { name, flag } of V8_DEFAULTS) if (!given.includes(name)) setFlagsFromString(flag);
}

async function start(): Promise<void> {
  applyV8Defaults();
  // Loaded here, not at the top: `check`, `map` and `replay` do not need the whole gateway.
  const { startGateway } = await import('./gateway.ts');
  const gateway = await startGateway({ demo: await demoStarter() });
  const { logger, config } = gateway;
  const graphqlUrl = `${gateway.url}/graphql`;
  logger.info({ url: graphqlUrl }, `Interchange is serving ${gateway.connectors.length} connectors at ${graphqlUrl}`);
  if (config.sandbox) logger.info(`Open ${graphqlUrl} in a browser for Apollo Sandbox, and try:\n${EXAMPLE_QUERY}`);
  const dev = gateway.developmentToken;
  if (dev) {
    // Outside production only, on purpose in the log: a newcomer pastes it into Sandbox's headers.
    const minutes = Math.round((dev.expiresAt.getTime() - Date.now()) / 60_000);
    logger.info(
      `Development token (${minutes} min, scopes: ${dev.scopes.join(' ') || 'none'}); in Sandbox set the header\n` +
        `Authorization: Bearer ${dev.token}\n(anonymous callers get UNAUTHENTICATED on scoped fields; never valid in production)`,
    );
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining connections and stopping');
    gateway.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const commands: Record<string, () => Promise<void>> = {
  start,
  check: async () => (await import('./commands/check.ts')).check(),
  map: async () => (await import('./commands/map.ts')).map(),
  // `interchange replay [ids | --all | --connector x | --mutation y]`: see src/commands/replay.ts.
  replay: async () => {
    const { replayCommand } = await import('./commands/replay.ts');
    process.exitCode = await replayCommand(process.argv.slice(3));
  },
};

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: false });
  const name = positionals[0] ?? 'start';
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}\n`);
    process.exit(2);
  }
  await command();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) {
    process.stderr.write(`Interchange cannot start:\n${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
