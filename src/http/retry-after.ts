/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns the wait in
 * milliseconds from `now`, or undefined when the header is absent or unreadable (an unreadable
 * value is ignored rather than trusted: the caller falls back to its own backoff).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  // An HTTP-date names its day and zone; anything else (`-1`, `2025`) is not trusted, even
  // though Date.parse would read it.
  const at = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
