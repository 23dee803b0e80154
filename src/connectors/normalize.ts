import { z } from 'zod';
import { ConfigurationError } from '../errors.ts';
import type {
  AuthDefinition,
  BatchDefinition,
  ConnectorDefinition,
  EndpointDefinition,
  HeaderValue,
  HttpMethod,
  PaginationDefinition,
  RateLimitReader,
} from './define.ts';
import { compileShapeCheck } from './shape-check.ts';
import { checkPoll, normalizePoll, normalizeWebhooks, pollSchema, webhooksSchema, type NormalizedPoll, type NormalizedWebhooks } from '../events/declaration.ts';

/**
 * Start-up validation of connector files, and the defaults every connector shares. A connector
 * that names an unknown key, a wrong type or a path parameter it does not declare is refused
 * here, with the connector, the endpoint and what was expected versus what came.
 */

const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });
const secretRef = z.strictObject({ secret: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'secret names are UPPER_SNAKE_CASE') });
const method = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const zodSchema = z.custom<z.ZodType>((v) => v instanceof z.ZodType, { message: 'expected a zod schema' });
const positiveInt = z.number().int().positive();

const auth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('apiKey'), in: z.enum(['header', 'query']), name: z.string().min(1), value: secretRef }),
  z.strictObject({ type: z.literal('bearer'), token: secretRef }),
  z.strictObject({ type: z.literal('basic'), username: secretRef, password: secretRef }),
  z.strictObject({
    type: z.literal('oauth2'),
    grant: z.enum(['client_credentials', 'refresh_token']),
    tokenUrl: z.string().min(1),
    clientId: secretRef,
    clientSecret: secretRef,
    refreshToken: secretRef.optional(),
    scope: z.string().optional(),
    clientAuth: z.enum(['body', 'basic']).optional(),
    renewBeforeSeconds: z.number().nonnegative().optional(),
  }),
  z.strictObject({ type: z.literal('bodyTokens'), fields: z.record(z.string(), z.union([secretRef, z.string()])) }),
]);

const pageCommon = { items: fn, sizeParam: z.string().optional(), maxPageSize: positiveInt.optional() };
const pagination = z.discriminatedUnion('style', [
  z.strictObject({ style: z.literal('cursor'), ...pageCommon, next: fn, cursorParam: z.string(), in: z.enum(['query', 'body']).optional() }),
  z.strictObject({ style: z.literal('page'), ...pageCommon, pageParam: z.string(), firstPage: z.union([z.literal(0), z.literal(1)]).optional() }),
  z.strictObject({ style: z.literal('offset'), ...pageCommon, offsetParam: z.string() }),
  z.strictObject({ style: z.literal('link'), ...pageCommon }),
]);

const batch = z.strictObject({
  key: z.string(),
  maxSize: positiveInt.optional(),
  method: method.optional(),
  path: z.string().startsWith('/').optional(),
  query: fn.optional(),
  body: fn.optional(),
  items: fn,
  keyOf: fn,
  many: z.boolean().optional(),
});

const endpoint = z.strictObject({
  method: method.optional(),
  path: z.string().startsWith('/', 'a path starting with "/"'),
  args: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\??$/, 'argument names like "id" or "email?"')).optional(),
  query: fn.optional(),
  body: fn.optional(),
  headers: fn.optional(),
  unwrap: fn.optional(),
  response: zodSchema.optional(),
  map: fn.optional(),
  batch: batch.optional(),
  pagination: pagination.optional(),
  cacheTtlSeconds: z.number().nonnegative().optional(),
  idempotent: z.boolean().optional(),
  touches: fn.optional(),
  idempotency: z.union([z.strictObject({ header: z.string().min(1) }), z.strictObject({ bodyField: z.string().min(1) })]).optional(),
  input: zodSchema.optional(),
  id: fn.optional(),
  existing: fn.optional(),
});

const connector = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]*$/, 'a lower-case name like "crm"'),
  title: z.string().optional(),
  baseUrl: z.url().optional(),
  apiVersion: z.string().optional(),
  auth: auth.optional(),
  variables: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'variable names are UPPER_SNAKE_CASE')).optional(),
  headers: z.record(z.string(), z.union([z.string(), secretRef])).optional(),
  quota: z
    .strictObject({ requests: positiveInt, per: z.enum(['second', 'minute', 'hour']), concurrency: positiveInt.optional() })
    .optional(),
  timeouts: z.strictObject({ connectMs: positiveInt.optional(), requestMs: positiveInt.optional() }).optional(),
  retry: z
    .strictObject({ attempts: z.number().int().nonnegative().optional(), initialDelayMs: z.number().nonnegative().optional(), maxDelayMs: z.number().nonnegative().optional() })
    .optional(),
  breaker: z.strictObject({ consecutiveFailures: positiveInt.optional(), halfOpenAfterMs: positiveInt.optional() }).optional(),
  cacheTtlSeconds: z.number().nonnegative().optional(),
  rateLimit: fn.optional(),
  errorMessage: fn.optional(),
  endpoints: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'endpoint names like "contact"'), endpoint),
  webhooks: webhooksSchema.optional(),
  poll: pollSchema.optional(),
});

