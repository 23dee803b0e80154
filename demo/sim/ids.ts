import { randomBytes, randomUUID } from 'node:crypto';

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same demo data every run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Square customer ids use upper-case letters and digits without I, L, O, U. */
export const SQUARE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function randomString(alphabet: string, length: number, random?: () => number): string {
  let out = '';
  if (random) {
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  }
  const bytes = randomBytes(length);
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

/** A v4-shaped UUID, from the PRNG when given (seed data) or from crypto (runtime records). */
export function uuid(random?: () => number): string {
  if (!random) return randomUUID();
  const hex = randomString('0123456789abcdef', 32, random).split('');
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

export function intBetween(min: number, max: number, random: () => number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** `2026-03-01T14:00:00Z`: ISO without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;

/**
 * Offset from UTC in minutes for a European zone at `ms`: standard offset, plus one hour from the
 * last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (the EU rule).
 */
export function euOffsetMinutes(ms: number, standardOffsetMinutes: number): number {
  const year = new Date(ms).getUTCFullYear();
  const lastSunday = (month: number): number => {
    const last = new Date(Date.UTC(year, month + 1, 0, 1));
    return last.getTime() - last.getUTCDay() * DAY_MS;
  };
  const summer = ms >= lastSunday(2) && ms < lastSunday(9);
  return standardOffsetMinutes + (summer ? 60 : 0);
}

/** `2026-01-05T10:00:00+01:00`: local wall time with its offset, as Shopify and Square write it. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
