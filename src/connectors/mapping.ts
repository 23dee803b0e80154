/**
 * Small pure helpers connectors use to turn vendor dialects into the unified types: dates, money
 * and enums. Each one fails loudly on a value it does not understand (the caller turns the throw
 * into UPSTREAM_BAD_RESPONSE) rather than passing something half-right to a client.
 */

export interface Money {
  amount: string;
  currency: string;
}

/** Minor units (Square, Stripe: 1250) → `{ amount: '12.50' }`. Integer arithmetic, no float rounding. */
export function moneyFromMinor(minor: number | bigint, currency: string, exponent = 2): Money {
  const value = BigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return { amount: `${negative ? '-' : ''}${whole}${fraction}`, currency: currency.toUpperCase() };
}

/** A decimal as string or number (Shopify '12.00', Xero 12.5) → `{ amount: '12.50' }`. */
export function moneyFromDecimal(value: string | number, currency: string, exponent = 2): Money {
  const text = typeof value === 'number' ? value.toFixed(exponent) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new TypeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const fraction = (match[3] ?? '').padEnd(exponent, '0');
  if (fraction.length > exponent && /[1-9]/.test(fraction.slice(exponent))) throw new TypeError(`more than ${exponent} decimals: ${text}`);
  return { amount: `${match[1]}${match[2]}${exponent > 0 ? `.${fraction.slice(0, exponent)}` : ''}`, currency: currency.toUpperCase() };
}

const MS_JSON_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * Microsoft JSON dates (Xero: `/Date(1518685950940+0000)/`) → ISO 8601 UTC. The number is always
 * milliseconds since the epoch in UTC; the offset only says where the value was recorded.
 */
export function fromMsJsonDate(value: string): string {
  const match = MS_JSON_DATE.exec(value);
  if (!match) throw new TypeError(`not a /Date(…)/ value: ${JSON.stringify(value)}`);
  return new Date(Number(match[1])).toISOString();
}

/** Any ISO 8601 date-time with an offset → the same instant in UTC (`…Z`). */
export function toUtc(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new TypeError(`not a date-time: ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

/** The calendar date part (`2026-03-01`) of an ISO date-time or a Microsoft JSON date. */
export function toDate(value: string): string {
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
