import { describe, expect, it } from 'vitest';
import { bindPositional, toPositional } from '../../src/store/placeholders.ts';

describe('numbered placeholders rewritten for SQLite', () => {
  it('turns each $n into ? and binds the value of n at every occurrence', () => {
    const positional = toPositional('SELECT * FROM t WHERE a = $1 OR b = $2 OR c = $1');
    expect(positional.sql).toBe('SELECT * FROM t WHERE a = ? OR b = ? OR c = ?');
    expect(bindPositional(positional, ['x', 'y'])).toEqual(['x', 'y', 'x']);
  });

  it('reads $10 as the tenth parameter, not $1 followed by 0', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    const positional = toPositional('VALUES ($10, $1)');
    expect(bindPositional(positional, params)).toEqual([10, 1]);
  });

  it('leaves $n inside string literals, quoted identifiers and comments alone', () => {
    const positional = toPositional(`SELECT '$1 it''s', "col$2" -- $3\n, $1 /* $4 */`);
    expect(positional.sql).toBe(`SELECT '$1 it''s', "col$2" -- $3\n, ? /* $4 */`);
    expect(positional.order).toEqual([0]);
  });

  it('refuses a statement that uses more parameters than were given, naming the placeholder', () => {
    expect(() => bindPositional(toPositional('SELECT $2'), ['only one'])).toThrow(/\$2 but only 1 parameter/);
  });
});
