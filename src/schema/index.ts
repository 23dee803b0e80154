import { Kind, buildASTSchema, concatAST, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import { ConfigurationError } from '../errors.ts';
import { compileConnectBindings } from './bind.ts';
import { compileFanoutBindings } from './fanout.ts';
import { writesResolvers } from './writes.ts';
import { applyAuthDirective } from '../auth/directive.ts';
import { compileEventBindings } from './events.ts';
import type { EventFeed } from '../events/feed.ts';
import { ENGINE_SDL, loadSchemaSources } from './load.ts';
import { scalarResolvers } from './scalars.ts';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * The engine declares the root types (its own `about`, write and subscription fields live on
 * them), so a project's `type Query { … }` is read as `extend type Query { … }`: both spellings work.
 */
function asRootExtensions(document: DocumentNode): DocumentNode {
  return {
    ...document,
    definitions: document.definitions.map((d) =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION && ROOT_TYPES.has(d.name.value)
        ? { kind: Kind.OBJECT_TYPE_EXTENSION, name: d.name, interfaces: d.interfaces, directives: d.directives, fields: d.fields, loc: d.loc }
        : d,
    ),
  };
}

/**
 * Builds the executable schema: the SDL in `schema/`, the engine's directives and scalars, and
 * a resolver for every bound field. Fields without a binding use the default resolver (a
 * property of the mapped parent record).
 */
export function buildGatewaySchema(options: {
  directory: string;
  connectors: readonly NormalizedConnector[];
  version: string;
  /** Feeds the `@event` subscription fields; without it, subscribing fails. */
  events?: EventFeed;
}): GraphQLSchema {
  const sources = loadSchemaSources(options.directory);
  sources.documents = sources.documents.map(asRootExtensions);
  const documents = [parse(ENGINE_SDL), ...sources.documents];
  let typeInfo: GraphQLSchema;
  try {
    typeInfo = buildASTSchema(concatAST(documents));
  } catch (cause) {
    throw new ConfigurationError(`The schema in ${options.directory} is not valid: ${(cause as Error).message}`, { cause });
  }
  const connectors = new Map(options.connectors.map((c) => [c.name, c]));
  const resolvers = compileConnectBindings(typeInfo, sources.documents, connectors);
  const fanouts = compileFanoutBindings(typeInfo, sources.documents, connectors, resolvers);
  const eventResolvers = compileEventBindings(typeInfo, sources.documents, connectors, options.events);
  const about = { name: 'Interchange', version: options.version, connectors: options.connectors.map((c) => c.name) };
  const engineResolvers = { Query: { about: () => about } };
  const resolverMaps = [scalarResolvers, engineResolvers, writesResolvers, resolvers, fanouts, eventResolvers];
  return applyAuthDirective(makeExecutableSchema({ typeDefs: documents, resolvers: resolverMaps }));
}
