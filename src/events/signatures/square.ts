import { anyMacMatches, decodeSignature, fail, hmac, nonEmpty, readHeader, requireText } from './primitives.ts';
import type { SignatureScheme } from './types.ts';

export interface SquareSignatureOptions {
  /**
   * The notification URL registered on the Square webhook subscription, byte for byte. Square
   * signs that string, not whatever URL the request reached the gateway with (a proxy or a
   * tunnel changes the latter), so it is configured rather than read from the request.
   */
  notificationUrl: string;
}

/**
 * Square — "Verify and validate an event notification":
 * https://developer.squareup.com/docs/webhooks/step3validate
 *
 * `x-square-hmacsha256-signature` = base64 HMAC-SHA256(notification URL + raw body), keyed with
 * the subscription's signature key. (The legacy SHA-1 `x-square-signature` is not accepted.)
 * Square signs no timestamp; its `event_id` is in the body, where the mapping reads it.
 */
export function squareSignature(options: SquareSignatureOptions): SignatureScheme {
  const notificationUrl = requireText('squareSignature', 'notificationUrl', options?.notificationUrl);

  return {
    name: 'square',
    verify(delivery, secrets) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'x-square-hmacsha256-signature');
      if (header === undefined) return fail('missing_signature');
      const signature = decodeSignature(header, 'base64');
      if (signature === undefined) return fail('malformed_signature');
      const signed = (key: string) => hmac('sha256', key, [notificationUrl, delivery.rawBody]);
      return anyMacMatches([signature], keys, signed) ? { ok: true } : fail('bad_signature');
    },
  };
}
