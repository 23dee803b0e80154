import { resolve } from 'node:path';
import { loadConfig, resolveConnectorSettings } from '../config/index.ts';
import { loadConnectors } from '../connectors/load.ts';
import { buildGatewaySchema } from '../schema/index.ts';
import { VERSION } from '../version.ts';

/**
 * `interchange check`: everything start-up checks — connector files, schema bindings, and the
 * environment each connector needs — without serving or calling anything. Exit code 1 on a
 * problem, with the same messages start-up would give.
 */
export async function check(): Promise<void> {
  const config = loadConfig();
  const connectors = await loadConnectors(resolve(config.connectorsDir));
  buildGatewaySchema({ directory: resolve(config.schemaDir), connectors, version: VERSION });
  // Demo simulators count as configured: a connector without a URL is fine where the demo may run.
  await resolveConnectorSettings(connectors, config, process.env, async () => (config.demo ? { url: 'http://demo.invalid', credentials: new Proxy({}, { get: () => 'demo' }) } : undefined));
  process.stdout.write(`ok: ${connectors.length} connectors (${connectors.map((c) => c.name).join(', ')}), schema in ${config.schemaDir} binds cleanly\n`);
}
