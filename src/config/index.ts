import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigurationError } from '../errors.ts';
import { WINDOW_MS, type NormalizedConnector, type NormalizedQuota } from '../connectors/normalize.ts';
import type { QueryLimits } from '../server/limits.ts';

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
  CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(10_000),
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
  // Client tokens (README, "Security"). The secret and the public key are read with readVariable (…_FILE too).
  AUTH_REQUIRED: booleanish.optional(),
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_JWT_ALGORITHMS: z.string().optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  AUTH_TENANT_CLAIM: z.string().min(1).default('tenant'),
  AUTH_JWKS_CACHE_SECONDS: z.coerce.number().int().positive().default(600),
  AUTH_JWKS_REFETCH_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(30),
  AUTH_DEV_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().max(86_400).default(3_600),
  // Query limits (src/server/limits.ts).
  QUERY_MAX_DEPTH: z.coerce.number().int().positive().default(8),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  QUERY_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  QUERY_MAX_TOKENS: z.coerce.number().int().positive().default(2_000),
  QUERY_MAX_COST: z.coerce.number().int().positive().default(10_000),
  QUERY_DEFAULT_LIST_SIZE: z.coerce.number().int().positive().default(10),
  QUERY_MAX_BATCH: z.coerce.number().int().positive().max(100).default(1),
  /** Per-client requests, "600/minute", or "off"; default 1200/minute in production, off elsewhere. */
  RATE_LIMIT: z.string().optional(),
  /** graphql-ws: ms a client has to send connection_init before it is closed with 4408. */
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().positive().default(3_000),
});

/** How client tokens are verified (src/auth). Secrets here never reach a log line. */
export interface AuthConfig {
  /** Every operation needs a valid token; always true in production. */
  required: boolean;
  jwtSecret: string | undefined;
  publicKey: string | undefined;
  jwksUrl: string | undefined;
  /** Undefined: derived from the key (HS256 for a secret; RS256 or ES256 for a key; both for a JWKS). */
  algorithms: string[] | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  clockToleranceSeconds: number;
  tenantClaim: string;
  jwksCacheSeconds: number;
  jwksRefetchIntervalSeconds: number;
  /** Signs the development token outside production; generated per process when unset. */
  devSecret: string | undefined;
  devTokenTtlSeconds: number;
}

export interface ConnectorSettings {
  /** Where calls go. */
  baseUrl: string;
  /** Secret values by the names the connector declares. */
  secrets: Readonly<Record<string, string>>;
  /** True when the URL and secrets come from a demo simulator started in-process. */
  demo: boolean;
  /**
   * `<NAME>_QUOTA=600/minute` replaces the connector's declared rate (another plan, another
   * tenant), `<NAME>_CONCURRENCY=8` its calls in flight at once.
   */
  quota: NormalizedQuota | undefined;
}

function parseQuota(name: string, value: string | undefined, declared: NormalizedQuota | undefined): NormalizedQuota | undefined {
  if (value === undefined) return declared;
  const match = /^(\d+)\s*\/\s*(second|minute|hour)$/.exec(value.trim());
  if (!match) throw new ConfigurationError(`${name} must look like "600/minute" (requests/second|minute|hour), got "${value}"`);
  return { requests: Number(match[1]), perMs: WINDOW_MS[match[2] as keyof typeof WINDOW_MS], concurrency: declared?.concurrency ?? 10 };
}

