import { anyMacMatches, decodeSignature, fail, hmac, nonEmpty, readHeader } from './primitives.ts';
import type { SignatureScheme } from './types.ts';

/**
 * Shopify — "Verify webhook deliveries": https://shopify.dev/docs/apps/build/webhooks/verify-deliveries
 *
 * `X-Shopify-Hmac-SHA256` is the base64 HMAC-SHA256 of the raw body, keyed with the app's client
 * secret. Shopify may keep signing with the old secret for up to an hour after a rotation, which
 * is why both secrets stay active for a while.
 *
 * Event id: `X-Shopify-Webhook-Id` is the delivery id Shopify tells you to de-duplicate on (the
 * same across retries); older deliveries and docs name `X-Shopify-Event-Id`
 * (https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates), used when the first is absent.
 * Shopify signs no timestamp (`X-Shopify-Triggered-At` is not covered by the HMAC), so there is
 * no freshness check: replays are stopped by de-duplication on the event id.
 */
export function shopifyHmac(): SignatureScheme {
  return {
    name: 'shopify',
    verify(delivery, secrets) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'x-shopify-hmac-sha256');
      if (header === undefined) return fail('missing_signature');
      const signature = decodeSignature(header, 'base64');
      if (signature === undefined) return fail('malformed_signature');
      if (!anyMacMatches([signature], keys, (key) => hmac('sha256', key, [delivery.rawBody]))) {
        return fail('bad_signature');
      }
      const eventId = readHeader(delivery, 'x-shopify-webhook-id') ?? readHeader(delivery, 'x-shopify-event-id');
      return eventId === undefined ? { ok: true } : { ok: true, eventId };
    },
  };
}
