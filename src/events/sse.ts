import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../observability/logger.ts';
import type { GatewayContext } from '../schema/context.ts';
import type { RouteHandler } from '../server/index.ts';
import { formatResult, subscribeEach, type ContextFactory, type EventResult } from './execute.ts';
import { readRawBody } from './raw-body.ts';

/**
 * Subscriptions over Server-Sent Events, for clients that cannot hold a WebSocket: the
 * "distinct connections" mode of the GraphQL over SSE protocol (the graphql-sse package's
 * PROTOCOL.md), at `/graphql/stream`. One operation per connection:
 * - `GET /graphql/stream?query=…&variables=…&operationName=…` (what `EventSource` can do), or
 *   `POST /graphql/stream` with a JSON body `{ query, variables, operationName }`;
 * - the answer is `text/event-stream`: one `event: next` per result, then `event: complete`;
 *   a request that cannot run (parse, validation) gets 400 with `{ errors }` instead.
 * Each `next` of a subscription carries `id: <cursor>`. A reconnecting `EventSource` sends it
 * back as `Last-Event-ID`, and the subscription resumes after it exactly as with the `after`
 * argument: missed events from the log, then live ones, none twice. Queries work too (one
 * `next`); mutations only over POST.
 */

export interface SseOptions {
  /** Parse, validate and apply the query limits: the same checks as over HTTP and graphql-ws. */
  prepare: (payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }) => ExecutionArgs | readonly GraphQLError[];
  /** The per-operation context; called again for every event. */
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  /** A comment line this often keeps proxies from closing an idle stream; default 15 s. */
  keepAliveMs?: number;
}

interface Params {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

const MAX_BODY_BYTES = 100_000;

function badRequest(res: ServerResponse, message: string, errors?: readonly GraphQLFormattedError[]): void {
  const text = JSON.stringify({ errors: errors ?? [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readParams(req: IncomingMessage): Promise<Params | string> {
  let raw: Record<string, unknown>;
  if (req.method === 'GET') {
    const search = new URL(req.url ?? '/', 'http://localhost').searchParams;
    raw = { query: search.get('query'), operationName: search.get('operationName') ?? undefined };
    const variables = search.get('variables');
    try {
      raw.variables = variables ? JSON.parse(variables) : undefined;
    } catch {
      return 'variables is not valid JSON';
    }
  } else {
    const body = await readRawBody(req, MAX_BODY_BYTES);
    if (body.kind === 'too_large') return `the request body exceeds ${MAX_BODY_BYTES} bytes`;
    try {
      raw = JSON.parse(body.bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      return 'the request body is not valid JSON';
    }
  }
  if (typeof raw.query !== 'string' || raw.query === '') return 'expected a "query"';
  if (raw.variables != null && (typeof raw.variables !== 'object' || Array.isArray(raw.variables))) return '"variables" must be an object';
  return { query: raw.query, variables: (raw.variables ?? undefined) as Params['variables'], operationName: typeof raw.operationName === 'string' ? raw.operationName : undefined };
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
}

function writeNext(res: ServerResponse, data: unknown, id?: string): void {
  res.write(`event: next\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
}

function cursorOf(payload: unknown): string | undefined {
  const seq = (payload as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' ? String(seq) : undefined;
}

export function createSseRoute(options: SseOptions): RouteHandler {
  const keepAliveMs = options.keepAliveMs ?? 15_000;

  async function stream(req: IncomingMessage, res: ServerResponse, args: ExecutionArgs, contextFor: ContextFactory): Promise<void> {
    const results = await subscribeEach(args, contextFor);
    startStream(res);
    if (!(Symbol.asyncIterator in Object(results))) {
      writeNext(res, formatResult(results as ExecutionResult, options.formatError));
      res.end('event: complete\ndata:\n\n');
      return;
    }
    const iterator = results as AsyncIterableIterator<EventResult>;
    const keepAlive = setInterval(() => res.write(':\n\n'), keepAliveMs);
    // The client went away (or the stream ended): end the subscription and release its listener.
    res.once('close', () => void iterator.return?.());
    try {
      for await (const { payload, result } of iterator) writeNext(res, formatResult(result, options.formatError), cursorOf(payload));
      if (!res.writableEnded) res.end('event: complete\ndata:\n\n');
    } finally {
      clearInterval(keepAlive);
    }
  }

  return async (req, res) => {
    const params = await readParams(req);
    if (typeof params === 'string') return badRequest(res, params);
    const prepared = options.prepare(params);
    if (!('document' in prepared)) {
      return badRequest(res, 'invalid', prepared.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })));
    }
    const { document } = prepared;
    const operation = getOperationAST(document, params.operationName);
    if (!operation) return badRequest(res, 'expected exactly one operation, or operationName naming one');
    if (operation.operation === 'mutation' && req.method === 'GET') return badRequest(res, 'mutations are only accepted over POST');
    const lastEventId = req.headers['last-event-id'];
    const contextFor = () => options.context(req);
    const contextValue = await contextFor();
    const args: ExecutionArgs = {
      ...prepared,
      variableValues: params.variables,
      operationName: params.operationName,
      contextValue,
      rootValue: typeof lastEventId === 'string' && lastEventId !== '' ? { resumeAfter: lastEventId } : undefined,
    };
    if (operation.operation === 'subscription') return stream(req, res, args, contextFor);
    const result = await execute(args);
    contextValue.loaders.release();
    startStream(res);
    writeNext(res, formatResult(result, options.formatError));
    res.end('event: complete\ndata:\n\n');
  };
}
