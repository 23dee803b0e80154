import {
  anyMacMatches,
  checkFreshness,
  decodeSignature,
  fail,
  hmac,
  nonEmpty,
  parseDigits,
  readHeader,
  requireTolerance,
} from './primitives.ts';
import type { SignatureScheme } from './types.ts';

export interface StripeSignatureOptions {
  /** How far the signed `t` may be from the clock, either way. Stripe's libraries default to 300 s. */
  toleranceSeconds?: number;
}

export const STRIPE_DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Stripe — "Verify signatures manually": https://docs.stripe.com/webhooks#verify-manually
 * (formerly https://stripe.com/docs/webhooks/signatures#verify-manually)
 *
 * `Stripe-Signature: t=1492774577,v1=5257a8…,v0=6ffbb5…`
 * 1. Split the header on `,`, each element on `=`: `t` is the timestamp (Unix seconds), every
 *    `v1` is a signature (one per active endpoint secret during a roll); other elements such as
 *    `v0` (the test-mode scheme) are discarded.
 * 2. signed_payload = `${t}.` + the raw body.
 * 3. Expected = hex HMAC-SHA256(signed_payload) keyed with the endpoint secret — the whole
 *    `whsec_…` string as UTF-8, NOT base64-decoded (unlike Standard Webhooks).
 * 4. Accept when any v1 matches; then compare `t` with the clock.
 *
 * Stripe's own library accepts a `t` far in the future; this scheme refuses it
 * (`future_timestamp`), as it refuses one older than the tolerance.
 * The event id (`evt_…`) is in the body, so `eventId` is left to the connector's mapping.
 */
export function stripeSignature(options: StripeSignatureOptions = {}): SignatureScheme {
  const tolerance = options.toleranceSeconds ?? STRIPE_DEFAULT_TOLERANCE_SECONDS;
  const toleranceMs = requireTolerance('stripeSignature', 'toleranceSeconds', tolerance) * 1000;

  return {
    name: 'stripe',
    verify(delivery, secrets, now) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'stripe-signature');
      if (header === undefined) return fail('missing_signature');
      const parsed = parseStripeHeader(header);
      if (parsed === undefined) return fail('malformed_signature');
      if (parsed.timestamp === undefined) return fail('missing_timestamp');
      const seconds = parseDigits(parsed.timestamp);
      if (seconds === undefined) return fail('malformed_timestamp');
      if (parsed.v1.length === 0) return fail('missing_signature');
      const candidates = parsed.v1.flatMap((text) => decodeSignature(text, 'hex') ?? []);
      if (candidates.length === 0) return fail('malformed_signature');

      const signed = (key: string) => hmac('sha256', key, [`${parsed.timestamp}.`, delivery.rawBody]);
      if (!anyMacMatches(candidates, keys, signed)) return fail('bad_signature');
      const stale = checkFreshness(seconds * 1000, now, toleranceMs);
      return stale === undefined ? { ok: true, timestamp: seconds * 1000 } : fail(stale);
    },
  };
}

/** `undefined` when an element has no `=` or `t` appears twice: not a header Stripe sends. */
function parseStripeHeader(header: string): { timestamp: string | undefined; v1: string[] } | undefined {
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const element of header.split(',')) {
    const at = element.indexOf('=');
    if (at <= 0) return undefined;
    const prefix = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (prefix === 't') {
      if (timestamp !== undefined) return undefined;
      timestamp = value;
    } else if (prefix === 'v1') {
      v1.push(value);
    }
  }
  return { timestamp, v1 };
}
