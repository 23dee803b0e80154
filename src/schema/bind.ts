import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import type { NormalizedConnector, NormalizedEndpoint } from '../connectors/normalize.ts';
import { cursorAt, type Page } from '../connectors/pagination.ts';
import { ConfigurationError } from '../errors.ts';
import type { GatewayContext } from './context.ts';
import { fieldsWithDirective, where } from './load.ts';
import { parseSelector, readSelector, type Selector } from './selectors.ts';
import { JSONScalar } from './scalars.ts';

/**
 * Compiles `@connect(to:, args:)` into resolvers. Every binding is checked before the gateway
 * serves anything: the connector and endpoint exist, every argument the endpoint requires is
 * bound, no argument it does not declare is bound, and every selector names something that
 * exists (`$args.x` a field argument, `$parent.y` a field of the parent type). All problems are
 * reported at once, each with its file, line and what was expected.
 */

export const CONTEXT_KEYS = ['principal', 'requestId'] as const;
const DEFAULT_PAGE_SIZE = 20;
/** Upper bound when a list field reads every page of a paginated endpoint. */
const MAX_PAGES = 20;

/** One hop of a `$parent` selector: a plain property, or a field that has its own binding. */
export interface Hop {
  typeName: string;
  fieldName: string;
  bound: boolean;
}

type Binding = { name: string; selector: Selector; hops?: Hop[] } | { name: string; literal: unknown };

interface ConnectBinding {
  typeName: string;
  fieldName: string;
  endpoint: NormalizedEndpoint;
  bindings: Binding[];
  /** Endpoint arguments that must have a value for the call to make sense. */
  required: string[];
  shape: 'connection' | 'list' | 'single';
  /** Entity name when the field is a remembered record link. */
  link: string | undefined;
}

export type Resolvers = Record<string, Record<string, GraphQLFieldResolver<unknown, GatewayContext>>>;

