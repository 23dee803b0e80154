import type { CallStats } from './stats.ts';
import { describe, isObject, parseFaults, type Faults } from './faults.ts';
import type { Reply, VendorSimulator } from './types.ts';
import type { WebhookDispatcher } from './webhooks.ts';

/** The simulator's moving parts, shared by the request pipeline and the admin routes. */
export interface Runtime {
  readonly vendor: VendorSimulator;
  readonly stats: CallStats;
  readonly faults: Faults;
  readonly webhooks: WebhookDispatcher;
  /** Added to every counted call; set by `latencyMs` at start or through `/__admin/config`. */
  latencyMs: number;
}

const ADMIN_ROUTES = [
  'GET /__admin/stats?log=N',
  'POST /__admin/stats/reset',
  'GET|POST /__admin/faults',
  'GET|POST /__admin/config',
  'GET|POST|DELETE /__admin/webhooks',
  'POST /__admin/emit',
  'GET /__admin/records/{collection}',
];

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string): Reply => ({ status, body: { error } });

/** Admin routes: never counted, never authenticated, never faulted. */
export async function handleAdmin(
  rt: Runtime,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: string,
  baseUrl: string,
): Promise<Reply> {
  let body: unknown = {};
  if (rawBody.trim().length > 0) {
    try {
      body = JSON.parse(rawBody);
    } catch (err) {
      return fail(400, `expected a JSON body, got invalid JSON (${(err as Error).message})`);
    }
  }
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /__admin':
      return ok({ simulator: rt.vendor.name, routes: ADMIN_ROUTES });
    case 'GET /__admin/stats': {
      const logParam = query.get('log');
      const snapshot = rt.stats.snapshot(logParam === null ? undefined : Math.max(0, Number(logParam) || 0));
      return ok({ ...snapshot, records: recordCounts(rt.vendor) });
    }
    case 'POST /__admin/stats/reset':
      rt.stats.reset();
      return ok({ calls: 0 });
    case 'GET /__admin/faults':
      return ok(rt.faults.snapshot());
    case 'POST /__admin/faults': {
      const spec = parseFaults(body);
      if (typeof spec === 'string') return fail(400, spec);
      rt.faults.set(spec);
      return ok(rt.faults.snapshot());
    }
    case 'GET /__admin/config':
      return ok({ latencyMs: rt.latencyMs, ...rt.vendor.settings });
    case 'POST /__admin/config':
      return configure(rt, body);
    case 'GET /__admin/webhooks':
      return ok({ targets: rt.webhooks.list(), deliveries: rt.webhooks.recent(), types: rt.vendor.webhooks.types });
    case 'POST /__admin/webhooks': {
      const url = isObject(body) ? body.url : undefined;
      if (typeof url !== 'string' || !URL.canParse(url)) return fail(400, `expected { url: "http://…" }, got ${describe(body)}`);
      rt.webhooks.register(url);
      return ok({ targets: rt.webhooks.list() });
    }
    case 'DELETE /__admin/webhooks':
      rt.webhooks.clear();
      return ok({ targets: [] });
    case 'POST /__admin/emit':
      return emit(rt, body, baseUrl);
  }
  const records = /^\/__admin\/records\/([^/]+)$/.exec(path);
  if (method === 'GET' && records) {
    const name = decodeURIComponent(records[1]!);
    const collections = rt.vendor.collections();
    const found = collections[name];
    if (!found) return fail(404, `no collection "${name}"; expected one of ${Object.keys(collections).join(', ')}`);
    return ok(found);
  }
  return fail(404, `no admin route ${key}; expected one of ${ADMIN_ROUTES.join(', ')}`);
}

function recordCounts(vendor: VendorSimulator): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, records] of Object.entries(vendor.collections())) counts[name] = records.length;
  return counts;
}

async function emit(rt: Runtime, body: unknown, baseUrl: string): Promise<Reply> {
  const { types } = rt.vendor.webhooks;
  if (!isObject(body) || typeof body.type !== 'string' || typeof body.id !== 'string') {
    return fail(400, `expected { type, id } with type one of ${types.join(', ')}, got ${describe(body)}`);
  }
  if (!types.includes(body.type)) return fail(400, `unknown event type "${body.type}"; expected one of ${types.join(', ')}`);
  if (rt.webhooks.list().length === 0) return fail(409, 'no webhook target registered: POST /__admin/webhooks { url } first');
  const { type, id, ...extra } = body;
  const payload = rt.vendor.webhooks.build(type, id, extra, baseUrl);
  if (payload === undefined) return fail(404, `no record with id "${id}" for event ${type}`);
  const deliveries = await rt.webhooks.send(payload);
  return ok({ payload, deliveries });
}

/** Patches settings after checking every key exists and keeps its type; all or nothing. */
function configure(rt: Runtime, patch: unknown): Reply {
  if (!isObject(patch)) return fail(400, `expected a JSON object of settings, got ${describe(patch)}`);
  const { latencyMs, ...rest } = patch;
  if (latencyMs !== undefined && (typeof latencyMs !== 'number' || latencyMs < 0)) {
    return fail(400, `expected latencyMs to be a non-negative number, got ${describe(latencyMs)}`);
  }
  const next = structuredClone(rt.vendor.settings);
  const error = applySettings(next, rest, '');
  if (error) return fail(400, error);
  Object.assign(rt.vendor.settings, next);
  if (typeof latencyMs === 'number') rt.latencyMs = latencyMs;
  return ok({ latencyMs: rt.latencyMs, ...rt.vendor.settings });
}

function applySettings(target: Record<string, unknown>, patch: Record<string, unknown>, prefix: string): string | undefined {
  for (const [key, value] of Object.entries(patch)) {
    const name = prefix + key;
    if (!(key in target)) return `unknown setting ${name}; expected one of ${Object.keys(target).map((k) => prefix + k).join(', ')}`;
    const current = target[key];
    if (isObject(current)) {
      if (!isObject(value)) return `expected ${name} to be an object, got ${describe(value)}`;
      const error = applySettings(current, value, `${name}.`);
      if (error) return error;
      continue;
    }
    if (typeof value !== typeof current) return `expected ${name} to be a ${typeof current}, got ${describe(value)}`;
    target[key] = value;
  }
  return undefined;
}
