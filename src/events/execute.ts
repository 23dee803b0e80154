import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../schema/context.ts';

/**
 * Runs a subscription operation so that every event is executed like a request of its own: with
 * a fresh context (its own DataLoaders, released once the event is executed, and its own
 * upstream deadline). graphql-js's `subscribe` reuses the subscribe-time context for every event,
 * which would serve a later event the records an earlier one loaded, and fail every upstream call
 * once the first deadline has passed.
 *
 * Otherwise this is graphql-js's own algorithm: `createSourceEventStream` calls the field's
 * `subscribe` resolver, then each source payload is executed as the root value. Ending the
 * returned iterator (`return()`, as graphql-ws and the SSE route do when a client leaves) ends
 * the source stream, which releases its hub listener.
 */

export type ContextFactory = () => Promise<GatewayContext> | GatewayContext;

export interface EventResult {
  /** The source event (for the event feed: a `LoggedEvent`, whose seq is the resume cursor). */
  payload: unknown;
  result: ExecutionResult;
}

export async function subscribeEach(args: ExecutionArgs, contextFor: ContextFactory): Promise<AsyncIterableIterator<EventResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
  const events = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<EventResult> = {
    async next() {
      const next = await events.next();
      if (next.done) return { value: undefined, done: true };
      const contextValue = await contextFor();
      const result = await execute({ ...args, rootValue: next.value, contextValue });
      contextValue.loaders.release();
      return { value: { payload: next.value, result }, done: false };
    },
    async return() {
      await events.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await events.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The same, as graphql-ws's `subscribe` option wants it: a stream of execution results. */
export async function subscribeWithFreshContext(args: ExecutionArgs, contextFor: ContextFactory): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const each = await subscribeEach(args, contextFor);
  if (!(Symbol.asyncIterator in Object(each))) return each as ExecutionResult;
  const inner = each as AsyncIterableIterator<EventResult>;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const next = await inner.next();
      return next.done ? { value: undefined, done: true } : { value: next.value.result, done: false };
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
    throw: async (error?: unknown) => {
      await inner.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** A result with every error passed through the gateway's error masking (Apollo does this for HTTP, not for these transports). */
export function formatResult(
  result: ExecutionResult,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): FormattedExecutionResult {
  const formatted: FormattedExecutionResult = {};
  if (result.errors) formatted.errors = result.errors.map((error) => formatError(typeof error.toJSON === 'function' ? error.toJSON() : error, error));
  if (result.data !== undefined) formatted.data = result.data;
  if (result.extensions !== undefined) formatted.extensions = result.extensions;
  return formatted;
}