function withConcurrency(name: string, value: string | undefined, quota: NormalizedQuota | undefined): NormalizedQuota | undefined {
  if (value === undefined) return quota;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new ConfigurationError(`${name} must be a whole number of calls, at least 1, got "${value}"`);
  if (!quota) throw new ConfigurationError(`${name} applies to a quota: the connector declares none, so set its _QUOTA too`);
  return { ...quota, concurrency: Number(value) };
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  logLevel: string;
  redisUrl: string | undefined;
  /** Bound of the in-memory response cache (least recently used entries go first); unused with Redis. */
  cacheMaxEntries: number;
  databaseUrl: string | undefined;
  dataDir: string;
  connectorsDir: string;
  schemaDir: string;
  requestDeadlineMs: number;
  writeLeaseMs: number;
  introspection: boolean;
  sandbox: boolean;
  demo: boolean;
  auth: AuthConfig;
  limits: QueryLimits;
  /** Per-client request budget; undefined: unlimited. */
  rateLimit: { requests: number; perMs: number } | undefined;
  wsConnectionInitTimeoutMs: number;
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
    cacheMaxEntries: e.CACHE_MAX_ENTRIES,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    connectorsDir: e.CONNECTORS_DIR,
    schemaDir: e.SCHEMA_DIR,
    requestDeadlineMs: e.REQUEST_DEADLINE_MS,
    writeLeaseMs: e.WRITE_LEASE_MS,
    introspection: e.INTROSPECTION ?? !production,
    sandbox: e.SANDBOX ?? !production,
    demo: e.DEMO ?? !production,
    auth: authConfig(e, environment, production),
    limits: Object.freeze({
      maxDepth: e.QUERY_MAX_DEPTH,
      maxAliases: e.QUERY_MAX_ALIASES,
      maxDirectives: e.QUERY_MAX_DIRECTIVES,
      maxTokens: e.QUERY_MAX_TOKENS,
      maxCost: e.QUERY_MAX_COST,
      defaultListSize: e.QUERY_DEFAULT_LIST_SIZE,
      maxBatch: e.QUERY_MAX_BATCH,
    }),
    rateLimit: parseRateLimit(e.RATE_LIMIT ?? (production ? '1200/minute' : 'off')),
    wsConnectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
  });
}

function authConfig(e: z.infer<typeof env>, environment: Environment, production: boolean): AuthConfig {
  if (production && e.AUTH_REQUIRED === false) throw new ConfigurationError('AUTH_REQUIRED=false is not allowed in production: every operation there needs a valid token');
  return Object.freeze({
    required: production || (e.AUTH_REQUIRED ?? false),
    jwtSecret: readVariable(environment, 'AUTH_JWT_SECRET'),
    publicKey: readVariable(environment, 'AUTH_JWT_PUBLIC_KEY'),
    jwksUrl: e.AUTH_JWKS_URL,
    algorithms: e.AUTH_JWT_ALGORITHMS?.split(',').map((a) => a.trim()).filter(Boolean),
    issuer: e.AUTH_JWT_ISSUER,
    audience: e.AUTH_JWT_AUDIENCE,
    clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
    tenantClaim: e.AUTH_TENANT_CLAIM,
    jwksCacheSeconds: e.AUTH_JWKS_CACHE_SECONDS,
    jwksRefetchIntervalSeconds: e.AUTH_JWKS_REFETCH_INTERVAL_SECONDS,
    devSecret: production ? undefined : readVariable(environment, 'AUTH_DEV_SECRET'),
    devTokenTtlSeconds: e.AUTH_DEV_TOKEN_TTL_SECONDS,
  });
}

function parseRateLimit(value: string): Config['rateLimit'] {
  if (value.trim() === 'off') return undefined;
  const match = /^(\d+)\s*\/\s*(second|minute|hour)$/.exec(value.trim());
  if (!match || Number(match[1]) < 1) throw new ConfigurationError(`RATE_LIMIT must look like "600/minute" (requests/second|minute|hour) or "off", got "${value}"`);
  return { requests: Number(match[1]), perMs: WINDOW_MS[match[2] as keyof typeof WINDOW_MS] };
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
    const concurrencyVariable = envName(connector.name, 'CONCURRENCY');
    const quota = withConcurrency(
      concurrencyVariable,
      readVariable(environment, concurrencyVariable),
      parseQuota(quotaVariable, readVariable(environment, quotaVariable), connector.quota),
    );
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
