/**
 * Small pure helpers connectors use to turn vendor dialects into the unified types: dates, money
 * and enums. Each one fails loudly on a value it does not understand (the caller turns the throw
 * into UPSTREAM_BAD_RESPONSE) rather than passing something half-right to a client.
 *
 * They run for several fields of every record a page maps, so the money and date helpers read
 * the shapes vendors actually send (`'84.70'`, `84.7`, `/Date(1518685950940+0000)/`,
 * `2025-11-01T13:24:44+01:00`) by hand, and hand anything else to the general code beneath. The
 * general code defines the behaviour: a fast path gives the same answer or declines (undefined);
 * it never throws, so every error still comes from one place.
 */

export interface Money {
  amount: string;
  currency: string;
}

/** Minor units (Square, Stripe: 1250) → `{ amount: '12.50' }`. Integer arithmetic, no float rounding. */
export function moneyFromMinor(minor: number | bigint, currency: string, exponent = 2): Money {
  // A safe integer is exact as a Number: BigInt only beyond 2^53.
  const amount = typeof minor === 'number' && Number.isSafeInteger(minor) && isSmallExponent(exponent) ? minorDigits(minor, exponent) : bigMinorDigits(minor, exponent);
  return { amount, currency: currency.toUpperCase() };
}

function minorDigits(minor: number, exponent: number): string {
  const negative = minor < 0;
  const digits = String(negative ? -minor : minor).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

function bigMinorDigits(minor: number | bigint, exponent: number): string {
  const value = BigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** A decimal as string or number (Shopify '12.00', Xero 12.5) → `{ amount: '12.50' }`. */
export function moneyFromDecimal(value: string | number, currency: string, exponent = 2): Money {
  let amount: string | undefined;
  if (isSmallExponent(exponent)) {
    if (typeof value === 'string') amount = plainDecimal(value, exponent);
    else if (typeof value === 'number') amount = roundedDecimal(value, exponent);
  }
  return { amount: amount ?? decimalAmount(value, exponent), currency: currency.toUpperCase() };
}

function decimalAmount(value: string | number, exponent: number): string {
  const text = typeof value === 'number' ? value.toFixed(exponent) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new TypeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const fraction = (match[3] ?? '').padEnd(exponent, '0');
  if (fraction.length > exponent && /[1-9]/.test(fraction.slice(exponent))) throw new TypeError(`more than ${exponent} decimals: ${text}`);
  return `${match[1]}${match[2]}${exponent > 0 ? `.${fraction.slice(0, exponent)}` : ''}`;
}

const isSmallExponent = (exponent: number) => Number.isInteger(exponent) && exponent >= 0 && exponent <= 6;
const isDigit = (code: number) => code >= 48 && code <= 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const COLON = 58;

/**
 * `-?\d+(\.\d+)?` with at most `exponent` decimals, padded to exactly that many; undefined for
 * anything else (whitespace, more decimals, no digits), which the general code decides on.
 */
function plainDecimal(text: string, exponent: number): string | undefined {
  const length = text.length;
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  const start = i;
  while (i < length && isDigit(text.charCodeAt(i))) i++;
  if (i === start) return undefined;
  if (i === length) return exponent === 0 ? text : `${text}.${'0'.repeat(exponent)}`;
  if (text.charCodeAt(i) !== DOT) return undefined;
  const dot = i++;
  while (i < length && isDigit(text.charCodeAt(i))) i++;
  const decimals = i - dot - 1;
  if (i !== length || decimals === 0 || decimals > exponent) return undefined;
  return decimals === exponent ? text : `${text}${'0'.repeat(exponent - decimals)}`;
}

/** Largest |value × 10^exponent| the rounding below is exact for (see there). */
const ROUNDING_LIMIT = 1e11;

/**
 * `value.toFixed(exponent)` without its cost, for amounts below 10^11 minor units. toFixed
 * rounds the exact binary value to the nearest integer n of minor units (ties away from zero).
 * The product `value × 10^exponent` is off that exact value by at most half an ulp, under 2e-5
 * in this range; so unless it lies within 1e-4 of a tie, Math.round picks the same n. Near a tie
 * the general code (toFixed itself) decides.
 */
function roundedDecimal(value: number, exponent: number): string | undefined {
  const negative = value < 0;
  const scale = 10 ** exponent;
  const scaled = (negative ? -value : value) * scale;
  if (!(scaled < ROUNDING_LIMIT)) return undefined;
  const fraction = scaled - Math.floor(scaled);
  if (Math.abs(fraction - 0.5) < 1e-4) return undefined;
  const minor = Math.round(scaled);
  const sign = negative ? '-' : '';
  if (exponent === 0) return `${sign}${minor}`;
  const cents = minor % scale;
  return `${sign}${(minor - cents) / scale}.${String(cents).padStart(exponent, '0')}`;
}

const MS_JSON_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * Microsoft JSON dates (Xero: `/Date(1518685950940+0000)/`) → ISO 8601 UTC. The number is always
 * milliseconds since the epoch in UTC; the offset only says where the value was recorded.
 */
export function fromMsJsonDate(value: string): string {
  const time = typeof value === 'string' ? msJsonTime(value) : undefined;
  if (time !== undefined) return isoString(time);
  const match = MS_JSON_DATE.exec(value);
  if (!match) throw new TypeError(`not a /Date(…)/ value: ${JSON.stringify(value)}`);
  return new Date(Number(match[1])).toISOString();
}

/** The milliseconds of `/Date(ms)/` or `/Date(ms±hhmm)/` with at most 15 digits (exact in a double). */
function msJsonTime(value: string): number | undefined {
  const end = value.length - 2;
  if (end < 6 || value[end] !== ')' || value[end + 1] !== '/' || !value.startsWith('/Date(')) return undefined;
  let i = 6;
  const negative = value.charCodeAt(i) === MINUS;
  if (negative) i++;
  const first = i;
  let ms = 0;
  while (i < end && isDigit(value.charCodeAt(i))) ms = ms * 10 + (value.charCodeAt(i++) - 48);
  if (i === first || i - first > 15) return undefined;
  if (i !== end) {
    const sign = value.charCodeAt(i);
    if ((sign !== PLUS && sign !== MINUS) || i + 5 !== end || readDigits(value, i + 1, 4) < 0) return undefined;
  }
  return negative ? -ms : ms;
}

/** Any ISO 8601 date-time with an offset → the same instant in UTC (`…Z`). */
export function toUtc(value: string): string {
  const fast = typeof value === 'string' ? isoTime(value) : undefined;
  if (fast !== undefined) return isoString(fast);
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new TypeError(`not a date-time: ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

const MS_PER_DAY = 86_400_000;

/**
 * The instant of `YYYY-MM-DDTHH:mm:ss[.sss](Z|±HH:mm)` with every field in its ordinary range,
 * computed as Date.parse does (a day past the month's end rolls over, as there). Other spellings
 * (no offset means local time, other fraction lengths, lowercase, 24:00) go to Date.parse.
 */
function isoTime(value: string): number | undefined {
  const length = value.length;
  if (length < 20 || value[4] !== '-' || value[7] !== '-' || value[10] !== 'T' || value[13] !== ':' || value[16] !== ':') {
    return undefined;
  }
  const year = readDigits(value, 0, 4);
  const month = readDigits(value, 5, 2);
  const day = readDigits(value, 8, 2);
  const hour = readDigits(value, 11, 2);
  const minute = readDigits(value, 14, 2);
  const second = readDigits(value, 17, 2);
  let i = 19;
  let milli = 0;
  if (value.charCodeAt(i) === DOT) {
    milli = readDigits(value, 20, 3);
    i = 23;
  }
  let offsetMinutes = 0;
  const zone = value.charCodeAt(i);
  if (zone === 90 /* Z */) {
    if (i + 1 !== length) return undefined;
  } else if (zone === PLUS || zone === MINUS) {
    const offsetHour = readDigits(value, i + 1, 2);
    const offsetMinute = readDigits(value, i + 4, 2);
    if (i + 6 !== length || value.charCodeAt(i + 3) !== COLON || offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return undefined;
    offsetMinutes = (zone === MINUS ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  } else {
    return undefined;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0) {
    return undefined;
  }
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + milli;
}

/** The number written by `count` ASCII digits at `at`, or -1 if any of them is not a digit. */
function readDigits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    n = n * 10 + (code - 48);
  }
  return n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: where toISOString writes four-digit years. */
const FIRST_FOUR_DIGIT_MS = -62_167_219_200_000;
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;

/** The character code of the decimal digit of `n` (a non-negative integer below 10^4) worth `place`. */
const digitAt = (n: number, place: number) => 48 + (((n / place) | 0) % 10);

/**
 * `new Date(ms).toISOString()`, written out here because the built-in costs about a microsecond
 * (as much as the rest of a record's mapping). Years outside 0–9999 and non-integers go to it.
 */
function isoString(ms: number): string {
  if (!(ms >= FIRST_FOUR_DIGIT_MS && ms <= LAST_FOUR_DIGIT_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  const inDay = ms - days * MS_PER_DAY;
  const seconds = Math.floor(inDay / 1000);
  const milli = inDay - seconds * 1000;
  const hour = Math.floor(seconds / 3600);
  const minute = Math.floor(seconds / 60) % 60;
  const second = seconds % 60;
  // H. Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // One string from its 24 character codes: half the time of a template literal of 15 pieces.
  return String.fromCharCode(
    digitAt(year, 1000), digitAt(year, 100), digitAt(year, 10), digitAt(year, 1), MINUS,
    digitAt(month, 10), digitAt(month, 1), MINUS, digitAt(day, 10), digitAt(day, 1), 84 /* T */,
    digitAt(hour, 10), digitAt(hour, 1), COLON, digitAt(minute, 10), digitAt(minute, 1), COLON, digitAt(second, 10), digitAt(second, 1), DOT,
    digitAt(milli, 100), digitAt(milli, 10), digitAt(milli, 1), 90 /* Z */,
  );
}

/** The calendar date part (`2026-03-01`) of an ISO date-time or a Microsoft JSON date. */
export function toDate(value: string): string {
  const time = typeof value === 'string' ? msJsonTime(value) : undefined;
  if (time !== undefined && time >= FIRST_FOUR_DIGIT_MS && time <= LAST_FOUR_DIGIT_MS) return isoString(time).slice(0, 10);
  const iso = MS_JSON_DATE.test(value) ? fromMsJsonDate(value) : value;
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(iso);
  if (!match) throw new TypeError(`not a date: ${JSON.stringify(value)}`);
  return match[1]!;
}

/** Vendor enum → unified enum; an unknown vendor value is drift, not a silent default. */
export function enumFrom<const T extends string>(table: Readonly<Record<string, T>>, value: string, what: string): T {
  const mapped = table[value];
  if (mapped === undefined) throw new TypeError(`unknown ${what} ${JSON.stringify(value)}`);
  return mapped;
}

/** Empty strings from vendors that never send null → null. */
export function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
