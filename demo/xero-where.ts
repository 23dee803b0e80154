/**
 * Xero's `where` filter, the subset integrations use: `Field=="text"`, `Field!=null`,
 * `Contact.ContactID==Guid("…")`, `Date>=DateTime(2026,01,01)`, `Name.Contains("x")`,
 * `.StartsWith(…)`, `.EndsWith(…)`, joined by AND / && / OR / || (AND binds tighter, no
 * parentheses). Strings compare case-insensitively; `/Date(…)/` fields compare as instants.
 */

type Value = string | number | boolean | null;
type Clause = {
  path: string[];
  test: (actual: unknown) => boolean;
  /** For `Field == literal` (not null): the literal as `equalityKey()` spells a value. */
  equals?: string;
};

export type WhereResult = { ok: true; match: (record: Record<string, unknown>) => boolean } | { ok: false; message: string };

const COMPARISON = /^\s*([A-Za-z][\w.]*)\s*(==|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|Guid\("[^"]*"\)|DateTime\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)|-?\d+(?:\.\d+)?|true|false|null)\s*/i;
const METHOD = /^\s*([A-Za-z][\w.]*)\.(Contains|StartsWith|EndsWith)\(\s*("(?:[^"\\]|\\.)*")\s*\)\s*/;
const JOIN = /^\s*(AND|OR|&&|\|\|)\s*/i;

export function parseWhere(where: string, fields: ReadonlySet<string>, typeName: string): WhereResult {
  const groups: Clause[][] = [[]];
  let rest = where.trim();
  while (rest.length > 0) {
    const clause = parseClause(rest);
    if (!clause) return { ok: false, message: `Operator '${rest.slice(0, 20)}' incompatible with operand types or unparsable near '${rest.slice(0, 40)}'` };
    const root = clause.clause.path[0]!;
    if (!fields.has(root)) return { ok: false, message: `No property or field '${root}' exists in type '${typeName}'` };
    groups[groups.length - 1]!.push(clause.clause);
    rest = clause.rest;
    if (rest.length === 0) break;
    const join = JOIN.exec(rest);
    if (!join) return { ok: false, message: `Syntax error near '${rest.slice(0, 40)}'` };
    if (/^(OR|\|\|)$/i.test(join[1]!)) groups.push([]);
    rest = rest.slice(join[0].length);
  }
  return { ok: true, match: lookup(groups) ?? ((record) => groups.some((g) => g.every((c) => c.test(resolve(record, c.path))))) };
}

/**
 * `F=="a" OR F=="b" OR …` (how integrations batch-read by a field): one set lookup per record
 * instead of one comparison per alternative. Same answers as the clauses' own tests: two values
 * compare equal exactly when their keys are the same.
 */
function lookup(groups: Clause[][]): ((record: Record<string, unknown>) => boolean) | undefined {
  const path = groups[0]?.[0]?.path.join('.');
  if (!groups.every((g) => g.length === 1 && g[0]!.equals !== undefined && g[0]!.path.join('.') === path)) return undefined;
  const keys = new Set(groups.map((g) => g[0]!.equals!));
  const at = groups[0]![0]!.path;
  return (record) => {
    const actual = resolve(record, at);
    return actual != null && keys.has(equalityKey(actual));
  };
}

function parseClause(text: string): { clause: Clause; rest: string } | undefined {
  const method = METHOD.exec(text);
  if (method) {
    const needle = literal(method[3]!) as string;
    const fn = method[2]!;
    const test = (actual: unknown) => {
      if (typeof actual !== 'string') return false;
      const a = actual.toLowerCase();
      const n = needle.toLowerCase();
      return fn === 'Contains' ? a.includes(n) : fn === 'StartsWith' ? a.startsWith(n) : a.endsWith(n);
    };
    return { clause: { path: method[1]!.split('.'), test }, rest: text.slice(method[0].length) };
  }
  const m = COMPARISON.exec(text);
  if (!m) return undefined;
  const op = m[2]!;
  const expected = literal(m[3]!);
  const against = expected === null ? null : normalise(expected);
  const test = (actual: unknown) => {
    if (against === null) return op === '==' ? actual == null : op === '!=' ? actual != null : false;
    if (actual == null) return op === '!=';
    const c = compare(normalise(actual), against);
    switch (op) {
      case '==': return c === 0;
      case '!=': return c !== 0;
      case '>': return c > 0;
      case '>=': return c >= 0;
      case '<': return c < 0;
      default: return c <= 0;
    }
  };
  const clause: Clause = { path: m[1]!.split('.'), test };
  if (op === '==' && against !== null) clause.equals = String(against);
  return { clause, rest: text.slice(m[0].length) };
}

/** What `compare` compares when it finds two values equal. */
const equalityKey = (value: unknown): string => String(normalise(value));

function literal(token: string): Value {
  if (token.startsWith('"')) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  const guid = /^Guid\("([^"]*)"\)$/i.exec(token);
  if (guid) return guid[1]!;
  const date = /^DateTime\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/i.exec(token);
  if (date) return Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
  if (/^(true|false)$/i.test(token)) return token.toLowerCase() === 'true';
  if (/^null$/i.test(token)) return null;
  return Number(token);
}

function normalise(value: unknown): string | number | boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = String(value);
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  if (ms) return Number(ms[1]);
  return text.toLowerCase();
}

function compare(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function resolve(record: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = record;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
