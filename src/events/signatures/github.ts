import { anyMacMatches, decodeSignature, fail, hmac, nonEmpty, readHeader } from './primitives.ts';
import type { SignatureScheme } from './types.ts';

/**
 * GitHub-style `X-Hub-Signature-256` — "Validating webhook deliveries":
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 *
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook secret>`.
 * The `sha256=` prefix is required; the legacy SHA-1 `X-Hub-Signature` is not accepted.
 * `X-GitHub-Delivery` is the delivery GUID (kept on redelivery), used as the event id.
 * GitHub signs no timestamp; replays are stopped by de-duplication on the delivery id.
 */
export function githubSignature(): SignatureScheme {
  return {
    name: 'github',
    verify(delivery, secrets) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'x-hub-signature-256');
      if (header === undefined) return fail('missing_signature');
      if (!header.startsWith('sha256=')) return fail('malformed_signature');
      const signature = decodeSignature(header.slice('sha256='.length), 'hex');
      if (signature === undefined) return fail('malformed_signature');
      if (!anyMacMatches([signature], keys, (key) => hmac('sha256', key, [delivery.rawBody]))) {
        return fail('bad_signature');
      }
      const eventId = readHeader(delivery, 'x-github-delivery');
      return eventId === undefined ? { ok: true } : { ok: true, eventId };
    },
  };
}
