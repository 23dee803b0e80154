import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginCacheControlDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { GatewayContext, Principal } from '../schema/context.ts';
import { createErrorFormatter } from './errors.ts';
import { jitExecution } from './jit.ts';
import { costPlugin, limitRules, type QueryLimits } from './limits.ts';

/**
 * Apollo Server behind a minimal node:http integration (Apollo's documented way to build an
 * integration: `executeHTTPGraphQLRequest`). Express would add nothing the gateway uses and
 * costs time on every request.
 */

export const BODY_LIMIT_BYTES = 1_000_000;

/**
 * Answers from this many characters go out as one Buffer. Written as a string, node:http
 * prepends the response head to it and the socket copies the joined string again; a 2.3 MB
 * answer cost two 2.3 MB copies on the JavaScript heap besides the bytes sent.
 */
const BUFFER_FROM_CHARS = 64 * 1024;

export interface GraphqlHandlerOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  logger: Logger;
  metrics: Metrics;
  introspection: boolean;
  sandbox: boolean;
  production: boolean;
  /** Depth, aliases, directives, tokens, cost, batch size: all refused with 400 before execution. */
  limits: QueryLimits;
  /** Builds the per-operation context; `principal` is who the gate admitted (undefined: anonymous). */
  context: (request: { headers: IncomingMessage['headers']; requestId: string; principal: Principal | undefined }) => Promise<GatewayContext>;
  /** Extra plugins (WebSocket clean-up on drain). */
  plugins?: ApolloServerPlugin<BaseContext>[];
}

/**
 * When an operation has answered, it is counted and timed, and its records are let go
 * (`RequestLoaders.release`). One plugin for both: Apollo calls every plugin on every request.
 */
function operationEndPlugin(metrics: Metrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, response, contextValue }) {
          contextValue.loaders.release();
          const type = operation?.operation ?? 'unknown';
          const body = response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          const outcome = !result.errors?.length ? 'success' : result.data ? 'partial' : 'error';
          metrics.graphqlOperations.inc({ type, outcome });
          metrics.graphqlDuration.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/**
 * Empties an answer's data once it has been written. In gateway mode (how graphql-jit runs under
 * Apollo) each request's context for the executor carries an object literal with a `status`
 * getter and setter; V8 gives such a literal a hidden class of its own, in the old generation,
 * whose accessors keep Apollo's request context, and with it the answer, alive for the
 * young-generation collector until the next full collection. Without the tree under `data` the
 * answer dies young. Measured on the nested benchmark query at 156 operations/s, simulators at
 * 10 ms (`npm run bench -- --gc`, two runs): 0.84 and 0.85 MB promoted per scavenge with the
 * tree, 0.58 and 0.63 MB without.
 */
function letGo(data: Record<string, unknown> | null | undefined): void {
  if (data) for (const key of Object.keys(data)) delete data[key];
}

export async function createGraphqlHandler(options: GraphqlHandlerOptions) {
  const landing = !options.sandbox
    ? ApolloServerPluginLandingPageDisabled()
    : options.production
      ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
      : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: jitExecution(options.schema),
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(options.logger),
    csrfPrevention: true,
    // The CLI owns SIGTERM/SIGINT and stops the gateway in order (dispatcher, server, stores). Apollo's
    // own handlers would call stop() a second time, concurrently; Apollo 5 never resolves that second
    // call, so `gateway.stop()` (and with it the process) would hang after a signal.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: options.limits.maxBatch > 1,
    // Apollo's default appends a newline, which makes every answer a string of two parts that has
    // to be copied into one before it is measured and sent.
    stringifyResult: (result) => {
      const text = JSON.stringify(result);
      letGo(result.data);
      return text;
    },
    parseOptions: { maxTokens: options.limits.maxTokens },
    validationRules: limitRules(options.limits),
    logger: {
      debug: (m) => options.logger.debug(m),
      info: (m) => options.logger.info(m),
      warn: (m) => options.logger.warn(m),
      error: (m) => options.logger.error(m),
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer, stopGracePeriodMillis: 5_000 }),
      landing,
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      operationEndPlugin(options.metrics),
      costPlugin(options.limits),
      ...((options.plugins ?? []) as ApolloServerPlugin<GatewayContext>[]),
    ],
  });
  await apollo.start();

  async function handle(req: IncomingMessage, res: ServerResponse, search: string, principal: Principal | undefined): Promise<void> {
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    const read = await readBody(req);
    if (read.kind === 'too_large') return sendJson(res, 413, { errors: [{ message: `Request body exceeds ${BODY_LIMIT_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } }] });
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = read.text;
    if (read.text && (headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(read.text);
      } catch {
        return sendJson(res, 400, { errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      }
    }
    if (Array.isArray(body) && body.length > options.limits.maxBatch) {
      const message = options.limits.maxBatch === 1 ? 'Batched requests are not accepted: send one operation per request (QUERY_MAX_BATCH)' : `A batch of ${body.length} operations exceeds the limit of ${options.limits.maxBatch} (QUERY_MAX_BATCH)`;
      return sendJson(res, 400, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
      context: () => options.context({ headers: req.headers, requestId, principal }),
    });
    for (const [name, value] of result.headers) res.setHeader(name, value);
    res.setHeader('x-request-id', requestId);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      const text = result.body.string;
      res.end(text.length >= BUFFER_FROM_CHARS ? Buffer.from(text) : text);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return { apollo, handle, stop: () => apollo.stop() };
}

async function readBody(req: IncomingMessage): Promise<{ kind: 'ok'; text: string } | { kind: 'too_large' }> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > BODY_LIMIT_BYTES) {
    req.resume();
    return { kind: 'too_large' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) {
      req.resume();
      return { kind: 'too_large' };
    }
    chunks.push(chunk);
  }
  return { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
