import {
  anyMacMatches,
  checkFreshness,
  decodeSignature,
  fail,
  hmac,
  parseDigits,
  readHeader,
  requireTolerance,
} from './primitives.ts';
import type { SignatureScheme, WebhookDelivery } from './types.ts';

export interface StandardWebhooksOptions {
  /** How far `webhook-timestamp` may be from the clock, either way. The reference libraries use 5 minutes. */
  toleranceSeconds?: number;
}

export const STANDARD_WEBHOOKS_DEFAULT_TOLERANCE_SECONDS = 300;
export const STANDARD_WEBHOOKS_SECRET_PREFIX = 'whsec_';

/**
 * Standard Webhooks 1.0 — "Verifying webhook authenticity":
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 * (Svix, which it came from: https://docs.svix.com/receiving/verifying-payloads/how-manual)
 *
 * - Headers `webhook-id`, `webhook-timestamp` (Unix seconds), `webhook-signature`; the
 *   `svix-id` / `svix-timestamp` / `svix-signature` names are accepted as aliases.
 * - Signed content: `${id}.${timestamp}.` + raw body; HMAC-SHA256, base64.
 * - `webhook-signature` is a space-delimited list of `<version>,<signature>`; symmetric ones are
 *   `v1`. Any v1 may match (the sender signs with old and new secrets during a rotation); other
 *   versions (`v1a` is ed25519) are skipped.
 * - Secrets are `whsec_` + base64; the HMAC key is the base64-DECODED bytes after the prefix
 *   (a bare base64 secret is accepted too, as the reference libraries do).
 * The signed `webhook-id` is the idempotency key and is returned as the event id.
 */
export function standardWebhooks(options: StandardWebhooksOptions = {}): SignatureScheme {
  const tolerance = options.toleranceSeconds ?? STANDARD_WEBHOOKS_DEFAULT_TOLERANCE_SECONDS;
  const toleranceMs = requireTolerance('standardWebhooks', 'toleranceSeconds', tolerance) * 1000;

  return {
    name: 'standard-webhooks',
    verify(delivery, secrets, now) {
      const keys = secrets.flatMap((secret) => standardWebhooksKey(secret) ?? []);
      if (keys.length === 0) return fail('no_secret');
      const header = aliased(delivery, 'signature');
      if (header === undefined) return fail('missing_signature');
      const id = aliased(delivery, 'id');
      if (id === undefined) return fail('missing_event_id');
      const timestampText = aliased(delivery, 'timestamp');
      if (timestampText === undefined) return fail('missing_timestamp');
      const seconds = parseDigits(timestampText);
      if (seconds === undefined) return fail('malformed_timestamp');

      const entries = header.split(' ').flatMap((entry) => {
        const comma = entry.indexOf(',');
        return comma > 0 ? [{ version: entry.slice(0, comma), signature: entry.slice(comma + 1) }] : [];
      });
      const candidates = entries.flatMap((entry) =>
        entry.version === 'v1' ? (decodeSignature(entry.signature, 'base64') ?? []) : [],
      );
      if (candidates.length === 0) {
        const onlyOtherVersions = entries.length > 0 && entries.every((entry) => entry.version !== 'v1');
        return fail(onlyOtherVersions ? 'missing_signature' : 'malformed_signature');
      }

      const signed = (key: Buffer) => hmac('sha256', key, [`${id}.${timestampText}.`, delivery.rawBody]);
      if (!anyMacMatches(candidates, keys, signed)) return fail('bad_signature');
      const stale = checkFreshness(seconds * 1000, now, toleranceMs);
      return stale === undefined ? { ok: true, eventId: id, timestamp: seconds * 1000 } : fail(stale);
    },
  };
}

/** The HMAC key of a `whsec_<base64>` secret; `undefined` when it is not base64 or decodes to nothing. */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(STANDARD_WEBHOOKS_SECRET_PREFIX)
    ? secret.slice(STANDARD_WEBHOOKS_SECRET_PREFIX.length)
    : secret;
  const key = decodeSignature(encoded, 'base64');
  return key === undefined || key.length === 0 ? undefined : key;
}

function aliased(delivery: WebhookDelivery, field: 'id' | 'timestamp' | 'signature'): string | undefined {
  return readHeader(delivery, `webhook-${field}`) ?? readHeader(delivery, `svix-${field}`);
}
