import {
  getNamedType,
  getNullableType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import { ConfigurationError, InterchangeError } from '../errors.ts';
import type { EventFeed } from '../events/feed.ts';
import type { LoggedEvent } from '../events/types.ts';
import { where } from './load.ts';
import { JSONScalar } from './scalars.ts';

/**
 * Compiles `@event(from: [...], filter: {...})` on Subscription fields into subscribe/resolve
 * pairs over the event feed. Checked at start-up, all problems at once, each with file and line:
 * every Subscription field has a binding; every `from` entry (`order.created`, or
 * `shop:order.created` for one connector's) is a type some connector declares in its `webhooks`
 * or `poll` section; every `filter` key is an argument of the field and every value a path into
 * the event (`subject.id`, `data.customerId`, `type`, `source`).
 *
 * At run time an event reaches a subscriber when its source and type match `from` and, for each
 * filter argument the subscriber gave, the event's value at the path equals it (or, for a list,
 * contains it). An argument not given does not filter. `after: ID` is the resume cursor.
 */

type SubscriptionResolvers = Record<string, { subscribe: (root: unknown, args: Record<string, unknown>) => AsyncIterableIterator<LoggedEvent>; resolve: (event: LoggedEvent) => unknown }>;

interface EventBinding {
  fieldName: string;
  typeName: string;
  /** `connector:type` pairs and connector-less types. */
  qualified: ReadonlySet<string>;
  anySource: ReadonlySet<string>;
  filter: ReadonlyArray<{ arg: string; path: readonly string[] }>;
}

const FROM = /^(?:([a-z][a-z0-9]*):)?([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+)$/;
const PATH = /^(?:type|source|subject\.(?:type|id)|data(?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/;
const CURSOR = /^\d{1,15}$/;

function declaredTypes(connector: NormalizedConnector): Set<string> {
  return new Set([...(connector.webhooks?.types ?? []), ...(connector.poll?.types ?? [])]);
}

function stringList(node: ValueNode | undefined): string[] | undefined {
  if (node?.kind === Kind.STRING) return [node.value];
  if (node?.kind !== Kind.LIST) return undefined;
  const values = node.values.map((v) => (v.kind === Kind.STRING ? v.value : undefined));
  return values.every((v) => v !== undefined) ? (values as string[]) : undefined;
}

function checkFrom(entries: readonly string[], connectors: ReadonlyMap<string, NormalizedConnector>, at: string, problems: string[]) {
  const qualified = new Set<string>();
  const anySource = new Set<string>();
  const everywhere = new Set([...connectors.values()].flatMap((c) => [...declaredTypes(c)]));
  for (const entry of entries) {
    const match = FROM.exec(entry);
    if (!match) {
      problems.push(`${at}: from: expected "type" or "connector:type" like "shop:order.created", got ${JSON.stringify(entry)}`);
      continue;
    }
    const [, connectorName, type] = match as unknown as [string, string | undefined, string];
    if (connectorName === undefined) {
      if (!everywhere.has(type)) problems.push(`${at}: from: no connector emits "${type}" (declared: ${[...everywhere].sort().join(', ') || 'none'})`);
      anySource.add(type);
      continue;
    }
    const connector = connectors.get(connectorName);
    if (!connector) problems.push(`${at}: from: no connector "${connectorName}" (connectors: ${[...connectors.keys()].join(', ') || 'none'})`);
    else if (!declaredTypes(connector).has(type)) {
      problems.push(`${at}: from: connector "${connectorName}" emits no "${type}" (it emits: ${[...declaredTypes(connector)].join(', ') || 'nothing'})`);
    }
    qualified.add(`${connectorName}:${type}`);
  }
  return { qualified, anySource };
}

function checkFilter(directive: DirectiveNode, field: GraphQLField<unknown, unknown>, at: string, problems: string[]): EventBinding['filter'] {
  const node = directive.arguments?.find((a) => a.name.value === 'filter')?.value;
  if (!node) return [];
  const given = JSONScalar.parseLiteral(node, {}) as unknown;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    problems.push(`${at}: filter: expected an object like { customerId: "data.customerId" }`);
    return [];
  }
  const filter: Array<{ arg: string; path: string[] }> = [];
  for (const [arg, path] of Object.entries(given)) {
    if (arg === 'after' || !field.args.some((a) => a.name === arg)) {
      problems.push(`${at}: filter.${arg}: ${field.name} has no argument "${arg}" to filter by (arguments: ${field.args.map((a) => a.name).filter((n) => n !== 'after').join(', ') || 'none'})`);
    } else if (typeof path !== 'string' || !PATH.test(path)) {
      problems.push(`${at}: filter.${arg}: expected a path into the event (type, source, subject.id, subject.type, data.<field>), got ${JSON.stringify(path)}`);
    } else filter.push({ arg, path: path.split('.') });
  }
  return filter;
}

function checkBinding(
  schema: GraphQLSchema,
  node: FieldDefinitionNode,
  directive: DirectiveNode,
  connectors: ReadonlyMap<string, NormalizedConnector>,
  problems: string[],
): EventBinding | undefined {
  const field = schema.getSubscriptionType()!.getFields()[node.name.value]!;
  const at = `${where(directive)}: Subscription.${field.name} @event`;
  const from = stringList(directive.arguments?.find((a) => a.name.value === 'from')?.value);
  if (!from || from.length === 0) {
    problems.push(`${at}: from: expected a list of event types like ["shop:order.created"]`);
    return undefined;
  }
  const { qualified, anySource } = checkFrom(from, connectors, at, problems);
  const filter = checkFilter(directive, field, at, problems);
  const after = field.args.find((a) => a.name === 'after');
  if (after && !['ID', 'String'].includes(getNullableType(after.type).toString())) {
    problems.push(`${at}: argument "after" is the resume cursor and must be ID or String, got ${after.type.toString()}`);
  }
  const returned = getNullableType(field.type);
  if (!isObjectType(returned)) {
    problems.push(`${at}: expected the field to return one event object type, got ${field.type.toString()}`);
    return undefined;
  }
  return { fieldName: field.name, typeName: getNamedType(returned).name, qualified, anySource, filter };
}

function read(event: LoggedEvent, path: readonly string[]): unknown {
  let value: unknown = path[0] === 'source' ? event.connector : event;
  for (const key of path[0] === 'source' ? [] : path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function matcher(binding: EventBinding, args: Record<string, unknown>): (event: LoggedEvent) => boolean {
  const wanted = binding.filter.flatMap(({ arg, path }) => (args[arg] === undefined || args[arg] === null ? [] : [{ path, value: String(args[arg]) }]));
  return (event) => {
    if (!binding.qualified.has(`${event.connector}:${event.type}`) && !binding.anySource.has(event.type)) return false;
    return wanted.every(({ path, value }) => {
      const have = read(event, path);
      return Array.isArray(have) ? have.some((v) => String(v) === value) : have !== undefined && have !== null && String(have) === value;
    });
  };
}

function cursor(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && CURSOR.test(value)) return Number(value);
  throw new InterchangeError('BAD_USER_INPUT', `after: expected the cursor of an event this gateway sent, got ${JSON.stringify(value)}`);
}

/** What a subscriber receives for one logged event; the event type's fields read from it. */
export function eventObject(event: LoggedEvent, typeName: string): Record<string, unknown> {
  return {
    __typename: typeName,
    cursor: String(event.seq),
    eventId: event.id,
    type: event.type,
    source: event.connector,
    occurredAt: new Date(event.occurredAt).toISOString(),
    receivedAt: new Date(event.receivedAt).toISOString(),
    subject: event.subject,
    data: event.data,
  };
}

function resolversFor(binding: EventBinding, feed: EventFeed | undefined): SubscriptionResolvers[string] {
  return {
    // The SSE route passes `Last-Event-ID` as the root value's `resumeAfter`.
    subscribe: (root, args) => {
      if (!feed) throw new InterchangeError('INTERNAL_SERVER_ERROR', 'subscriptions are not running in this gateway');
      const after = cursor(args.after ?? (root as { resumeAfter?: unknown } | undefined)?.resumeAfter);
      return feed.subscribe({ match: matcher(binding, args), after });
    },
    resolve: (event) => eventObject(event, binding.typeName),
  };
}

/** Subscription resolvers for every `@event` field; throws ConfigurationError listing every broken binding. */
export function compileEventBindings(
  schema: GraphQLSchema,
  documents: readonly DocumentNode[],
  connectors: ReadonlyMap<string, NormalizedConnector>,
  feed: EventFeed | undefined,
): Record<string, object> {
  const subscriptionType = schema.getSubscriptionType();
  const problems: string[] = [];
  const resolvers: SubscriptionResolvers = {};
  for (const definition of documents.flatMap((d) => d.definitions)) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const isSubscription = definition.name.value === subscriptionType?.name;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'event');
      if (!isSubscription) {
        if (directive) problems.push(`${where(directive)}: ${definition.name.value}.${field.name.value} @event: only fields of the Subscription type can be bound to events`);
        continue;
      }
      if (!directive) {
        problems.push(`${where(field)}: Subscription.${field.name.value}: expected @event(from: [...]) naming the events that feed it`);
        continue;
      }
      const binding = checkBinding(schema, field, directive, connectors, problems);
      if (binding) resolvers[binding.fieldName] = resolversFor(binding, feed);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(`Broken event bindings:\n${problems.join('\n')}`);
  if (!subscriptionType) return {};
  // An interface the event types share (ChangeEvent) is resolved by the `__typename` each event object carries.
  const interfaces: Record<string, { __resolveType: (value: { __typename?: string }) => string | undefined }> = {};
  for (const name of new Set(Object.values(subscriptionType.getFields()).map((f) => getNamedType(f.type).name))) {
    const type = schema.getType(name);
    if (!isObjectType(type)) continue;
    for (const iface of type.getInterfaces()) interfaces[iface.name] = { __resolveType: (value) => value.__typename };
  }
  return { ...interfaces, [subscriptionType.name]: resolvers };
}
