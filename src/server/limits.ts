import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { HeaderMap, type ApolloServerPlugin, type BaseContext } from '@apollo/server';

/**
 * How much one request may ask for. Every limit is checked before execution starts, so a
 * refused operation never reaches a backend, and each refusal is a 400 whose message names
 * the limit (and the variable that sets it). Tokens are counted by graphql-js's parser
 * (Apollo's `parseOptions.maxTokens`, which answers 400 — unlike graphql-armor's, which answers
 * 500); depth, aliases and directives are validation rules, so Apollo caches the verdict with
 * the document; cost depends on variables (`first: $n`), so it is computed per request once the
 * operation is resolved.
 *
 * Introspection fields (`__schema`, `__type`, `__typename`) are free and not counted for depth:
 * Sandbox's own introspection query nests `ofType` a dozen levels deep, and whether
 * introspection is allowed at all is a separate switch.
 */

export interface QueryLimits {
  /** Deepest field nesting, the root field being 1. `QUERY_MAX_DEPTH`. */
  maxDepth: number;
  /** Aliased fields in one document. `QUERY_MAX_ALIASES`. */
  maxAliases: number;
  /** Directive uses in one document. `QUERY_MAX_DIRECTIVES`. */
  maxDirectives: number;
  /** Lexical tokens in one document. `QUERY_MAX_TOKENS`. */
  maxTokens: number;
  /** Estimated fields resolved, list sizes multiplied through. `QUERY_MAX_COST`. */
  maxCost: number;
  /** Items assumed for a list field with no `first`/`last`/`limit` argument. `QUERY_DEFAULT_LIST_SIZE`. */
  defaultListSize: number;
  /** Operations in one HTTP request; 1 turns batching off. `QUERY_MAX_BATCH`. */
  maxBatch: number;
}

const SIZE_ARGUMENTS = ['first', 'last', 'limit', 'pageSize', 'take'];

function limitError(message: string, nodes?: readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, { ...(nodes ? { nodes } : {}), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

const isIntrospection = (node: FieldNode) => node.name.value.startsWith('__');

/**
 * Depth of a selection set; fragments are measured once each (memoised), so a document that
 * spreads one fragment a thousand times costs a thousand lookups, not a thousand walks, and a
 * fragment cycle (refused by NoFragmentCyclesRule, which runs alongside) ends the walk.
 */
function depthOf(set: SelectionSetNode | undefined, fragment: (name: string) => FragmentDefinitionNode | undefined, memo: Map<string, number>): number {
  if (!set) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) depth = isIntrospection(selection) ? 0 : 1 + depthOf(selection.selectionSet, fragment, memo);
    else if (selection.kind === Kind.INLINE_FRAGMENT) depth = depthOf(selection.selectionSet, fragment, memo);
    else {
      const name = selection.name.value;
      if (!memo.has(name)) {
        memo.set(name, 0);
        memo.set(name, depthOf(fragment(name)?.selectionSet, fragment, memo));
      }
      depth = memo.get(name)!;
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

function depthRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const memo = new Map<string, number>();
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, (name) => context.getFragment(name) ?? undefined, memo);
        if (depth > max) context.reportError(limitError(`Query depth ${depth} exceeds the limit of ${max} (QUERY_MAX_DEPTH)`, [node]));
      },
    };
  };
}

/** Counts the nodes `counted` accepts in the whole document and reports once, at its end. */
function countRule(counted: (node: ASTNode) => boolean, max: number, describe: (count: number) => string): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    return {
      enter(node) {
        if (counted(node)) count++;
      },
      leave(node) {
        if (node.kind === Kind.DOCUMENT && count > max) context.reportError(limitError(describe(count), [node]));
      },
    };
  };
}

/** The validation rules for the static limits, to run alongside graphql-js's specified rules. */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  return [
    depthRule(limits.maxDepth),
    countRule((node) => node.kind === Kind.FIELD && node.alias !== undefined, limits.maxAliases, (n) => `Query has ${n} aliases, over the limit of ${limits.maxAliases} (QUERY_MAX_ALIASES)`),
    countRule((node) => node.kind === Kind.DIRECTIVE, limits.maxDirectives, (n) => `Query has ${n} directives, over the limit of ${limits.maxDirectives} (QUERY_MAX_DIRECTIVES)`),
  ];
}

