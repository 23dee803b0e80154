/**
 * SQL is written once with PostgreSQL's numbered placeholders (`$1`, `$2`, …). SQLite, as
 * better-sqlite3 binds it, wants anonymous `?` with one value per occurrence, so a statement
 * that uses `$1` twice needs the first value bound twice. `toPositional` rewrites the text and
 * records which parameter feeds each `?`; `bindPositional` builds the value list from it.
 *
 * `$n` inside string literals, quoted identifiers and comments is left alone. Rewrites are cached
 * per SQL text: statements are constants in the engine, so the cache stays small.
 */
export interface PositionalSql {
  readonly sql: string;
  /** Zero-based index into the caller's parameters for each `?`, in order. */
  readonly order: readonly number[];
}

const cache = new Map<string, PositionalSql>();
const CACHE_LIMIT = 500;

export function toPositional(sql: string): PositionalSql {
  const cached = cache.get(sql);
  if (cached) return cached;
  const rewritten = rewrite(sql);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, rewritten);
  return rewritten;
}

export function bindPositional<T>(positional: PositionalSql, params: readonly T[]): T[] {
  return positional.order.map((index) => {
    if (index >= params.length) {
      throw new RangeError(`SQL uses $${index + 1} but only ${params.length} parameter(s) were given: ${positional.sql}`);
    }
    return params[index] as T;
  });
}

function rewrite(sql: string): PositionalSql {
  const order: number[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const skipTo = skipQuotedOrComment(sql, i);
    if (skipTo > i) {
      out += sql.slice(i, skipTo);
      i = skipTo;
      continue;
    }
    if (ch === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j] as string)) j++;
      const n = Number(sql.slice(i + 1, j));
      if (n < 1) throw new RangeError(`SQL placeholders start at $1, got $${n}: ${sql}`);
      order.push(n - 1);
      out += '?';
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return { sql: out, order };
}

/** Index just past the literal, quoted identifier or comment starting at `i`, or `i` when none starts there. */
function skipQuotedOrComment(sql: string, i: number): number {
  const ch = sql[i];
  if (ch === "'" || ch === '"') {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === ch) {
        if (sql[j + 1] === ch) j += 2;
        else return j + 1;
      } else j++;
    }
    return sql.length;
  }
  if (ch === '-' && sql[i + 1] === '-') {
    const end = sql.indexOf('\n', i);
    return end === -1 ? sql.length : end;
  }
  if (ch === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end === -1 ? sql.length : end + 2;
  }
  return i;
}
