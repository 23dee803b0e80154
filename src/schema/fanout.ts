import { isObjectType, type DirectiveNode, type DocumentNode, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { NormalizedConnector, NormalizedEndpoint } from '../connectors/normalize.ts';
import { ConfigurationError, InterchangeError } from '../errors.ts';
import type { WriteStepPlan } from '../writes/types.ts';
import { CONTEXT_KEYS, directiveArgument, hopsThrough, readThroughHops, type Hop, type Resolvers } from './bind.ts';
import type { GatewayContext } from './context.ts';
import { fieldsWithDirective, where } from './load.ts';
import { JSONScalar } from './scalars.ts';
import { parseSelector, readSelector, type Selector } from './selectors.ts';
import { toWriteOperation } from './writes.ts';

/**
 * Compiles `@fanout(to: [...], record: {...})` on mutation fields. Each entry of `to` is one
 * write to one system: `{ step, to: "connector.endpoint", args, after?, compensate?, maxAttempts? }`.
 * `record` names the record the mutation is about (`{ to, args, type }`), read before planning so
 * steps can use `$record.links.pms` and the like.
 *
 * What the resolver guarantees: the arguments of every step are checked (each endpoint's
 * `input` schema) before anything is written, so bad input is BAD_USER_INPUT naming the field
 * and leaves no trace; a step whose target the record is not linked in (a required argument is
 * missing) is left out, with the steps after it; the plan commits to the outbox before the
 * client hears anything.
 */

type Value = { literal: unknown } | { selector: Selector; hops?: Hop[] } | { object: Record<string, Value> } | { list: Value[] };

interface StepBinding {
  name: string;
  endpoint: NormalizedEndpoint;
  args: Record<string, Value>;
  after: string[];
  maxAttempts: number | undefined;
  compensate: { endpoint: NormalizedEndpoint; args: Record<string, Value> } | undefined;
}

interface FanoutBinding {
  mutation: string;
  record: { endpoint: NormalizedEndpoint; args: Record<string, Value>; type: string } | undefined;
  steps: StepBinding[];
}

interface Scope {
  args: Record<string, unknown>;
  context: GatewayContext;
  record: unknown;
}

async function evaluate(value: Value, scope: Scope, resolvers: Resolvers): Promise<unknown> {
  if ('literal' in value) return value.literal;
  if ('list' in value) return Promise.all(value.list.map((v) => evaluate(v, scope, resolvers)));
  if ('object' in value) {
    const entries = await Promise.all(Object.entries(value.object).map(async ([k, v]) => [k, await evaluate(v, scope, resolvers)] as const));
    return Object.fromEntries(entries);
  }
  if (value.hops) return readThroughHops(value.hops, scope.record, scope.context, resolvers);
  return readSelector(value.selector, scope);
}

class Compiler {
  problems: string[] = [];
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly connectors: ReadonlyMap<string, NormalizedConnector>,
    private readonly boundFields: ReadonlySet<string>,
  ) {}

  endpoint(at: string, reference: unknown): NormalizedEndpoint | undefined {
    const [connector, name] = typeof reference === 'string' ? reference.split('.') : [];
    const endpoint = this.connectors.get(connector ?? '')?.endpoints[name ?? ''];
    if (!endpoint) this.problems.push(`${at}: "to" must name an existing "connector.endpoint", got ${JSON.stringify(reference)}`);
    return endpoint;
  }

  value(at: string, raw: unknown, ctx: { field: string; argNames: string[]; recordType?: GraphQLObjectType; steps: string[] }): Value {
    if (Array.isArray(raw)) return { list: raw.map((r) => this.value(at, r, ctx)) };
    if (raw && typeof raw === 'object') return { object: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.value(`${at}.${k}`, v, ctx)])) };
    const parsed = parseSelector(raw);
    if ('error' in parsed) this.problems.push(`${at}: ${parsed.error}`);
    if (!('selector' in parsed)) return { literal: 'literal' in parsed ? parsed.literal : null };
    const { selector } = parsed;
    const first = selector.path[0]!;
    switch (selector.root) {
      case 'args':
        if (!ctx.argNames.includes(first)) this.problems.push(`${at}: $args.${first}: ${ctx.field} has no argument "${first}"`);
        return { selector };
      case 'context':
        if (!(CONTEXT_KEYS as readonly string[]).includes(first)) this.problems.push(`${at}: $context.${first}: expected one of ${CONTEXT_KEYS.join(', ')}`);
        return { selector };
      case 'record': {
        if (!ctx.recordType) {
          this.problems.push(`${at}: $record needs a "record" on the @fanout`);
          return { selector };
        }
        const hops = hopsThrough(ctx.recordType, selector.path, this.boundFields, '$record');
        if (typeof hops === 'string') this.problems.push(`${at}: ${hops}`);
        return typeof hops === 'string' ? { selector } : { selector, hops };
      }
      case 'steps':
        if (!ctx.steps.includes(first) || !['externalId', 'result'].includes(selector.path[1] ?? '')) {
          this.problems.push(`${at}: $steps.${selector.path.join('.')}: expected $steps.<one of ${ctx.steps.join(', ') || 'no steps'}>.externalId or .result.<field>`);
        }
        return { selector };
      case 'parent':
        this.problems.push(`${at}: $parent is not available on a mutation`);
        return { selector };
    }
  }

  args(at: string, endpoint: NormalizedEndpoint, raw: unknown, ctx: Parameters<Compiler['value']>[2]): Record<string, Value> {
    const given = (raw ?? {}) as Record<string, unknown>;
    const declared = new Set(endpoint.args.map((a) => a.name));
    for (const name of Object.keys(given)) if (!declared.has(name)) this.problems.push(`${at}: ${endpoint.connector}.${endpoint.name} takes no argument "${name}"`);
    for (const a of endpoint.args) if (a.required && !(a.name in given)) this.problems.push(`${at}: ${endpoint.connector}.${endpoint.name} requires argument "${a.name}"`);
    return Object.fromEntries(Object.entries(given).map(([k, v]) => [k, this.value(`${at}.args.${k}`, v, ctx)]));
  }

  fanout(type: GraphQLObjectType, fieldName: string, directive: DirectiveNode): FanoutBinding {
    const at = `${where(directive)}: ${type.name}.${fieldName} @fanout`;
    const field = type.getFields()[fieldName]!;
    const argNames = field.args.map((a) => a.name);
    const recordNode = directiveArgument(directive, 'record');
    let record: FanoutBinding['record'];
    let recordType: GraphQLObjectType | undefined;
    if (recordNode) {
      const raw = JSONScalar.parseLiteral(recordNode, {}) as { to?: unknown; args?: unknown; type?: unknown };
      const named = typeof raw.type === 'string' ? this.schema.getType(raw.type) : undefined;
      if (!isObjectType(named)) this.problems.push(`${at}: record.type must name an object type, got ${JSON.stringify(raw.type)}`);
      else recordType = named;
      const endpoint = this.endpoint(`${at}: record`, raw.to);
      if (endpoint && recordType) record = { endpoint, type: recordType.name, args: this.args(`${at}: record`, endpoint, raw.args, { field: fieldName, argNames, steps: [] }) };
    }
    const toNode = directiveArgument(directive, 'to');
    const entries = (toNode ? JSONScalar.parseLiteral(toNode, {}) : []) as Array<Record<string, unknown>>;
    const steps: StepBinding[] = [];
    for (const [i, entry] of entries.entries()) {
      const here = `${at}: to[${i}]`;
      const name = typeof entry.step === 'string' ? entry.step : `step${i + 1}`;
      const after = Array.isArray(entry.after) ? entry.after.map(String) : [];
      for (const a of after) if (!steps.some((s) => s.name === a)) this.problems.push(`${here}: after names "${a}", which is not a step declared before it`);
      const endpoint = this.endpoint(here, entry.to);
      if (!endpoint) continue;
      const ctx = { field: fieldName, argNames, recordType, steps: after };
      const comp = entry.compensate as { to?: unknown; args?: unknown } | undefined;
      const compEndpoint = comp ? this.endpoint(`${here}.compensate`, comp.to) : undefined;
      if (compEndpoint && compEndpoint.connector !== endpoint.connector) this.problems.push(`${here}.compensate: must undo on the same connector (${endpoint.connector})`);
      steps.push({
        name,
        endpoint,
        after,
        maxAttempts: typeof entry.maxAttempts === 'number' ? entry.maxAttempts : undefined,
        args: this.args(here, endpoint, entry.args, ctx),
        compensate: compEndpoint && { endpoint: compEndpoint, args: this.args(`${here}.compensate`, compEndpoint, comp!.args, { ...ctx, steps: [name] }) },
      });
    }
    if (steps.length === 0) this.problems.push(`${at}: "to" lists no writes`);
    return { mutation: fieldName, record, steps };
  }
}

