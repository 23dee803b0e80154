import { z } from 'zod';
import type { ChangeEventInput, PollDefinition, Settings, WebhookDefinition, WebhookDeliveryInfo } from '../connectors/define.ts';
import { DEFAULT_MAX_BODY_BYTES } from './signatures/body-limit.ts';
import type { SignatureScheme } from './signatures/types.ts';

/**
 * The `webhooks` and `poll` sections of a connector: their start-up validation (used by
 * `normalizeConnector`) and their normalised, all-required form with the defaults beside it.
 */

export const EVENT_DEFAULTS = {
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  /** Each poll re-reads this far behind its cursor: clocks differ, and a record saved in the same second is not lost. */
  pollOverlapMs: 5_000,
  pollLookbackMs: 0,
} as const;

/** `order.created`, `customer.updated`, `check.created`: lower-camel words joined by dots. */
export const EVENT_TYPE = /^[a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+$/;

const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });
const scheme = z.custom<SignatureScheme>(
  (v) => typeof v === 'function' || (typeof v === 'object' && v !== null && typeof (v as { verify?: unknown }).verify === 'function'),
  { message: 'expected a signature scheme such as stripeSignature(), or a function returning one' },
);
const types = z.array(z.string().regex(EVENT_TYPE, 'event types like "order.created"')).min(1, 'at least one event type');

export const webhooksSchema = z.strictObject({
  scheme,
  secrets: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*\??$/, 'secret names like "WEBHOOK_SECRET" or "WEBHOOK_SECRET_PREVIOUS?"')).min(1, 'at least one secret'),
  types,
  events: fn,
  maxBodyBytes: z.number().int().positive().optional(),
});

export const pollSchema = z.strictObject({
  endpoint: z.string().min(1),
  intervalMs: z.number().int().min(100, 'at least 100 ms'),
  cursor: z.strictObject({ arg: z.string().min(1), format: fn.optional(), overlapMs: z.number().nonnegative().optional() }),
  types,
  events: fn,
  lookbackMs: z.number().nonnegative().optional(),
});

export interface SecretName {
  name: string;
  required: boolean;
}

export interface NormalizedWebhooks {
  /** Builds the scheme for one delivery (a fixed scheme ignores its argument). */
  schemeFor: (target: { url: string; settings: Settings }) => SignatureScheme;
  secrets: readonly SecretName[];
  types: readonly string[];
  events: (payload: unknown, delivery: WebhookDeliveryInfo) => readonly ChangeEventInput[];
  maxBodyBytes: number;
}

export interface NormalizedPoll {
  endpoint: string;
  intervalMs: number;
  cursor: { arg: string; format: (epochMs: number) => string; overlapMs: number };
  types: readonly string[];
  events: (record: unknown) => readonly ChangeEventInput[];
  lookbackMs: number;
}

export function normalizeWebhooks(def: WebhookDefinition): NormalizedWebhooks {
  const { scheme: given } = def;
  return {
    schemeFor: typeof given === 'function' ? given : () => given,
    secrets: def.secrets.map((s) => ({ name: s.replace(/\?$/, ''), required: !s.endsWith('?') })),
    types: [...def.types],
    events: def.events,
    maxBodyBytes: def.maxBodyBytes ?? EVENT_DEFAULTS.maxBodyBytes,
  };
}

export function normalizePoll(def: PollDefinition): NormalizedPoll {
  return {
    endpoint: def.endpoint,
    intervalMs: def.intervalMs,
    cursor: {
      arg: def.cursor.arg,
      format: def.cursor.format ?? ((ms) => new Date(ms).toISOString()),
      overlapMs: def.cursor.overlapMs ?? EVENT_DEFAULTS.pollOverlapMs,
    },
    types: [...def.types],
    events: def.events,
    lookbackMs: def.lookbackMs ?? EVENT_DEFAULTS.pollLookbackMs,
  };
}

/**
 * Checks that need the connector's endpoints: the poll endpoint exists, takes the cursor
 * argument, and is never cached (a cached answer would hide the changes the poll looks for).
 */
export function checkPoll(
  poll: NormalizedPoll,
  endpoints: Readonly<Record<string, { args: readonly { name: string }[]; cacheTtlSeconds: number }>>,
  source: string,
): string[] {
  const endpoint = endpoints[poll.endpoint];
  if (!endpoint) return [`${source}: poll.endpoint: expected one of the endpoints [${Object.keys(endpoints).join(', ')}], got "${poll.endpoint}"`];
  const problems: string[] = [];
  if (!endpoint.args.some((a) => a.name === poll.cursor.arg)) {
    problems.push(`${source}: poll.cursor.arg: endpoint ${poll.endpoint} takes no argument "${poll.cursor.arg}" (it takes: ${endpoint.args.map((a) => a.name).join(', ') || 'none'})`);
  }
  if (endpoint.cacheTtlSeconds !== 0) {
    problems.push(`${source}: poll.endpoint: endpoint ${poll.endpoint} must not be cached (cacheTtlSeconds: 0), got ${endpoint.cacheTtlSeconds}`);
  }
  return problems;
}
