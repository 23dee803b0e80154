import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GraphQLError, Kind, Source, isObjectType, parse, type ASTNode, type DirectiveNode, type DocumentNode, type FieldDefinitionNode, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { ConfigurationError } from '../errors.ts';
import { WRITES_SDL } from './writes.ts';

/**
 * The unified schema as SDL files. Each file is parsed with its own name, so every later
 * complaint about a binding can point at `schema/<file>.graphql:<line>:<column>`.
 */

/** Directives and scalars the engine understands; prepended to the user's SDL. */
const CORE_SDL = /* GraphQL */ `
"Fetch this field from a connector endpoint. Argument values are selectors: $args.x, $parent.y, $context.z, or literals. With link, the answer is the id of that entity in the system of the connector, remembered durably by the arguments."
directive @connect(to: String!, args: JSON, link: String) on FIELD_DEFINITION
"The writes this mutation causes, one per target system."
directive @fanout(to: [JSON!]!, record: JSON) on FIELD_DEFINITION
"The webhook events that feed this subscription field."
directive @event(from: [String!]!, filter: JSON) on FIELD_DEFINITION
"Scopes the caller needs to see this field or type."
directive @auth(scopes: [String!]!) on FIELD_DEFINITION | OBJECT
scalar JSON
scalar DateTime
scalar Date

type Query {
  "This gateway: its version and the systems it connects."
  about: About!
}

type About {
  name: String!
  version: String!
  connectors: [String!]!
}

"Relay-style page information."
type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}
`;

export const ENGINE_SDL = CORE_SDL + WRITES_SDL;

export interface SchemaSources {
  documents: DocumentNode[];
  /** Absolute file → text, to turn AST locations into `file:line:column`. */
  files: string[];
  root: string;
}

export function loadSchemaSources(directory: string, root = process.cwd()): SchemaSources {
  let names: string[];
  try {
    names = readdirSync(directory).filter((n) => n.endsWith('.graphql')).sort();
  } catch (cause) {
    throw new ConfigurationError(`Cannot read the schema directory ${directory}`, { cause });
  }
  if (names.length === 0) throw new ConfigurationError(`No *.graphql files in ${directory}`);
  const documents: DocumentNode[] = [];
  const files: string[] = [];
  for (const name of names) {
    const file = join(directory, name);
    const shown = relative(root, file) || file;
    try {
      documents.push(parse(new Source(readFileSync(file, 'utf8'), shown)));
    } catch (error) {
      if (error instanceof GraphQLError) throw new ConfigurationError(`${shown}:${error.locations?.[0]?.line ?? 0}:${error.locations?.[0]?.column ?? 0}: ${error.message}`);
      throw error;
    }
    files.push(shown);
  }
  return { documents, files, root };
}

/** `schema/crm.graphql:12:5` for an AST node parsed from a named source. */
export function where(node: ASTNode): string {
  const loc = node.loc;
  if (!loc) return '(unknown location)';
  const { line, column } = loc.source.locationOffset.line === 1 ? locate(loc.source.body, loc.start) : { line: 0, column: 0 };
  return `${loc.source.name}:${line}:${column}`;
}

function locate(body: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (body.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Every field of an object type (definition or extension) that carries directive `name`, in source order. */
export function fieldsWithDirective(
  schema: GraphQLSchema,
  documents: readonly DocumentNode[],
  name: string,
): Array<{ type: GraphQLObjectType; field: FieldDefinitionNode; directive: DirectiveNode }> {
  const found: Array<{ type: GraphQLObjectType; field: FieldDefinitionNode; directive: DirectiveNode }> = [];
  for (const definition of documents.flatMap((d) => d.definitions)) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = schema.getType(definition.name.value);
    if (!isObjectType(type)) continue;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === name);
      if (directive) found.push({ type, field, directive });
    }
  }
  return found;
}