function checkInput(step: StepBinding, args: Record<string, unknown>): void {
  const checked = step.endpoint.input?.safeParse(args);
  if (checked && !checked.success) {
    const issue = checked.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw new InterchangeError('BAD_USER_INPUT', `${field || 'input'}: ${issue.message}`);
  }
}

function resolverFor(binding: FanoutBinding, resolvers: Resolvers) {
  return async (_parent: unknown, args: Record<string, unknown>, context: GatewayContext) => {
    const scope: Scope = { args, context, record: undefined };
    if (binding.record) {
      const recordArgs = (await evaluate({ object: binding.record.args }, scope, resolvers)) as Record<string, unknown>;
      scope.record = await context.loaders.load(binding.record.endpoint, recordArgs);
      if (scope.record === null || scope.record === undefined) throw new InterchangeError('NOT_FOUND', `No ${binding.record.type} matches ${JSON.stringify(recordArgs)}`);
    }
    const steps: WriteStepPlan[] = [];
    const skipped = new Set<string>();
    for (const step of binding.steps) {
      const stepArgs = (await evaluate({ object: step.args }, scope, resolvers)) as Record<string, unknown>;
      const missing = step.endpoint.args.some((a) => a.required && (stepArgs[a.name] === undefined || stepArgs[a.name] === null));
      if (missing || step.after.some((a) => skipped.has(a))) {
        skipped.add(step.name);
        continue;
      }
      checkInput(step, stepArgs);
      steps.push({
        name: step.name,
        connector: step.endpoint.connector,
        endpoint: step.endpoint.name,
        args: stepArgs,
        dependsOn: step.after,
        maxAttempts: step.maxAttempts,
        compensate: step.compensate && { endpoint: step.compensate.endpoint.name, args: (await evaluate({ object: step.compensate.args }, scope, resolvers)) as Record<string, unknown> },
      });
    }
    if (steps.length === 0) throw new InterchangeError('BAD_USER_INPUT', `${binding.mutation}: no system has a record to write to`);
    const idempotencyKey = context.idempotencyKey ?? (typeof args.idempotencyKey === 'string' ? args.idempotencyKey : undefined);
    const operation = await context.writes.enqueue({ mutation: binding.mutation, idempotencyKey, input: args, steps });
    return toWriteOperation(operation);
  };
}

/** Resolvers for every `@fanout` mutation; throws ConfigurationError listing every broken plan. */
export function compileFanoutBindings(
  schema: GraphQLSchema,
  documents: readonly DocumentNode[],
  connectors: ReadonlyMap<string, NormalizedConnector>,
  resolvers: Resolvers,
): Resolvers {
  const boundFields = new Set(Object.entries(resolvers).flatMap(([type, fields]) => Object.keys(fields).map((f) => `${type}.${f}`)));
  const compiler = new Compiler(schema, connectors, boundFields);
  const compiled: Resolvers = {};
  for (const { type, field, directive } of fieldsWithDirective(schema, documents, 'fanout')) {
    if (type !== schema.getMutationType()) {
      compiler.problems.push(`${where(directive)}: @fanout belongs on Mutation fields, not ${type.name}.${field.name.value}`);
      continue;
    }
    (compiled[type.name] ??= {})[field.name.value] = resolverFor(compiler.fanout(type, field.name.value, directive), resolvers) as never;
  }
  if (compiler.problems.length > 0) throw new ConfigurationError(`Broken @fanout plans:\n${compiler.problems.join('\n')}`);
  return compiled;
}
