import type { z } from 'zod';

/**
 * The drift check on every record, without building zod's parsed copy of it. zod's `safeParse`
 * returns a new object per record, which the gateway throws away: on a page of 50 orders that is
 * most of what the check allocates. For the plain shapes vendor responses are described with
 * (objects that allow extra keys, strings, finite numbers, booleans, null, optional, nullable,
 * arrays, unions, enums, literals, string records, dates as ISO strings) this walks the value
 * and answers exactly what zod would. Anything else (refinements, length checks, transforms,
 * strict objects, other formats) has no fast form: `compileShapeCheck` returns undefined and zod
 * checks that schema. A record the fast form refuses is handed to zod too, for its message.
 */

type Check = (value: unknown) => boolean;

/** Formats whose whole test is the pattern zod keeps in the definition. */
const PATTERN_FORMATS = new Set(['datetime', 'date', 'time']);

interface Def {
  type: string;
  checks?: unknown[];
  format?: string;
  pattern?: RegExp;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  discriminator?: string;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function compileShapeCheck(schema: z.ZodType): Check | undefined {
  const def = defOf(schema);
  if (def.checks?.length) return undefined;
  switch (def.type) {
    case 'any':
    case 'unknown':
      return () => true;
    case 'string': {
      if (def.format === undefined) return (v) => typeof v === 'string';
      const pattern = def.pattern;
      if (!PATTERN_FORMATS.has(def.format) || !(pattern instanceof RegExp) || pattern.global || pattern.sticky) return undefined;
      return (v) => typeof v === 'string' && pattern.test(v);
    }
    case 'number':
      return def.format === undefined ? (v) => typeof v === 'number' && Number.isFinite(v) : undefined;
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'undefined':
      return (v) => v === undefined;
    case 'optional': {
      const inner = compileShapeCheck(def.innerType!);
      return inner && ((v) => v === undefined || inner(v));
    }
    case 'nullable': {
      const inner = compileShapeCheck(def.innerType!);
      return inner && ((v) => v === null || inner(v));
    }
    case 'array': {
      const element = compileShapeCheck(def.element!);
      return element && ((v) => Array.isArray(v) && v.every(element));
    }
    case 'union': {
      if (def.discriminator !== undefined) return undefined;
      const options = def.options!.map(compileShapeCheck);
      if (options.some((o) => o === undefined)) return undefined;
      return (v) => options.some((option) => option!(v));
    }
    case 'enum':
    case 'literal': {
      // zod's own set of the allowed values (for an enum, without a numeric enum's reverse keys).
      const allowed = (schema as unknown as { _zod: { values?: unknown } })._zod.values;
      return allowed instanceof Set ? (v) => allowed.has(v) : undefined;
    }
    case 'record': {
      const key = defOf(def.keyType!);
      const value = compileShapeCheck(def.valueType!);
      if (key.type !== 'string' || key.checks?.length || key.format !== undefined || !value) return undefined;
      return (v) => isPlainObject(v) && Object.values(v).every(value);
    }
    case 'object': {
      // No catchall: extra keys are dropped, so accepted; `looseObject` accepts them too.
      const extra = def.catchall && defOf(def.catchall).type;
      if (extra !== undefined && extra !== 'unknown' && extra !== 'any') return undefined;
      const fields: Array<[string, Check]> = [];
      for (const [name, field] of Object.entries(def.shape!)) {
        const check = compileShapeCheck(field);
        if (!check) return undefined;
        fields.push([name, check]);
      }
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const [name, check] of fields) if (!check(v[name])) return false;
        return true;
      };
    }
    default:
      return undefined;
  }
}
