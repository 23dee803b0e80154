import { InterchangeError } from '../errors.ts';
import type { OperationStatus, WriteOperation, WriteStep } from '../writes/types.ts';
import type { GatewayContext } from './context.ts';

/**
 * The engine's own schema for the write side: what a fan-out mutation returns, and the queries
 * and admin mutations that show and replay writes. Mutations that fan out are declared in the
 * project's schema with `@fanout` and return `WriteOperation`.
 */
export const WRITES_SDL = /* GraphQL */ `
"COMPLETED: every system holds the change. PARTIAL: some do, others are still retrying or dead-lettered. PENDING: accepted, none done yet. FAILED: none holds it (dead or undone)."
enum WriteStatus { PENDING PARTIAL COMPLETED FAILED }
enum WriteStepStatus { PENDING IN_FLIGHT RETRY_SCHEDULED SUCCEEDED DEAD COMPENSATED }
enum WriteStepKind { FORWARD COMPENSATION }

"One write to one system."
type WriteStep {
  id: ID!
  name: String!
  "The connector written to."
  system: String!
  endpoint: String!
  kind: WriteStepKind!
  status: WriteStepStatus!
  "The record's id in that system, once written."
  externalId: String
  "The system's reason for the last failure."
  error: String
  attempts: Int!
  maxAttempts: Int!
  nextAttemptAt: DateTime
}

"A mutation's writes, accepted durably before the answer and carried out by the outbox."
type WriteOperation {
  id: ID!
  mutation: String!
  status: WriteStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  steps: [WriteStep!]!
}

type WriteOperationEdge { cursor: String! node: WriteOperation! }
type WriteOperationConnection { edges: [WriteOperationEdge!]! nodes: [WriteOperation!]! pageInfo: PageInfo! }

type DeadLetter { operationId: ID! mutation: String! step: WriteStep! }

type ReplayResult { operationId: ID! replayedSteps: Int! status: WriteStatus! }

extend type Query {
  writeOperation(id: ID!): WriteOperation
  writeOperations(status: WriteStatus, first: Int = 20, after: String): WriteOperationConnection!
  deadLetters(first: Int = 50): [DeadLetter!]! @auth(scopes: ["admin"])
}

type Subscription {
  "The operation now, then again each time a step moves, until it is COMPLETED or FAILED."
  writeOperationUpdated(id: ID!): WriteOperation!
}

type Mutation {
  "Sends the dead or failed steps of one operation (or one step) again, with their original idempotency keys."
  replayWrite(id: ID!): ReplayResult! @auth(scopes: ["admin"])
  "Replays every dead letter, optionally only those of one connector or mutation."
  replayDeadLetters(connector: String, mutation: String): [ReplayResult!]! @auth(scopes: ["admin"])
}
`;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function toWriteStep(step: WriteStep) {
  const nextAttemptAt = step.state === 'pending' || step.state === 'retry_scheduled' ? step.nextAttemptAt : null;
  const error = step.state === 'dead' || step.state === 'retry_scheduled' ? step.lastError : step.state === 'in_flight' ? step.lastError : null;
  const externalId = step.state === 'succeeded' || step.state === 'compensated' ? step.externalId : null;
  return {
    id: step.id,
    name: step.name,
    system: step.connector,
    endpoint: step.endpoint,
    kind: step.kind.toUpperCase(),
    status: step.state.toUpperCase(),
    externalId,
    error,
    attempts: step.attempts,
    maxAttempts: step.maxAttempts,
    nextAttemptAt: iso(nextAttemptAt),
  };
}

export function toWriteOperation(operation: WriteOperation) {
  return {
    id: operation.id,
    mutation: operation.mutation,
    status: operation.status,
    createdAt: iso(operation.createdAt),
    updatedAt: iso(operation.updatedAt),
    steps: operation.steps.map(toWriteStep),
  };
}

/** Operations change on any gateway instance; this one hears its own dispatcher at once and polls for the others. */
const WATCH_POLL_MS = 1_000;

async function* watchOperation(context: GatewayContext, id: string): AsyncGenerator<ReturnType<typeof toWriteOperation>> {
  let wake: () => void = () => undefined;
  const unsubscribe = context.writes.onChange((change) => {
    if (change.operationId === id) wake();
  });
  try {
    let last = '';
    for (;;) {
      const changed = new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, WATCH_POLL_MS).unref();
      });
      const operation = await context.writes.outbox.getOperation(id);
      if (!operation) throw new InterchangeError('NOT_FOUND', `No write operation ${id}`);
      const stamp = `${operation.status} ${operation.steps.map((s) => `${s.state}/${s.attempts}`).join(' ')}`;
      if (stamp !== last) {
        last = stamp;
        yield toWriteOperation(operation);
      }
      if (operation.status === 'COMPLETED' || operation.status === 'FAILED') return;
      await changed;
    }
  } finally {
    unsubscribe();
  }
}

export const writesResolvers = {
  Subscription: {
    writeOperationUpdated: {
      subscribe: (_: unknown, args: { id: string }, context: GatewayContext) => watchOperation(context, args.id),
      resolve: (operation: unknown) => operation,
    },
  },
  Query: {
    writeOperation: async (_: unknown, args: { id: string }, context: GatewayContext) => {
      const operation = await context.writes.outbox.getOperation(args.id);
      return operation ? toWriteOperation(operation) : null;
    },
    writeOperations: async (_: unknown, args: { status?: OperationStatus; first?: number; after?: string }, context: GatewayContext) => {
      if (args.first !== undefined && (args.first < 1 || args.first > 500)) throw new InterchangeError('BAD_USER_INPUT', '"first" must be between 1 and 500');
      const page = await context.writes.outbox.listOperations({ status: args.status, first: args.first, after: args.after });
      const nodes = page.nodes.map(toWriteOperation);
      return { nodes, edges: nodes.map((node) => ({ node, cursor: node.id })), pageInfo: { ...page.pageInfo, hasPreviousPage: false, startCursor: null } };
    },
    deadLetters: async (_: unknown, args: { first?: number }, context: GatewayContext) =>
      (await context.writes.outbox.deadLetters({ first: args.first })).map((d) => ({ operationId: d.operationId, mutation: d.mutation, step: toWriteStep(d.step) })),
  },
  Mutation: {
    replayWrite: async (_: unknown, args: { id: string }, context: GatewayContext) => {
      const result = await context.writes.replay(args.id);
      return { operationId: result.operationId, replayedSteps: result.replayedStepIds.length, status: result.status };
    },
    replayDeadLetters: async (_: unknown, args: { connector?: string; mutation?: string }, context: GatewayContext) => {
      const letters = await context.writes.outbox.deadLetters({ first: 500 });
      const operations = new Set(letters.filter((d) => (!args.connector || d.step.connector === args.connector) && (!args.mutation || d.mutation === args.mutation)).map((d) => d.operationId));
      const results = [];
      for (const id of operations) {
        const result = await context.writes.replay(id);
        results.push({ operationId: result.operationId, replayedSteps: result.replayedStepIds.length, status: result.status });
      }
      return results;
    },
  },
};
