import { resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { loadConnectors } from '../connectors/load.ts';
import { loadSchemaSources } from '../schema/load.ts';
import { collectBindings, renderMap } from '../schema/map.ts';

/** `interchange map`: which field reads which system, which mutation writes where, which events feed what. */
export async function map(): Promise<void> {
  const config = loadConfig();
  const connectors = await loadConnectors(resolve(config.connectorsDir));
  const { documents } = loadSchemaSources(resolve(config.schemaDir));
  process.stdout.write(`${renderMap(connectors, collectBindings(documents))}\n`);
}
