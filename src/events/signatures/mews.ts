import { fail, nonEmpty, requireText, safeEqualText } from './primitives.ts';
import type { SignatureScheme } from './types.ts';

export interface MewsSecretOptions {
  /** The query parameter that carries the shared secret; default `secret`. */
  param?: string;
}

export const MEWS_DEFAULT_SECRET_PARAM = 'secret';

/**
 * Mews general webhooks — "How can I authenticate Mews?":
 * https://docs.mews.com/connector-api/events/wh-faq
 *
 * Mews does not sign deliveries. To show a request comes from Mews, it can add a shared secret
 * token (which you give to Mews support) to the webhook URL's query string. This scheme reads
 * that parameter and compares it with each active secret in constant time (SHA-256 digests of
 * both, so not even the length leaks).
 *
 * What this does NOT give, unlike every HMAC scheme here: the body is not authenticated (anyone
 * who learns the URL can post any body), and there is no timestamp to stop a replay. The route
 * should serve Mews over HTTPS only, and must never log `delivery.url` with its query string.
 */
export function mewsSecret(options: MewsSecretOptions = {}): SignatureScheme {
  const param = requireText('mewsSecret', 'param', options.param ?? MEWS_DEFAULT_SECRET_PARAM);

  return {
    name: 'mews-secret',
    verify(delivery, secrets) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      let values: string[];
      try {
        values = new URL(delivery.url).searchParams.getAll(param);
      } catch {
        return fail('malformed_signature');
      }
      if (values.length > 1) return fail('malformed_signature');
      const given = values[0];
      if (given === undefined || given === '') return fail('missing_signature');
      let matched = false;
      for (const key of keys) {
        if (safeEqualText(given, key)) matched = true;
      }
      return matched ? { ok: true } : fail('bad_signature');
    },
  };
}
