import { describe, expect, it } from 'vitest';
import { fromMsJsonDate, moneyFromDecimal, moneyFromMinor, toDate, toUtc } from '../../src/connectors/mapping.ts';

/**
 * The mapping helpers read the common vendor shapes by hand and leave the rest to general code.
 * These tests pin the answers and errors clients and connectors rely on, and compare the hand
 * reading with the built-ins it stands in for (toFixed, toISOString, Date.parse) over many values.
 */

/** A small deterministic generator, so a failure names a value that fails again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('moneyFromDecimal', () => {
  it('pads strings and numbers to two decimals and upper-cases the currency', () => {
    expect(moneyFromDecimal('84.70', 'eur')).toEqual({ amount: '84.70', currency: 'EUR' });
    expect(moneyFromDecimal('12', 'EUR').amount).toBe('12.00');
    expect(moneyFromDecimal('12.5', 'EUR').amount).toBe('12.50');
    expect(moneyFromDecimal(84.7, 'EUR').amount).toBe('84.70');
    expect(moneyFromDecimal(0, 'EUR').amount).toBe('0.00');
    expect(moneyFromDecimal('007.5', 'EUR').amount).toBe('007.50');
  });

  it('keeps the sign of negative amounts, including a negative amount that rounds to zero', () => {
    expect(moneyFromDecimal('-5.5', 'EUR').amount).toBe('-5.50');
    expect(moneyFromDecimal('-0.00', 'EUR').amount).toBe('-0.00');
    expect(moneyFromDecimal(-12.5, 'EUR').amount).toBe('-12.50');
    expect(moneyFromDecimal(-0.001, 'EUR').amount).toBe('-0.00');
    expect(moneyFromDecimal(-0, 'EUR').amount).toBe('0.00');
  });

  it('accepts more decimals than the exponent only when the extra ones are zeros', () => {
    expect(moneyFromDecimal('12.500', 'EUR').amount).toBe('12.50');
    expect(moneyFromDecimal('-12.5000', 'EUR').amount).toBe('-12.50');
    expect(() => moneyFromDecimal('12.505', 'EUR')).toThrow(new TypeError('more than 2 decimals: 12.505'));
    expect(() => moneyFromDecimal('12.0001', 'EUR')).toThrow(new TypeError('more than 2 decimals: 12.0001'));
  });

  it('trims whitespace around a decimal string', () => {
    expect(moneyFromDecimal(' 12.5 ', 'EUR').amount).toBe('12.50');
    expect(moneyFromDecimal('\t-3\n', 'EUR').amount).toBe('-3.00');
    expect(() => moneyFromDecimal(' 1.234 ', 'EUR')).toThrow(new TypeError('more than 2 decimals: 1.234'));
  });

  it('honours other exponents', () => {
    expect(moneyFromDecimal('12.00', 'jpy', 0)).toEqual({ amount: '12', currency: 'JPY' });
    expect(moneyFromDecimal('12', 'JPY', 0).amount).toBe('12');
    expect(moneyFromDecimal(12.4, 'JPY', 0).amount).toBe('12');
    expect(() => moneyFromDecimal('12.5', 'JPY', 0)).toThrow(new TypeError('more than 0 decimals: 12.5'));
    expect(moneyFromDecimal('1.5', 'KWD', 3).amount).toBe('1.500');
    expect(moneyFromDecimal(1.5, 'KWD', 3).amount).toBe('1.500');
  });

  it('refuses what is not a plain decimal, naming the value', () => {
    for (const value of ['', '-', '12.', '.5', '+5', '1e3', '1,50', '12.5.0', 'abc', '١٢']) {
      expect(() => moneyFromDecimal(value, 'EUR'), value).toThrow(new TypeError(`not a decimal amount: ${JSON.stringify(value)}`));
    }
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 1e21]) {
      expect(() => moneyFromDecimal(value, 'EUR'), String(value)).toThrow(new TypeError(`not a decimal amount: ${JSON.stringify(value)}`));
    }
    expect(() => moneyFromDecimal(null as unknown as string, 'EUR')).toThrow(TypeError);
  });

  it('rounds numbers exactly as toFixed does, ties and large values included', () => {
    const values = [1.005, 2.675, 1.115, 0.125, 0.375, -12.345, 8.345, 1e9 + 0.005, 123456789.125, 99999999999.99, 1e15 + 0.3, 5e-324, 0.1 + 0.2];
    for (let cents = -100_000; cents <= 100_000; cents++) values.push(cents / 100, cents / 1000, cents * 1.001);
    const next = random(7);
    for (let i = 0; i < 50_000; i++) values.push((next() - 0.5) * 10 ** Math.floor(next() * 14));
    const differing = values.filter((v) => moneyFromDecimal(v, 'EUR').amount !== v.toFixed(2) || moneyFromDecimal(v, 'EUR', 0).amount !== v.toFixed(0));
    expect(differing).toEqual([]);
  });
});

describe('moneyFromMinor', () => {
  it('places the decimal point by the exponent, with leading zeros and the sign', () => {
    expect(moneyFromMinor(1250, 'eur')).toEqual({ amount: '12.50', currency: 'EUR' });
    expect(moneyFromMinor(5, 'EUR').amount).toBe('0.05');
    expect(moneyFromMinor(-5, 'EUR').amount).toBe('-0.05');
    expect(moneyFromMinor(-1250, 'EUR').amount).toBe('-12.50');
    expect(moneyFromMinor(0, 'EUR').amount).toBe('0.00');
    expect(moneyFromMinor(-0, 'EUR').amount).toBe('0.00');
    expect(moneyFromMinor(1250, 'JPY', 0).amount).toBe('1250');
    expect(moneyFromMinor(1250, 'KWD', 3).amount).toBe('1.250');
  });

  it('stays exact beyond 2^53, as a bigint or a large number', () => {
    expect(moneyFromMinor(2n ** 53n + 1n, 'EUR').amount).toBe('90071992547409.93');
    expect(moneyFromMinor(-(2n ** 64n), 'EUR').amount).toBe('-184467440737095516.16');
    expect(moneyFromMinor(2 ** 60, 'EUR').amount).toBe('11529215046068469.76');
  });

  it('refuses a fractional number of minor units', () => {
    expect(() => moneyFromMinor(12.5, 'EUR')).toThrow(RangeError);
    expect(() => moneyFromMinor(Number.NaN, 'EUR')).toThrow(RangeError);
  });
});

describe('fromMsJsonDate', () => {
  it('reads the milliseconds as UTC whatever the offset says', () => {
    expect(fromMsJsonDate('/Date(1518685950940+0000)/')).toBe('2018-02-15T09:12:30.940Z');
    expect(fromMsJsonDate('/Date(1518685950940-0500)/')).toBe('2018-02-15T09:12:30.940Z');
    expect(fromMsJsonDate('/Date(1518685950940)/')).toBe('2018-02-15T09:12:30.940Z');
    expect(fromMsJsonDate('/Date(0001518685950940)/')).toBe('2018-02-15T09:12:30.940Z');
  });

  it('reads dates before 1970 and at the edges of four-digit years', () => {
    expect(fromMsJsonDate('/Date(0)/')).toBe('1970-01-01T00:00:00.000Z');
    expect(fromMsJsonDate('/Date(-0)/')).toBe('1970-01-01T00:00:00.000Z');
    expect(fromMsJsonDate('/Date(-1000+0100)/')).toBe('1969-12-31T23:59:59.000Z');
    expect(fromMsJsonDate('/Date(951782400000)/')).toBe('2000-02-29T00:00:00.000Z');
    expect(fromMsJsonDate('/Date(253402300799999)/')).toBe('9999-12-31T23:59:59.999Z');
    expect(fromMsJsonDate('/Date(253402300800000)/')).toBe('+010000-01-01T00:00:00.000Z');
    expect(fromMsJsonDate('/Date(-62167219200000)/')).toBe('0000-01-01T00:00:00.000Z');
    expect(fromMsJsonDate('/Date(-62167219200001)/')).toBe('-000001-12-31T23:59:59.999Z');
  });

  it('refuses other spellings, naming the value', () => {
    for (const value of ['2018-02-15', '/Date()/', '/Date(12+05)/', '/Date(12+00000)/', '/Date(12)', 'Date(12)/', '/Date(1.5)/', '/date(12)/', ' /Date(12)/', '/Date(-)/', '/Date(12)/\n']) {
      expect(() => fromMsJsonDate(value), value).toThrow(new TypeError(`not a /Date(…)/ value: ${JSON.stringify(value)}`));
    }
  });

  it('fails loudly on an instant no date can hold', () => {
    expect(() => fromMsJsonDate('/Date(99999999999999999)/')).toThrow(RangeError);
  });

  it('agrees with toISOString across the whole four-digit range', () => {
    const next = random(11);
    const instants = Array.from({ length: 100_000 }, () => Math.floor(-62_167_219_200_000 + next() * (253_402_300_799_999 + 62_167_219_200_000)));
    expect(instants.filter((ms) => fromMsJsonDate(`/Date(${ms}+0000)/`) !== new Date(ms).toISOString())).toEqual([]);
  });
});

describe('toUtc', () => {
  it('moves an offset date-time to UTC, across day, month and year ends', () => {
    expect(toUtc('2025-11-01T13:24:44+01:00')).toBe('2025-11-01T12:24:44.000Z');
    expect(toUtc('2025-03-06T13:30:24.000Z')).toBe('2025-03-06T13:30:24.000Z');
    expect(toUtc('2025-03-06T13:30:24Z')).toBe('2025-03-06T13:30:24.000Z');
    expect(toUtc('2026-01-01T00:30:00.250+01:00')).toBe('2025-12-31T23:30:00.250Z');
    expect(toUtc('2024-02-29T23:00:00-02:00')).toBe('2024-03-01T01:00:00.000Z');
    expect(toUtc('2026-03-01T10:00:00-05:30')).toBe('2026-03-01T15:30:00.000Z');
    expect(toUtc('2026-01-01T10:00:00-00:00')).toBe('2026-01-01T10:00:00.000Z');
  });

  it('lets a day past the end of its month roll over, as Date.parse does', () => {
    expect(toUtc('2026-02-31T00:00:00Z')).toBe('2026-03-03T00:00:00.000Z');
    expect(toUtc('2026-04-31T12:00:00+02:00')).toBe('2026-05-01T10:00:00.000Z');
  });

  it('reads the rarer spellings Date.parse reads', () => {
    expect(toUtc('2026-01-01T10:00:00.1Z')).toBe('2026-01-01T10:00:00.100Z');
    expect(toUtc('2026-01-01T10:00:00.123456Z')).toBe('2026-01-01T10:00:00.123Z');
    expect(toUtc('2026-01-01 10:00:00Z')).toBe('2026-01-01T10:00:00.000Z');
    expect(toUtc('2026-01-01T10:00:00+0100')).toBe('2026-01-01T09:00:00.000Z');
    expect(toUtc('2026-01-01T24:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
    expect(toUtc('0000-01-01T00:00:00+01:00')).toBe('-000001-12-31T23:00:00.000Z');
    expect(toUtc('9999-12-31T23:59:59-01:00')).toBe('+010000-01-01T00:59:59.000Z');
  });

  it('refuses what is not a date-time, naming the value', () => {
    for (const value of ['', 'yesterday', '2026-13-01T00:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T10:00:00+24:00', '2026-01-01T10:00:00+00:60']) {
      expect(() => toUtc(value), value).toThrow(new TypeError(`not a date-time: ${JSON.stringify(value)}`));
    }
  });

  it('agrees with Date.parse on every field in and just out of range', () => {
    const next = random(13);
    const pick = (n: number) => Math.floor(next() * n);
    const differing: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const fraction = ['', `.${pad(pick(1000), 3)}`][pick(2)];
      const zone = pick(3) === 0 ? 'Z' : `${pick(2) ? '+' : '-'}${pad(pick(25), 2)}:${pad(pick(61), 2)}`;
      const text = `${pad(pick(10_000), 4)}-${pad(pick(14), 2)}-${pad(pick(33), 2)}T${pad(pick(25), 2)}:${pad(pick(61), 2)}:${pad(pick(61), 2)}${fraction}${zone}`;
      const time = Date.parse(text);
      const expected = Number.isNaN(time) ? 'TypeError' : new Date(time).toISOString();
      let got: string;
      try {
        got = toUtc(text);
      } catch (error) {
        got = error instanceof TypeError ? 'TypeError' : String(error);
      }
      if (got !== expected) differing.push(`${text}: ${got} instead of ${expected}`);
    }
    expect(differing).toEqual([]);
  });
});

describe('toDate', () => {
  it('takes the calendar date of a Microsoft JSON date or an ISO date-time', () => {
    expect(toDate('/Date(1761955200000+0000)/')).toBe('2025-11-01');
    expect(toDate('/Date(-1)/')).toBe('1969-12-31');
    expect(toDate('2026-03-01T23:30:00-05:00')).toBe('2026-03-01');
    expect(toDate('2026-03-01')).toBe('2026-03-01');
  });

  it('refuses what has no four-digit calendar date', () => {
    expect(() => toDate('/Date(253402300800000)/')).toThrow(new TypeError('not a date: "/Date(253402300800000)/"'));
    expect(() => toDate('01.03.2026')).toThrow(new TypeError('not a date: "01.03.2026"'));
  });
});