export function directiveArgument(directive: DirectiveNode, name: string): ValueNode | undefined {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function fieldShape(field: GraphQLField<unknown, unknown>): ConnectBinding['shape'] {
  const named = getNamedType(field.type);
  if (isObjectType(named) && named.getFields().edges && named.getFields().pageInfo) return 'connection';
  return isListType(getNullableType(field.type)) ? 'list' : 'single';
}

function checkBinding(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  node: FieldDefinitionNode,
  directive: DirectiveNode,
  connectors: ReadonlyMap<string, NormalizedConnector>,
  boundFields: ReadonlySet<string>,
  problems: string[],
): ConnectBinding | undefined {
  const at = `${where(directive)}: ${type.name}.${node.name.value} @connect`;
  const toNode = directiveArgument(directive, 'to');
  const to = toNode?.kind === Kind.STRING ? toNode.value : undefined;
  const [connectorName, endpointName, extra] = (to ?? '').split('.');
  if (!connectorName || !endpointName || extra !== undefined) {
    problems.push(`${at}: "to" must be "connector.endpoint", got ${to === undefined ? 'nothing' : JSON.stringify(to)}`);
    return undefined;
  }
  const connector = connectors.get(connectorName);
  if (!connector) {
    problems.push(`${at}: no connector "${connectorName}" (connectors: ${[...connectors.keys()].join(', ') || 'none'})`);
    return undefined;
  }
  const endpoint = connector.endpoints[endpointName];
  if (!endpoint) {
    problems.push(`${at}: connector "${connectorName}" has no endpoint "${endpointName}" (endpoints: ${Object.keys(connector.endpoints).join(', ')})`);
    return undefined;
  }
  const field = type.getFields()[node.name.value]!;
  const argsNode = directiveArgument(directive, 'args');
  const given = argsNode ? (JSONScalar.parseLiteral(argsNode, {}) as Record<string, unknown> | null) : {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    problems.push(`${at}: "args" must be an object like {id: "$args.id"}`);
    return undefined;
  }
  const declared = new Map(endpoint.args.map((a) => [a.name, a]));
  const bindings: Binding[] = [];
  for (const [name, value] of Object.entries(given)) {
    if (!declared.has(name)) {
      problems.push(`${at}: endpoint ${to} takes no argument "${name}" (it takes: ${[...declared.keys()].join(', ') || 'none'})`);
      continue;
    }
    const parsed = parseSelector(value);
    if ('error' in parsed) problems.push(`${at}: args.${name}: ${parsed.error}`);
    else if ('literal' in parsed) bindings.push({ name, literal: parsed.literal });
    else {
      const checked = checkSelector(schema, type, field, parsed.selector, boundFields);
      if (typeof checked === 'string') problems.push(`${at}: args.${name}: ${checked}`);
      else bindings.push({ name, selector: parsed.selector, hops: checked });
    }
  }
  const required = endpoint.args.filter((a) => a.required).map((a) => a.name);
  for (const name of required) {
    if (!(name in given)) problems.push(`${at}: endpoint ${to} requires argument "${name}", which is not bound`);
  }
  const shape = fieldShape(field);
  if (shape === 'connection' && !endpoint.pagination) problems.push(`${at}: ${type.name}.${field.name} is a connection but ${to} declares no pagination`);
  const linkNode = directiveArgument(directive, 'link');
  const link = linkNode?.kind === Kind.STRING ? linkNode.value : undefined;
  if (link !== undefined && (shape !== 'single' || Object.keys(given).length === 0)) {
    problems.push(`${at}: "link" needs a single-valued field bound by at least one argument`);
  }
  return { typeName: type.name, fieldName: field.name, endpoint, bindings, required, shape, link };
}

/**
 * Checks a selector against the schema. For `$parent`, every hop must be a field of the type
 * reached so far; a hop onto a field with its own binding is resolved through that binding at
 * run time (so `$parent.links.shop` finds the shop id the `CustomerLinks.shop` binding knows).
 */
function checkSelector(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  selector: Selector,
  boundFields: ReadonlySet<string>,
): string | Hop[] | undefined {
  const first = selector.path[0]!;
  switch (selector.root) {
    case 'args':
      return field.args.some((a) => a.name === first) ? undefined : `$args.${first}: ${type.name}.${field.name} has no argument "${first}" (arguments: ${field.args.map((a) => a.name).join(', ') || 'none'})`;
    case 'parent': {
      const rootTypes = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
      if (rootTypes.includes(type)) return `$parent is not available on root type ${type.name}`;
      const hops = hopsThrough(type, selector.path, boundFields, '$parent');
      return typeof hops === 'string' || hops.some((h) => h.bound) ? hops : undefined;
    }
    case 'context':
      return (CONTEXT_KEYS as readonly string[]).includes(first) ? undefined : `$context.${first}: expected one of ${CONTEXT_KEYS.join(', ')}`;
    case 'record':
    case 'steps':
      return `$${selector.root} is only available in @fanout`;
  }
}

/**
 * The hops of a selector path through the schema starting at `type`: every hop must be a field of
 * the type reached so far. Returns the problem as a string when one is not.
 */
export function hopsThrough(type: GraphQLObjectType, path: readonly string[], boundFields: ReadonlySet<string>, shown: string): Hop[] | string {
  const hops: Hop[] = [];
  let current: GraphQLObjectType = type;
  for (const [i, name] of path.entries()) {
    const next = current.getFields()[name];
    const so = `${shown}.${path.slice(0, i + 1).join('.')}`;
    if (!next) return `${so}: type ${current.name} has no field "${name}"`;
    hops.push({ typeName: current.name, fieldName: name, bound: boundFields.has(`${current.name}.${name}`) });
    const named = getNamedType(next.type);
    if (i < path.length - 1) {
      if (!isObjectType(named)) return `${so} is a ${named.name}, which has no fields`;
      current = named;
    }
  }
  return hops;
}

type Resolver = GraphQLFieldResolver<unknown, GatewayContext>;

/** Reads a selector path that passes through bound fields, resolving each of them. */
export async function readThroughHops(hops: readonly Hop[], parent: unknown, context: GatewayContext, resolvers: Resolvers): Promise<unknown> {
  let value = parent;
  for (const hop of hops) {
    if (value === null || value === undefined) return undefined;
    const resolve = hop.bound ? (resolvers[hop.typeName]?.[hop.fieldName] as Resolver | undefined) : undefined;
    value = resolve ? await resolve(value, {}, context, undefined as never) : (value as Record<string, unknown>)[hop.fieldName];
  }
  return value;
}

function linkKey(args: Record<string, unknown>): string {
  const values = Object.values(args);
  return values.length === 1 ? String(values[0]) : JSON.stringify(args);
}

function resolverFor(binding: ConnectBinding, resolvers: Resolvers): Resolver {
  const { endpoint, bindings, required, shape, link } = binding;
  const throughBoundFields = bindings.some((b) => 'hops' in b && b.hops);

  /** The endpoint's arguments, waiting for the bound fields a selector reads through. */
  async function argumentsThroughHops(parent: unknown, args: Record<string, unknown>, context: GatewayContext) {
    const scope = { args, parent, context };
    const callArgs: Record<string, unknown> = {};
    for (const b of bindings) {
      if ('literal' in b) callArgs[b.name] = b.literal;
      else callArgs[b.name] = b.hops ? await readThroughHops(b.hops, parent, context, resolvers) : readSelector(b.selector, scope);
    }
    return callArgs;
  }

  /** The endpoint's arguments when every selector reads plain values. */
  function argumentsOf(parent: unknown, args: Record<string, unknown>, context: GatewayContext) {
    const scope = { args, parent, context };
    const callArgs: Record<string, unknown> = {};
    for (const b of bindings) callArgs[b.name] = 'literal' in b ? b.literal : readSelector(b.selector, scope);
    return callArgs;
  }

  async function linked(callArgs: Record<string, unknown>, context: GatewayContext) {
    const key = linkKey(callArgs);
    const known = await context.links.get(link!, key, endpoint.connector);
    if (known !== undefined) return known;
    const found = await context.loaders.load(endpoint, callArgs);
    if (found !== null && found !== undefined) await context.links.set(link!, key, endpoint.connector, String(found));
    return found;
  }

  async function everyPage(callArgs: Record<string, unknown>, context: GatewayContext) {
    const items: unknown[] = [];
    let after: string | null = null;
    for (let n = 0; n < MAX_PAGES; n++) {
      const page = await context.loaders.page(endpoint, callArgs, { first: endpoint.pagination!.maxPageSize ?? 100, after });
      items.push(...page.items);
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
    }
    return items;
  }

  function call(callArgs: Record<string, unknown>, args: Record<string, unknown>, context: GatewayContext): unknown {
    // A parent with no record in this system (no link, no id) has nothing to fetch.
    if (required.some((name) => callArgs[name] === undefined || callArgs[name] === null)) {
      return shape === 'list' ? [] : shape === 'connection' ? emptyConnection() : null;
    }
    switch (shape) {
      case 'single':
        return link ? linked(callArgs, context) : context.loaders.load(endpoint, callArgs);
      case 'connection': {
        const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
        return context.loaders.page(endpoint, callArgs, { first, after: args.after as string | undefined }).then(connectionOf);
      }
      case 'list':
        return endpoint.pagination ? everyPage(callArgs, context) : context.loaders.load(endpoint, callArgs);
    }
  }

  // Resolvers run once per field of every record: only a binding that reads through another
  // bound field waits before calling; the rest hand the loader's promise straight back.
  return throughBoundFields
    ? async (parent, args, context) => call(await argumentsThroughHops(parent, args, context), args, context)
    : (parent, args, context) => call(argumentsOf(parent, args, context), args, context);
}

/**
 * A Relay connection over one page. Edges and startCursor are getters: a cursor is encoded only
 * when the query selects one, and edges are built once however often they are read.
 *
 * Classes, not object literals with `get` accessors: V8 gives every object literal that defines
 * accessors a hidden class of its own, allocated in the old generation, whose accessors hold the
 * closure and through it the whole page. Until the next full collection the young-generation
 * collector then keeps every page ever answered alive and promotes it (measured in isolation:
 * 92 % of what such literals reach survives each scavenge; 0 % with prototype getters).
 */
class PageConnection {
  readonly nodes: unknown[];
  readonly pageInfo: PageInfo;
  private built: Array<{ node: unknown; cursor: string | undefined }> | undefined;

  constructor(private readonly page: Page) {
    this.nodes = page.items;
    this.pageInfo = new PageInfo(page);
  }

  get edges() {
    return (this.built ??= this.page.items.map((node, i) => ({ node, cursor: cursorAt(this.page, i) })));
  }
}

class PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage = false;
  readonly endCursor: string | null;

  constructor(private readonly page: Page) {
    this.hasNextPage = page.hasNextPage;
    this.endCursor = page.endCursor;
  }

  get startCursor() {
    return cursorAt(this.page, 0) ?? null;
  }
}

function connectionOf(page: Page): PageConnection {
  return new PageConnection(page);
}

function emptyConnection() {
  return { edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null, startCursor: null } };
}

/** Resolvers for every `@connect` field; throws ConfigurationError listing every broken binding. */
export function compileConnectBindings(schema: GraphQLSchema, documents: readonly DocumentNode[], connectors: ReadonlyMap<string, NormalizedConnector>): Resolvers {
  const found = fieldsWithDirective(schema, documents, 'connect');
  const boundFields = new Set(found.map((f) => `${f.type.name}.${f.field.name.value}`));
  const problems: string[] = [];
  const resolvers: Resolvers = {};
  for (const { type, field, directive } of found) {
    const binding = checkBinding(schema, type, field, directive, connectors, boundFields, problems);
    if (binding) (resolvers[binding.typeName] ??= {})[binding.fieldName] = resolverFor(binding, resolvers);
  }
  if (problems.length > 0) throw new ConfigurationError(`Broken schema bindings:\n${problems.join('\n')}`);
  return resolvers;
}
