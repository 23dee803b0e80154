import { createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startSimulators, type RunningSimulator, type SimulatorName } from '../../demo/index.ts';
import { signStandardWebhooks, type WebhookDelivery } from '../../src/events/signatures/index.ts';
import { startBackend, type Backend } from '../support/backend.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/**
 * Shared pieces of the event suites: the people system (a real HTTP backend whose records change
 * and can be polled), gateways on the event fixture, signed deliveries over real HTTP, and
 * subscribers over graphql-ws and SSE that collect what they receive.
 */

export const FIXTURE_DIRS = { CONNECTORS_DIR: 'test/events/fixtures/connectors', SCHEMA_DIR: 'test/events/fixtures/schema' };

/** Two active secrets per fixture connector (current, previous), in each scheme's own format. */
export const FIXTURE_SECRETS = {
  people: ['whsec_' + Buffer.from('people-current-secret-0123456789').toString('base64'), 'whsec_' + Buffer.from('people-previous-secret-987654321').toString('base64')],
  gh: ['gh-current-secret', 'gh-previous-secret'],
  acme: ['acme-current-secret', 'acme-previous-secret'],
} as const;

export interface PersonRecord {
  id: string;
  name: string;
  team_id: string;
  updated_at: string;
}

export interface PeopleSystem extends Backend {
  people: Map<string, PersonRecord>;
  /** Changes a person now, as a user of the system would; returns the new record. */
  change(id: string, fields: Partial<Omit<PersonRecord, 'id' | 'updated_at'>>): PersonRecord;
}

