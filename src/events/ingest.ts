import { z } from 'zod';
import type { ChangeEventInput } from '../connectors/define.ts';
import type { Logger } from '../observability/logger.ts';
import type { EventBus } from './bus.ts';
import type { AppendResult, EventLog } from './log.ts';
import type { NewEvent } from './types.ts';

/**
 * The part of the webhook flow that webhooks and pollers share: check what the connector's
 * mapping produced, write it to the log once, purge the cache tags it names, and (after the
 * sender has its answer) ring the bus.
 *
 * Order, and why: purge → log → [answer the sender] → announce. The purge comes first because
 * the moment a row is committed, a hub may read it (its catch-up timer does not wait for the
 * bus) and a subscriber may query: it must find the cache already free of answers from before the
 * change. Purging before knowing whether the event is a redelivery is harmless (one more upstream
 * read); the vendor made the change before it sent the webhook, so anything cached after the
 * purge is already fresh. The log write comes before the answer, so an acknowledged event is
 * durable; the announcement comes after it, so the sender is not kept waiting on the bus.
 */

export class MappingError extends Error {}

const input = z.strictObject({
  id: z.string().min(1).max(255),
  type: z.string(),
  occurredAt: z.union([z.string(), z.number()]).optional(),
  subject: z.strictObject({ type: z.string().min(1), id: z.string().min(1) }),
  data: z.record(z.string(), z.unknown()).optional(),
  purges: z.array(z.string()).optional(),
});

function occurredAt(value: string | number | undefined, receivedAt: number): number {
  if (value === undefined) return receivedAt;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new MappingError(`occurredAt: expected an ISO-8601 time or epoch ms, got ${JSON.stringify(value)}`);
  return ms;
}

/** One mapped change, checked: a broken mapping fails loudly here rather than logging garbage. */
export function normaliseEvent(connector: string, types: ReadonlySet<string>, given: ChangeEventInput, receivedAt: number): NewEvent {
  const parsed = input.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MappingError(`${connector}: an event from its mapping is invalid at ${issue.path.join('.') || '(event)'}: ${issue.message}`);
  }
  const event = parsed.data;
  if (!types.has(event.type)) throw new MappingError(`${connector}: its mapping produced type "${event.type}", which it does not declare (${[...types].join(', ')})`);
  return {
    id: event.id,
    type: event.type,
    occurredAt: occurredAt(event.occurredAt, receivedAt),
    subject: event.subject,
    // A round trip through JSON: what the log stores is exactly what a live subscriber receives.
    data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
    purges: event.purges ?? [`${connector}:${event.subject.type}:${event.subject.id}`],
  };
}

export interface Recorded extends AppendResult {
  /** Rings the bus for the accepted events; call after the sender has its answer. Never rejects. */
  announce(): Promise<void>;
}

export interface Ingest {
  /** Purges the changes' cache tags and logs them (durably, once each). Throws MappingError for a bad mapping. */
  record(connector: string, types: ReadonlySet<string>, inputs: readonly ChangeEventInput[], receivedAt: number): Promise<Recorded>;
}

export function createIngest(deps: { log: EventLog; bus: EventBus; purge: (tags: readonly string[]) => Promise<void>; logger: Logger }): Ingest {
  return {
    async record(connector, types, inputs, receivedAt) {
      if (!Array.isArray(inputs)) throw new MappingError(`${connector}: its mapping must return a list of events`);
      const events = inputs.map((e) => normaliseEvent(connector, types, e, receivedAt));
      const tags = events.flatMap((e) => e.purges);
      if (tags.length > 0) {
        await deps.purge(tags).catch((error: unknown) => deps.logger.warn({ err: error, connector }, 'cache purge failed; entries live until their TTL'));
      }
      const result = await deps.log.append(connector, events, receivedAt);
      const last = result.accepted.at(-1);
      return { ...result, announce: async () => (last ? deps.bus.announce(last.seq) : undefined) };
    },
  };
}
