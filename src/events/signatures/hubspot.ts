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

export interface HubSpotV3Options {
  /** How far `X-HubSpot-Request-Timestamp` may be from the clock. HubSpot: "older than 5 minutes". */
  toleranceMs?: number;
}

export const HUBSPOT_DEFAULT_TOLERANCE_MS = 300_000;

/**
 * HubSpot v3 — "Validating requests", v3 signature:
 * https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
 * (legacy apps: https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests)
 *
 * 1. Reject when `X-HubSpot-Request-Timestamp` (epoch MILLISECONDS) is older than 5 minutes.
 *    This scheme also refuses one more than the tolerance ahead of the clock.
 * 2. source = method + URI + raw body + timestamp (UTF-8), where the URI is the full URL HubSpot
 *    called with the characters in HubSpot's table decoded (see `hubspotSignedUri`).
 * 3. Expected = base64 HMAC-SHA256(source) keyed with the app's client secret.
 *
 * HubSpot's library compares with `===`; here the decoded bytes are compared in constant time.
 * HubSpot batches events in the body, each with its own `eventId`: the mapping reads them.
 */
export function hubspotV3(options: HubSpotV3Options = {}): SignatureScheme {
  const toleranceMs = requireTolerance('hubspotV3', 'toleranceMs', options.toleranceMs ?? HUBSPOT_DEFAULT_TOLERANCE_MS);

  return {
    name: 'hubspot-v3',
    verify(delivery, secrets, now) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'x-hubspot-signature-v3');
      if (header === undefined) return fail('missing_signature');
      const signature = decodeSignature(header, 'base64');
      if (signature === undefined) return fail('malformed_signature');
      const timestampText = readHeader(delivery, 'x-hubspot-request-timestamp');
      if (timestampText === undefined) return fail('missing_timestamp');
      const timestamp = parseDigits(timestampText);
      if (timestamp === undefined) return fail('malformed_timestamp');

      const head = `${delivery.method}${hubspotSignedUri(delivery.url)}`;
      const signed = (key: string) => hmac('sha256', key, [head, delivery.rawBody, timestampText]);
      if (!anyMacMatches([signature], keys, signed)) return fail('bad_signature');
      const stale = checkFreshness(timestamp, now, toleranceMs);
      return stale === undefined ? { ok: true, timestamp } : fail(stale);
    },
  };
}

/**
 * The characters HubSpot's documentation lists for decoding in the request URI before signing
 * (its table "Encoded value → Decoded value"). Everything else — `%20`, `%2B`, `%26`, `%3D`, … —
 * stays encoded. The `?` that starts the query is already literal and is left alone.
 */
const HUBSPOT_DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/**
 * The URI as HubSpot signs it. Percent-encoding hex digits are case-insensitive (RFC 3986 §2.1),
 * so `%3a` is decoded like `%3A`.
 */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => HUBSPOT_DECODED[escape.toUpperCase()] ?? escape);
}
