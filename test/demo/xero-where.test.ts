import { describe, expect, it } from 'vitest';
import { parseWhere } from '../../demo/xero-where.ts';

const fields = new Set(['Reference', 'Total', 'Date', 'Contact', 'Status']);
const records = [
  { Reference: 'INV-1', Total: 10, Date: '/Date(1767225600000+0000)/', Contact: { Name: 'Ada' }, Status: 'PAID' },
  { Reference: 'inv-2', Total: 20, Date: '/Date(1767312000000+0000)/', Contact: { Name: 'Bea' }, Status: 'DRAFT' },
  { Reference: null, Total: 30, Date: '/Date(1767398400000+0000)/', Contact: { Name: 'Cy' }, Status: 'PAID' },
  { Total: 10, Date: '/Date(1767225600000)/', Contact: {}, Status: 'VOIDED' },
];

/** Which records a where clause keeps, by index. */
function kept(where: string): number[] {
  const parsed = parseWhere(where, fields, 'Invoice');
  if (!parsed.ok) throw new Error(parsed.message);
  return records.flatMap((record, i) => (parsed.match(record) ? [i] : []));
}

describe("the simulated Xero's where filter", () => {
  it('matches a chain of equalities joined by OR case-insensitively, skipping missing and null values', () => {
    expect(kept('Reference=="inv-1" OR Reference=="INV-2" OR Reference=="INV-9"')).toEqual([0, 1]);
    expect(kept('Reference=="x"||Reference=="X"')).toEqual([]);
  });

  it('gives an OR chain of equalities the same answers as the general evaluation', () => {
    // A non-equality alternative that keeps nothing forces the clause-by-clause evaluation.
    const general = (chain: string) => kept(`${chain} OR Total<0`);
    for (const chain of ['Total==10 OR Total==30', 'Contact.Name=="ada" OR Contact.Name=="CY"', 'Date==DateTime(2026,01,01) OR Date==DateTime(2026,01,03)', 'Status=="paid"']) {
      expect(kept(chain), chain).toEqual(general(chain));
    }
    expect(kept('Total==10 OR Total==30')).toEqual([0, 2, 3]);
    expect(kept('Date==DateTime(2026,01,01) OR Date==DateTime(2026,01,03)')).toEqual([0, 2, 3]);
  });

  it('binds AND tighter than OR and answers an unknown field with the reason', () => {
    expect(kept('Status=="PAID" AND Total>15 OR Reference=="inv-2"')).toEqual([1, 2]);
    expect(kept('Reference==null')).toEqual([2, 3]);
    expect(parseWhere('Nope=="x"', fields, 'Invoice')).toEqual({ ok: false, message: "No property or field 'Nope' exists in type 'Invoice'" });
  });
});