interface CostWalk {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  defaultListSize: number;
  memo: Map<string, number>;
}

function sizeArgument(node: FieldNode, field: GraphQLField<unknown, unknown>, variables: Readonly<Record<string, unknown>>): number | undefined {
  for (const name of SIZE_ARGUMENTS) {
    const definition = field.args.find((a) => a.name === name);
    if (!definition) continue;
    const given = node.arguments?.find((a) => a.name.value === name)?.value;
    let value: unknown = definition.defaultValue;
    if (given?.kind === Kind.INT) value = Number(given.value);
    else if (given?.kind === Kind.VARIABLE) value = variables[given.name.value] ?? definition.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * Estimated fields resolved under `set`: each field costs 1 plus its children, times the size of
 * the list it returns. A sized field that is not itself a list (a connection: `orders(first: 50)
 * { nodes { … } }`) hands its size to the lists directly under it (`nodes`, `edges`), so a page
 * is counted once, not twice.
 */
function costOf(walk: CostWalk, set: SelectionSetNode | undefined, type: GraphQLNamedType, handedSize: number | undefined): number {
  if (!set) return 0;
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (isIntrospection(selection) || !(isObjectType(type) || isInterfaceType(type))) continue;
      const field = type.getFields()[selection.name.value];
      if (!field) continue;
      const size = sizeArgument(selection, field, walk.variables);
      const list = isListType(getNullableType(field.type));
      const children = costOf(walk, selection.selectionSet, getNamedType(field.type), list ? undefined : size);
      total += (list ? (size ?? handedSize ?? walk.defaultListSize) : 1) * (1 + children);
    } else {
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? walk.fragments.get(selection.name.value) : selection;
      const condition = fragment?.typeCondition ? walk.schema.getType(fragment.typeCondition.name.value) : type;
      if (!fragment || !condition) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += costOf(walk, fragment.selectionSet, condition, handedSize);
        continue;
      }
      const key = `${selection.name.value}:${handedSize ?? ''}`;
      if (!walk.memo.has(key)) {
        walk.memo.set(key, 0);
        walk.memo.set(key, costOf(walk, fragment.selectionSet, condition, handedSize));
      }
      total += walk.memo.get(key)!;
    }
  }
  return total;
}

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  defaultListSize: number,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return costOf({ schema, fragments, variables: variables ?? {}, defaultListSize, memo: new Map() }, operation.selectionSet, root, undefined);
}

function costError(cost: number, limits: QueryLimits): GraphQLError | undefined {
  if (cost <= limits.maxCost) return undefined;
  return limitError(`Query cost ${cost} exceeds the limit of ${limits.maxCost} (QUERY_MAX_COST; lists count ${limits.defaultListSize} items unless sized by first/last/limit)`);
}

/** Refuses an over-cost operation once Apollo has resolved it, before execution: 400. */
export function costPlugin(limits: QueryLimits): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const error = costError(operationCost(schema, document, request.operationName, request.variables, limits.defaultListSize), limits);
          // Apollo answers 500 for an error thrown here unless the error names its status.
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400, headers: new HeaderMap() } } });
        },
      };
    },
  };
}

/**
 * The same checks for an operation arriving over graphql-ws, where Apollo's pipeline does not
 * run: parse with the token limit, validate with the specified rules and the limits (and without
 * introspection when it is off), then cost. Returns execution arguments (graphql-ws fills in the
 * context) or the errors to send back.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  payload: { query: string; operationName?: string | null | undefined; variables?: Record<string, unknown> | null | undefined },
  limits: QueryLimits,
  introspection: boolean,
): ExecutionArgs | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed')];
  }
  const rules = [...specifiedRules, ...limitRules(limits), ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const errors = validate(schema, document, rules);
  if (errors.length > 0) return errors;
  const cost = costError(operationCost(schema, document, payload.operationName, payload.variables, limits.defaultListSize), limits);
  if (cost) return [cost];
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