export interface ArgumentSpec {
  name: string;
  required: boolean;
}

export interface NormalizedEndpoint {
  connector: string;
  name: string;
  method: HttpMethod;
  path: string;
  /** Names of `{param}` placeholders in `path`, in order. */
  pathParams: readonly string[];
  args: readonly ArgumentSpec[];
  query: EndpointDefinition['query'];
  body: EndpointDefinition['body'];
  headers: EndpointDefinition['headers'];
  unwrap: EndpointDefinition['unwrap'];
  response: z.ZodType | undefined;
  /** True when a record has the response shape; without a schema, always true (see shape-check.ts). */
  fitsResponse: (raw: unknown) => boolean;
  map: (raw: any, args: Record<string, unknown>) => unknown;
  batch: (Required<Pick<BatchDefinition, 'key' | 'maxSize' | 'method' | 'path'>> & Omit<BatchDefinition, 'key' | 'maxSize' | 'method' | 'path'>) | undefined;
  pagination: PaginationDefinition | undefined;
  cacheTtlSeconds: number;
  idempotent: boolean;
  touches: EndpointDefinition['touches'];
  idempotency: EndpointDefinition['idempotency'];
  input: z.ZodType | undefined;
  id: EndpointDefinition['id'];
  existing: EndpointDefinition['existing'];
}

export interface NormalizedQuota {
  requests: number;
  perMs: number;
  concurrency: number;
}

export interface NormalizedConnector {
  name: string;
  title: string;
  baseUrl: string | undefined;
  apiVersion: string | undefined;
  auth: AuthDefinition;
  headers: Record<string, HeaderValue>;
  quota: NormalizedQuota | undefined;
  timeouts: { connectMs: number; requestMs: number };
  retry: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  cacheTtlSeconds: number;
  rateLimit: RateLimitReader | undefined;
  errorMessage: ConnectorDefinition['errorMessage'];
  endpoints: Readonly<Record<string, NormalizedEndpoint>>;
  /** Every setting the connector needs resolved: secrets in auth and headers, and its variables. */
  secrets: readonly string[];
  /** Inbound webhooks: scheme, secret names (required ones are also in `secrets`), mapping. */
  webhooks: NormalizedWebhooks | undefined;
  poll: NormalizedPoll | undefined;
}

export const CONNECTOR_DEFAULTS = {
  timeouts: { connectMs: 2_000, requestMs: 10_000 },
  retry: { attempts: 2, initialDelayMs: 100, maxDelayMs: 2_000 },
  breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 },
  cacheTtlSeconds: 30,
  quotaConcurrency: 10,
  batchMaxSize: 100,
} as const;

export const WINDOW_MS = { second: 1_000, minute: 60_000, hour: 3_600_000 } as const;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = value == null ? undefined : (value as Record<PropertyKey, unknown>)[key];
  return value;
}

function formatIssues(source: string, input: unknown, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map(String).join('.') || '(root)';
      if (issue.code === 'unrecognized_keys') return `${source}: ${where}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${source}: ${where}: ${issue.message}, got ${describe(at(input, issue.path))}`;
    })
    .join('\n');
}

const PARAM = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function responseCheck(schema: z.ZodType | undefined): (raw: unknown) => boolean {
  if (!schema) return () => true;
  return compileShapeCheck(schema) ?? ((raw) => schema.safeParse(raw).success);
}

function pathParams(path: string): string[] {
  return [...path.matchAll(PARAM)].map((m) => m[1]!);
}

function secretsOf(def: ConnectorDefinition): string[] {
  const names = new Set<string>();
  const visit = (v: unknown) => {
    if (v && typeof v === 'object') {
      if ('secret' in v && typeof (v as { secret: unknown }).secret === 'string') names.add((v as { secret: string }).secret);
      else for (const child of Object.values(v)) visit(child);
    }
  };
  visit(def.auth);
  visit(def.headers);
  // The webhook secrets a connector cannot verify without; optional ones (`NAME?`) are resolved by `events/`.
  for (const name of def.webhooks?.secrets ?? []) if (!name.endsWith('?')) names.add(name);
  for (const name of def.variables ?? []) names.add(name);
  return [...names].sort();
}

