import { describe, expect, it } from 'vitest';
import { InFlight, InProgress } from '../../src/http/in-flight.ts';

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

describe('the in-progress list', () => {
  it('lists what was added and not yet removed, newest first', () => {
    const list = new InProgress<string>();
    const a = list.add('a');
    const b = list.add('b');
    const c = list.add('c');
    expect(list.values()).toEqual(['c', 'b', 'a']);
    list.remove(b);
    expect(list.values()).toEqual(['c', 'a']);
    list.remove(c);
    expect(list.values()).toEqual(['a']);
    list.remove(a);
    expect(list.values()).toEqual([]);
    list.add('d');
    expect(list.values()).toEqual(['d']);
  });

  it('ignores a second removal of the same entry', () => {
    const list = new InProgress<number>();
    const one = list.add(1);
    list.add(2);
    list.remove(one);
    list.remove(one);
    expect(list.values()).toEqual([2]);
  });

  it('lets a removed entry go of its value and both neighbours', () => {
    const list = new InProgress<{ id: number }>();
    list.add({ id: 1 });
    const middle = list.add({ id: 2 });
    list.add({ id: 3 });
    list.remove(middle);
    expect(middle).toEqual({ value: undefined, previous: undefined, next: undefined });
    expect(list.values().map((v) => v.id)).toEqual([3, 1]);
  });
});
