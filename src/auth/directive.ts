import { defaultFieldResolver, getNamedType, isObjectType, type GraphQLFieldConfig, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { MapperKind, getDirective, mapSchema } from '@graphql-tools/utils';
import { InterchangeError } from '../errors.ts';
import type { GatewayContext } from '../schema/context.ts';

/**
 * `@auth(scopes: [...])` on a field or an object type: the caller needs every listed scope.
 * Checked when the field resolves, so a field the caller may not see is FORBIDDEN on its own,
 * with the rest of the answer intact (the field is nulled; a non-null field nulls its parent,
 * as GraphQL prescribes). A caller with no identity at all gets UNAUTHENTICATED.
 *
 * On a Subscription field the check also runs in `subscribe`, so a caller without the scope is
 * refused when subscribing — before any event source is opened — and not only per event.
 */
export function applyAuthDirective(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field: GraphQLFieldConfig<unknown, GatewayContext>, _fieldName, typeName) => {
      const onField = getDirective(schema, field, 'auth')?.[0]?.scopes as string[] | undefined;
      const type = schema.getType(typeName);
      const onType = type && isObjectType(type) ? (getDirective(schema, type, 'auth')?.[0]?.scopes as string[] | undefined) : undefined;
      const returned = getNamedType(field.type);
      const onReturnedType = isObjectType(returned) ? (getDirective(schema, returned, 'auth')?.[0]?.scopes as string[] | undefined) : undefined;
      const required = [...new Set([...(onField ?? []), ...(onType ?? []), ...(onReturnedType ?? [])])];
      if (required.length === 0) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      const subscribe = field.subscribe;
      return {
        ...field,
        resolve(source, args, context, info) {
          checkScopes(required, context, info);
          return resolve(source, args, context, info);
        },
        ...(subscribe
          ? {
              subscribe(source: unknown, args: Record<string, unknown>, context: GatewayContext, info: GraphQLResolveInfo) {
                checkScopes(required, context, info);
                return subscribe(source, args, context, info);
              },
            }
          : {}),
      };
    },
  });
}

function checkScopes(required: readonly string[], context: GatewayContext, info: GraphQLResolveInfo): void {
  const principal = context.principal;
  if (!principal) throw new InterchangeError('UNAUTHENTICATED', `${info.parentType.name}.${info.fieldName} needs a signed-in caller with scope ${required.join(', ')}`);
  const missing = required.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) throw new InterchangeError('FORBIDDEN', `${info.parentType.name}.${info.fieldName} needs scope ${missing.join(', ')}`);
}

/** Every scope some `@auth` in the schema asks for (what a development token carries). */
export function declaredScopes(schema: GraphQLSchema): string[] {
  const scopes = new Set<string>();
  const add = (node: Parameters<typeof getDirective>[1]) => {
    for (const scope of (getDirective(schema, node, 'auth')?.[0]?.scopes as string[] | undefined) ?? []) scopes.add(scope);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    add(type);
    for (const field of Object.values(type.getFields())) add(field);
  }
  return [...scopes].sort();
}
