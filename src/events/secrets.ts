import { readFileSync } from 'node:fs';
import { envName, type Environment } from '../config/index.ts';
import type { Settings } from '../connectors/define.ts';
import { ConfigurationError } from '../errors.ts';
import type { NormalizedWebhooks } from './declaration.ts';

/**
 * The active webhook secrets of one connector, in declaration order. Required names are already
 * resolved by the configuration (environment or demo simulator; start-up fails without them).
 * Optional ones — the previous secret during a rotation — are read here from the same variables
 * (`<CONNECTOR>_<NAME>` or `<CONNECTOR>_<NAME>_FILE`), from the environment the gateway was given.
 */
export function webhookSecrets(connector: string, webhooks: NormalizedWebhooks, resolved: Settings, environment: Environment): string[] {
  const secrets: string[] = [];
  for (const { name, required } of webhooks.secrets) {
    const value = required ? resolved[name] : readOptional(environment, envName(connector, name));
    if (value !== undefined && value !== '') secrets.push(value);
  }
  return secrets;
}

function readOptional(environment: Environment, variable: string): string | undefined {
  const direct = environment[variable];
  if (direct !== undefined && direct !== '') return direct;
  const file = environment[`${variable}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new ConfigurationError(`${variable}_FILE names ${file}, which cannot be read`, { cause });
  }
}
