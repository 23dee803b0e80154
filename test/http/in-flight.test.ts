import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/http/in-flight.ts';

describe('the in-flight table', () => {
  it('finds an entry until it is deleted, and only that entry goes', () => {
    const table = new InFlight<string, Promise<number>>();
    const a = Promise.resolve(1);
    const b = Promise.resolve(2);
    table.set('a', a);
    table.set('b', b);
    expect(table.get('a')).toBe(a);
    table.delete('a');
    expect(table.get('a')).toBeUndefined();
    expect(table.get('b')).toBe(b);
  });

  it('keeps working after it has emptied and replaced its table', () => {
    const table = new InFlight<number, string>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) table.set(i, `value ${round}.${i}`);
      expect(table.get(42)).toBe(`value ${round}.42`);
      for (let i = 0; i < 100; i++) table.delete(i);
      expect(table.get(42)).toBeUndefined();
    }
    table.delete(7);
    expect(table.get(7)).toBeUndefined();
  });

  it('replaces the value of a key set twice', () => {
    const table = new InFlight<string, string>();
    table.set('k', 'first');
    table.set('k', 'second');
    expect(table.get('k')).toBe('second');
  });
});