/**
 * Validates one connector declaration and fills in the defaults. `source` names the file in
 * error messages. Throws ConfigurationError listing every problem found, not just the first.
 */
export function normalizeConnector(definition: unknown, source: string): NormalizedConnector {
  const parsed = connector.safeParse(definition);
  if (!parsed.success) throw new ConfigurationError(`Invalid connector\n${formatIssues(source, definition, parsed.error)}`);
  const def = parsed.data as ConnectorDefinition;
  const problems: string[] = [];

  if (def.auth?.type === 'oauth2' && def.auth.grant === 'refresh_token' && !def.auth.refreshToken) {
    problems.push(`${source}: auth.refreshToken: expected a secret for the refresh_token grant, got nothing`);
  }

  const endpoints: Record<string, NormalizedEndpoint> = {};
  for (const [name, ep] of Object.entries(def.endpoints)) {
    const where = `${source}: endpoints.${name}`;
    const args = (ep.args ?? []).map((a) => ({ name: a.replace(/\?$/, ''), required: !a.endsWith('?') }));
    const declared = new Set(args.map((a) => a.name));
    const params = pathParams(ep.path);
    for (const p of params) {
      if (!declared.has(p)) problems.push(`${where}.path: parameter {${p}} is not among the declared args [${[...declared].join(', ')}]`);
    }
    if (ep.batch) {
      if (!declared.has(ep.batch.key)) problems.push(`${where}.batch.key: expected one of the declared args [${[...declared].join(', ')}], got "${ep.batch.key}"`);
      for (const p of pathParams(ep.batch.path ?? ep.path)) {
        if (p === ep.batch.key) problems.push(`${where}.batch.path: the batch key {${p}} cannot be a path parameter of the batch call`);
      }
      if (ep.pagination) problems.push(`${where}: an endpoint is either batched or paginated, not both`);
    }
    const method = ep.method ?? 'GET';
    const idempotent = ep.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    endpoints[name] = {
      connector: def.name,
      name,
      method,
      path: ep.path,
      pathParams: params,
      args,
      query: ep.query,
      body: ep.body,
      headers: ep.headers,
      unwrap: ep.unwrap,
      response: ep.response,
      fitsResponse: responseCheck(ep.response),
      map: ep.map ?? ((raw) => raw),
      batch: ep.batch && {
        ...ep.batch,
        maxSize: ep.batch.maxSize ?? CONNECTOR_DEFAULTS.batchMaxSize,
        method: ep.batch.method ?? method,
        path: ep.batch.path ?? ep.path.replace(`/{${ep.batch.key}}`, ''),
      },
      pagination: ep.pagination,
      cacheTtlSeconds: ep.cacheTtlSeconds ?? (idempotent ? def.cacheTtlSeconds ?? CONNECTOR_DEFAULTS.cacheTtlSeconds : 0),
      idempotent,
      touches: ep.touches,
      idempotency: ep.idempotency,
      input: ep.input,
      id: ep.id,
      existing: ep.existing,
    };
  }
  const poll = def.poll && normalizePoll(def.poll);
  if (poll) problems.push(...checkPoll(poll, endpoints, source));
  if (problems.length > 0) throw new ConfigurationError(`Invalid connector\n${problems.join('\n')}`);

  return Object.freeze({
    name: def.name,
    title: def.title ?? def.name,
    baseUrl: def.baseUrl,
    apiVersion: def.apiVersion,
    auth: def.auth ?? ({ type: 'none' } as const),
    headers: def.headers ?? {},
    quota: def.quota && {
      requests: def.quota.requests,
      perMs: WINDOW_MS[def.quota.per],
      concurrency: def.quota.concurrency ?? CONNECTOR_DEFAULTS.quotaConcurrency,
    },
    timeouts: { ...CONNECTOR_DEFAULTS.timeouts, ...def.timeouts },
    retry: { ...CONNECTOR_DEFAULTS.retry, ...def.retry },
    breaker: { ...CONNECTOR_DEFAULTS.breaker, ...def.breaker },
    cacheTtlSeconds: def.cacheTtlSeconds ?? CONNECTOR_DEFAULTS.cacheTtlSeconds,
    rateLimit: def.rateLimit,
    errorMessage: def.errorMessage,
    endpoints: Object.freeze(endpoints),
    secrets: secretsOf(def),
    webhooks: def.webhooks && normalizeWebhooks(def.webhooks),
    poll,
  });
}
