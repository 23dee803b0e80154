import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '../errors.ts';
import { normalizeConnector, type NormalizedConnector } from './normalize.ts';

/**
 * Loads every connector file in a directory (`connectors/*.ts`, or `*.js` once compiled), checks
 * each default export, and refuses duplicates and files whose name differs from the connector's.
 * All problems are reported together.
 */
export async function loadConnectors(directory: string): Promise<NormalizedConnector[]> {
  let names: string[];
  try {
    names = readdirSync(directory)
      .filter((n) => /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts') && !n.startsWith('_'))
      .sort();
  } catch (cause) {
    throw new ConfigurationError(`Cannot read the connectors directory ${directory}`, { cause });
  }
  const problems: string[] = [];
  const connectors: NormalizedConnector[] = [];
  for (const name of names) {
    const file = join(directory, name);
    const shown = relative(process.cwd(), file) || file;
    try {
      const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
      if (module.default === undefined) {
        problems.push(`${shown}: expected a default export of defineConnector({...}), got none`);
        continue;
      }
      const connector = normalizeConnector(module.default, shown);
      const stem = basename(name).replace(/\.(ts|js)$/, '');
      if (stem !== connector.name) problems.push(`${shown}: the file is named "${stem}" but the connector is named "${connector.name}"`);
      else if (connectors.some((c) => c.name === connector.name)) problems.push(`${shown}: a connector named "${connector.name}" is already loaded`);
      else connectors.push(connector);
    } catch (error) {
      problems.push(error instanceof ConfigurationError ? error.message : `${shown}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
  return connectors;
}
