import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { InterchangeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Error masking, done once for every operation. An InterchangeError is shown with its public
 * code and message (written to be safe); the request errors GraphQL itself raises (parse,
 * validation, bad variables) pass through with Apollo's codes; anything else is a bug — logged
 * with its stack on the server, shown to the client as "Internal server error" and nothing more.
 */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export function createErrorFormatter(logger: Logger) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };
    if (original instanceof InterchangeError) {
      if (original.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: original, path: formatted.path }, 'internal error');
      return { ...base, message: original.message, extensions: { code: original.code, ...original.extensions() } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code) && original === error) {
      return { ...base, message: formatted.message, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in an operation');
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
