import type { Args } from '../connectors/define.ts';
import type { NormalizedEndpoint } from '../connectors/normalize.ts';
import type { ConnectorRuntime } from '../connectors/runtime.ts';
import { InterchangeError, UpstreamError, UpstreamRateLimitedError, UpstreamUnavailableError } from '../errors.ts';
import type { StepCall, StepExecutor, StepOutcome, StepResult } from './types.ts';

/**
 * Sends one outbox step through the connector runtime and judges the answer:
 * - 2xx: done; the record's id comes from the endpoint's `id` reader;
 * - an "already exists" answer the endpoint recognises (`existing`): done, pointing at the record
 *   a repeat would have created — that is how systems without idempotency keys stay free of
 *   duplicates when a response was lost;
 * - 408, 409 (when not recognised), 425, 429, 5xx, network and timeouts: transient, retried by the
 *   outbox with the same key;
 * - any other 4xx: permanent, with the system's own reason (never its whole body).
 * `$steps.<name>.externalId` and `$steps.<name>.result.<path>` in arguments are filled from the
 * results of the steps this one depends on.
 */

const STEP_REF = /^\$steps\.([A-Za-z0-9_-]+)\.(externalId|result)((?:\.[A-Za-z0-9_]+)*)$/;
const TRANSIENT = new Set([408, 409, 425, 429]);
const REASON_LIMIT = 300;

export function resolveStepRefs(value: unknown, dependencies: Readonly<Record<string, StepResult>>): unknown {
  if (typeof value === 'string') {
    const match = STEP_REF.exec(value);
    if (!match) return value;
    const dependency = dependencies[match[1]!];
    if (!dependency) throw new InterchangeError('INTERNAL_SERVER_ERROR', `step "${match[1]}" is not among this step's dependencies`);
    if (match[2] === 'externalId') return dependency.externalId;
    let node: unknown = dependency.result;
    for (const key of match[3]!.split('.').filter(Boolean)) node = node == null ? undefined : (node as Record<string, unknown>)[key];
    return node;
  }
  if (Array.isArray(value)) return value.map((v) => resolveStepRefs(v, dependencies));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveStepRefs(v, dependencies)]));
  }
  return value;
}

function reasonOf(runtime: ConnectorRuntime, endpoint: NormalizedEndpoint, status: number, body: unknown): string {
  let said: string | undefined;
  try {
    said = runtime.connectors.get(endpoint.connector)?.errorMessage?.(body, status);
  } catch {
    said = undefined;
  }
  const reason = said ? `${endpoint.connector} refused the write (HTTP ${status}): ${said}` : `${endpoint.connector} refused the write (HTTP ${status})`;
  return reason.length > REASON_LIMIT ? `${reason.slice(0, REASON_LIMIT - 1)}…` : reason;
}

async function resolveExisting(runtime: ConnectorRuntime, endpoint: NormalizedEndpoint, answer: { status: number; body: unknown }, args: Args): Promise<string | undefined> {
  const existing = endpoint.existing?.(answer as { status: number; body: any }, args);
  if (existing === undefined || typeof existing === 'string') return existing;
  const found = await runtime.fetch(runtime.endpoint(`${endpoint.connector}.${existing.lookup}`), existing.args);
  return found === null || found === undefined ? undefined : String(found);
}

export function createStepExecutor(runtime: ConnectorRuntime): StepExecutor {
  return {
    async execute(call: StepCall): Promise<StepOutcome> {
      const endpoint = runtime.endpoint(`${call.connector}.${call.endpoint}`);
      const args = resolveStepRefs(call.args, call.dependencies) as Args;
      let answer;
      try {
        answer = await runtime.write(endpoint, args, { idempotencyKey: call.idempotencyKey, signal: call.signal });
      } catch (error) {
        if (error instanceof UpstreamRateLimitedError) return { ok: false, permanent: false, reason: error.message, retryAfterMs: error.retryAfterMs };
        if (error instanceof UpstreamUnavailableError && error.retryAfterMs !== undefined) {
          // An open circuit: nothing was sent; come back when it lets a probe through.
          return { ok: false, permanent: false, reason: error.message, retryAfterMs: error.retryAfterMs, notSent: true };
        }
        if (error instanceof UpstreamError && error.code === 'BAD_USER_INPUT') return { ok: false, permanent: true, reason: error.message };
        if (error instanceof UpstreamError) return { ok: false, permanent: false, reason: error.message };
        throw error;
      }
      const { status, body } = answer;
      if (status >= 200 && status < 300) {
        const externalId = endpoint.id?.(body, args);
        return { ok: true, externalId: externalId == null ? undefined : String(externalId), result: endpoint.map === undefined ? undefined : safeMap(endpoint, body, args) };
      }
      const existing = await resolveExisting(runtime, endpoint, { status, body }, args);
      if (existing !== undefined) return { ok: true, externalId: existing, result: { existing: true } };
      const reason = reasonOf(runtime, endpoint, status, body);
      return { ok: false, permanent: !(TRANSIENT.has(status) || status >= 500), reason };
    },
  };
}

/** The mapped answer, kept as the step's result for steps that depend on it; null when unreadable. */
function safeMap(endpoint: NormalizedEndpoint, body: unknown, args: Args): unknown {
  try {
    return endpoint.map(body, args) ?? null;
  } catch {
    return null;
  }
}
