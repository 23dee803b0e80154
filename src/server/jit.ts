import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { type DocumentNode, type ExecutionResult, GraphQLError, type GraphQLSchema, printSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/**
 * Executes queries and mutations through graphql-jit: each operation is compiled once into a
 * function and run from then on. Apollo still parses, validates (limits included), runs its
 * plugins and formats errors; only execution changes, through Apollo's documented gateway
 * interface. Apollo caches parsed documents, so the same query text arrives as the same
 * DocumentNode and finds its compiled function in a WeakMap.
 */
export function jitExecution(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();
  const executor: GatewayExecutor = async ({ document, operationName, request, context }) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let query = byName.get(operationName ?? '');
    if (!query) {
      query = compileQuery(schema, document, operationName ?? undefined, { customJSONSerializer: false });
      byName.set(operationName ?? '', query);
    }
    if (!isCompiledQuery(query)) return query;
    const result = await query.query(undefined, context, request.variables ?? {});
    if (!result.errors) return result;
    // No data at all: the variables were refused before execution began, the client's mistake.
    const code = result.data === undefined ? 'BAD_USER_INPUT' : undefined;
    return { ...result, errors: result.errors.map((error) => asGraphQLError(error, code)) };
  };
  const sdl = printSchema(schema);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: sdl });
      return () => undefined;
    },
    load: async () => ({ executor }),
    stop: async () => undefined,
  };
}

/**
 * graphql-jit's errors leave `extensions` undefined where graphql-js always has an object, and
 * Apollo reads `extensions.code` of every error: rebuilt as graphql-js errors, same message,
 * path, locations and original error (whose own extensions graphql-js copies). A request error
 * gets the code graphql-js execution would have earned it from Apollo.
 */
function asGraphQLError(error: GraphQLError, code: string | undefined): GraphQLError {
  if (error.extensions && !code) return error;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    ...(code && { extensions: { ...error.extensions, code } }),
  });
  Object.defineProperty(rebuilt, 'locations', { value: error.locations, enumerable: error.locations !== undefined, writable: true });
  return rebuilt;
}
