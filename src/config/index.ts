import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigurationError } from '../errors.ts';
import { WINDOW_MS, type NormalizedConnector, type NormalizedQuota } from '../connectors/normalize.ts';

/**
 * The only reader of `process.env`. Turns the environment into one typed, frozen configuration;
 * every other module receives what it needs from here. Public options are all optional; the
 * resolved form below is all required, with defaults beside the parser.
 */

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const env = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: z.string().url().optional(),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  CONNECTORS_DIR: z.string().default('connectors'),
  SCHEMA_DIR: z.string().default('schema'),
  /** Whole-operation budget for upstream work, ms. */
  REQUEST_DEADLINE_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * How long a dispatcher's claim on a write step lasts. A step whose gateway died mid-attempt is
   * sent again by another (or the restarted) gateway once its lease expires; an attempt must
   * finish within it, so keep it above the slowest upstream call.
   */
  WRITE_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  INTROSPECTION: booleanish.optional(),
  SANDBOX: booleanish.optional(),
  /** Start the demo simulators for connectors with no URL configured (default: outside production). */
  DEMO: booleanish.optional(),
});

export interface ConnectorSettings {
  /** Where calls go. */
  baseUrl: string;
  /** Secret values by the names the connector declares. */
  secrets: Readonly<Record<string, string>>;
  /** True when the URL and secrets come from a demo simulator started in-process. */
  demo: boolean;
  /** `<NAME>_QUOTA=600/minute` replaces the connector's declared quota (another plan, another tenant). */
  quota: NormalizedQuota | undefined;
}

function parseQuota(name: string, value: string | undefined, declared: NormalizedQuota | undefined): NormalizedQuota | undefined {
  if (value === undefined) return declared;
  const match = /^(\d+)\s*\/\s*(second|minute|hour)$/.exec(value.trim());
  if (!match) throw new ConfigurationError(`${name} must look like "600/minute" (requests/second|minute|hour), got "${value}"`);
  return { requests: Number(match[1]), perMs: WINDOW_MS[match[2] as keyof typeof WINDOW_MS], concurrency: declared?.concurrency ?? 10 };
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  logLevel: string;
  redisUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  connectorsDir: string;
  schemaDir: string;
  requestDeadlineMs: number;
  writeLeaseMs: number;
  introspection: boolean;
  sandbox: boolean;
  demo: boolean;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function loadConfig(environment: Environment = process.env): Config {
  const parsed = env.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigurationError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return Object.freeze({
    production,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    connectorsDir: e.CONNECTORS_DIR,
    schemaDir: e.SCHEMA_DIR,
    requestDeadlineMs: e.REQUEST_DEADLINE_MS,
    writeLeaseMs: e.WRITE_LEASE_MS,
    introspection: e.INTROSPECTION ?? !production,
    sandbox: e.SANDBOX ?? !production,
    demo: e.DEMO ?? !production,
  });
}

/** `crm` + `CLIENT_SECRET` → `CRM_CLIENT_SECRET`. */
export function envName(connector: string, name: string): string {
  return `${connector.toUpperCase()}_${name}`;
}

function readVariable(environment: Environment, name: string): string | undefined {
  const direct = environment[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = environment[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new ConfigurationError(`${name}_FILE names ${file}, which cannot be read`, { cause });
    }
  }
  return undefined;
}

/**
 * Resolves each connector's URL and secrets. A connector with no URL in the environment (nor in
 * its file) runs against its demo simulator when the demo is allowed; `demoFor` starts it and
 * returns its URL and credentials. Every variable still missing is reported in one error.
 */
export async function resolveConnectorSettings(
  connectors: readonly NormalizedConnector[],
  config: Config,
  environment: Environment,
  demoFor: (connector: string) => Promise<{ url: string; credentials: Record<string, string> } | undefined>,
): Promise<Record<string, ConnectorSettings>> {
  const missing: string[] = [];
  const settings: Record<string, ConnectorSettings> = {};
  for (const connector of connectors) {
    let baseUrl = readVariable(environment, envName(connector.name, 'URL')) ?? connector.baseUrl;
    let demoCredentials: Record<string, string> = {};
    let demo = false;
    if (!baseUrl && config.demo) {
      const started = await demoFor(connector.name);
      if (started) {
        baseUrl = started.url;
        demoCredentials = started.credentials;
        demo = true;
      }
    }
    if (!baseUrl) missing.push(envName(connector.name, 'URL'));
    const secrets: Record<string, string> = {};
    for (const name of connector.secrets) {
      const value = readVariable(environment, envName(connector.name, name)) ?? (demo ? demoCredentials[name] : undefined);
      if (value === undefined) missing.push(envName(connector.name, name));
      else secrets[name] = value;
    }
    const quotaVariable = envName(connector.name, 'QUOTA');
    const quota = parseQuota(quotaVariable, readVariable(environment, quotaVariable), connector.quota);
    settings[connector.name] = Object.freeze({ baseUrl: baseUrl ?? '', secrets: Object.freeze(secrets), demo, quota });
  }
  if (missing.length > 0) {
    throw new ConfigurationError(
      `Missing configuration: set ${missing.join(', ')}` +
        (config.production ? ' (demo simulators are never started in production)' : ' (or unset them all and leave DEMO on to use the simulators)'),
    );
  }
  return settings;
}