export async function startPeopleSystem(): Promise<PeopleSystem> {
  const people = new Map<string, PersonRecord>();
  for (let i = 1; i <= 5; i++) people.set(String(i), { id: String(i), name: `Person ${i}`, team_id: String((i % 2) + 1), updated_at: '2025-01-01T00:00:00.000Z' });
  const backend = await startBackend((call) => {
    if (call.pathname === '/people/changes') {
      const since = Date.parse(call.query.get('since') ?? '');
      return { body: { people: [...people.values()].filter((p) => Date.parse(p.updated_at) >= since) } };
    }
    const found = people.get(decodeURIComponent(call.pathname.replace(/^\/people\//, '')));
    return found ? { body: found } : { status: 404, body: { error: 'no such person' } };
  });
  let clock = Date.now();
  return Object.assign(backend, {
    people,
    change(id: string, fields: Partial<Omit<PersonRecord, 'id' | 'updated_at'>>) {
      // Strictly increasing modification times, even within one millisecond.
      clock = Math.max(clock + 1, Date.now());
      const next = { ...people.get(id)!, ...fields, updated_at: new Date(clock).toISOString() };
      people.set(id, next);
      return next;
    },
  });
}

export function fixtureEnv(system: { url: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...FIXTURE_DIRS,
    PEOPLE_URL: system.url,
    GH_URL: system.url,
    ACME_URL: system.url,
    PEOPLE_WEBHOOK_SECRET: FIXTURE_SECRETS.people[0],
    PEOPLE_WEBHOOK_SECRET_PREVIOUS: FIXTURE_SECRETS.people[1],
    GH_WEBHOOK_SECRET: FIXTURE_SECRETS.gh[0],
    GH_WEBHOOK_SECRET_PREVIOUS: FIXTURE_SECRETS.gh[1],
    ACME_WEBHOOK_SECRET: FIXTURE_SECRETS.acme[0],
    ACME_WEBHOOK_SECRET_PREVIOUS: FIXTURE_SECRETS.acme[1],
    ...extra,
  };
}

export function startFixtureGateway(system: { url: string }, extra: Record<string, string> = {}): Promise<TestGateway> {
  return startTestGateway(fixtureEnv(system, extra));
}

/** Posts a signed delivery to its URL exactly as built (raw bytes, headers); resolves with the status. */
export async function deliver(delivery: WebhookDelivery): Promise<number> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const response = await fetch(delivery.url, { method: delivery.method, headers, body: delivery.rawBody });
  await response.arrayBuffer();
  return response.status;
}

/** A people-system webhook for `person`, signed for `gateway` (Standard Webhooks). */
export function personWebhook(gateway: { url: string }, person: PersonRecord, options: { eventId?: string; type?: string; secret?: string } = {}): WebhookDelivery {
  return signStandardWebhooks({
    secret: options.secret ?? FIXTURE_SECRETS.people[0],
    url: `${gateway.url}/webhooks/people`,
    body: JSON.stringify({ type: options.type ?? 'person.updated', person }),
    ...(options.eventId === undefined ? {} : { eventId: options.eventId }),
  });
}

export interface Subscriber {
  readonly results: ExecutionResult[];
  /** Resolves with every result once at least `count` have arrived. */
  received(count: number, timeoutMs?: number): Promise<ExecutionResult[]>;
  close(): Promise<void>;
}

function collector() {
  const results: ExecutionResult[] = [];
  let failure: unknown;
  const waiting = new Set<() => void>();
  const notify = () => waiting.forEach((w) => w());
  return {
    results,
    push: (r: ExecutionResult) => void (results.push(r), notify()),
    fail: (e: unknown) => void ((failure = e), notify()),
    received(count: number, timeoutMs = 5_000): Promise<ExecutionResult[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (failure) reject(failure instanceof Error ? failure : new Error(JSON.stringify(failure)));
          else if (results.length >= count) resolve([...results]);
          else return;
          clearTimeout(timer);
          waiting.delete(check);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`expected ${count} results within ${timeoutMs} ms, got ${results.length}: ${JSON.stringify(results)}`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}

/** A graphql-ws subscriber on the gateway's /graphql, as Apollo Sandbox or a browser app would be. */
export function subscribeWs(gatewayUrl: string, query: string, variables: Record<string, unknown> = {}): Subscriber {
  const client = createClient({ url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  const c = collector();
  const unsubscribe = client.subscribe({ query, variables }, { next: c.push, error: c.fail, complete: () => undefined });
  return {
    results: c.results,
    received: c.received,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** A subscriber over Server-Sent Events (GET /graphql/stream), optionally resuming with Last-Event-ID. */
export function subscribeSse(gatewayUrl: string, query: string, options: { variables?: Record<string, unknown>; lastEventId?: string } = {}): Subscriber & { ids: string[] } {
  const c = collector();
  const ids: string[] = [];
  const abort = new AbortController();
  const url = new URL(`${gatewayUrl}/graphql/stream`);
  url.searchParams.set('query', query);
  if (options.variables) url.searchParams.set('variables', JSON.stringify(options.variables));
  const headers: Record<string, string> = { accept: 'text/event-stream', ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) };
  const done = (async () => {
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.status !== 200) throw new Error(`SSE answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
        if (fields.event !== 'next') continue;
        if (fields.id) ids.push(fields.id);
        c.push(JSON.parse(fields.data ?? 'null') as ExecutionResult);
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) c.fail(error);
  });
  return {
    results: c.results,
    ids,
    received: c.received,
    async close() {
      abort.abort();
      await done;
    },
  };
}

/** The event ids a subscriber saw, in order, from a selection that includes `eventId`. */
export function eventIds(results: readonly ExecutionResult[], field: string): string[] {
  return results.map((r) => {
    if (r.errors?.length) throw new Error(`a subscription result carried errors: ${JSON.stringify(r.errors)}`);
    return String((r.data as Record<string, { eventId: string }>)[field]!.eventId);
  });
}

/** The six reference systems as real simulators, and a gateway on the reference connectors and schema using them. */
export async function startReferenceGateway(extra: Record<string, string> = {}, options: { simulators?: Record<SimulatorName, RunningSimulator> } = {}) {
  const simulators = options.simulators ?? (await startSimulators());
  const gateway = await startTestGateway(
    { DEMO: 'true', ...extra },
    // The test owns the simulators (two gateways may share them): the gateway must not close them.
    { demo: async (name) => (name in simulators ? { ...simulators[name as SimulatorName], close: async () => undefined } : undefined) },
  );
  return { gateway, simulators, close: async () => Promise.all(Object.values(simulators).map((s) => s.close())) };
}
