import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { InterchangeError } from '../errors.ts';

/**
 * Scalars every connector maps into. Mapping helpers (`connectors/mapping.ts`) already produce
 * the canonical forms; these scalars check input and keep output honest.
 */

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDateTime(value: unknown): string {
  if (typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InterchangeError('BAD_USER_INPUT', `DateTime expects an ISO 8601 date-time with an offset, like 2026-03-01T14:00:00Z, got ${JSON.stringify(value)}`);
}

function checkDate(value: unknown): string {
  if (typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return value;
  throw new InterchangeError('BAD_USER_INPUT', `Date expects a calendar date like 2026-03-01, got ${JSON.stringify(value)}`);
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in ISO 8601 form with a UTC offset, e.g. 2026-03-01T14:00:00Z.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : checkDateTime(value)),
  parseValue: checkDateTime,
  parseLiteral: (ast) => checkDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date in ISO 8601 form, e.g. 2026-03-01.',
  serialize: checkDate,
  parseValue: checkDate,
  parseLiteral: (ast) => checkDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
      return Number.parseInt(ast.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.VARIABLE:
      throw new InterchangeError('BAD_USER_INPUT', 'JSON literals cannot hold variables');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literal,
});

export const scalarResolvers = { DateTime: DateTimeScalar, Date: DateScalar, JSON: JSONScalar };
