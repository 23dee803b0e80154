import { anyMacMatches, decodeSignature, fail, hmac, nonEmpty, readHeader } from './primitives.ts';
import type { SignatureScheme, Verification } from './types.ts';

/**
 * Xero — "Configuring your server" and "Intent to receive":
 * https://developer.xero.com/documentation/webhooks/configuring-your-server
 *
 * `x-xero-signature` = base64 HMAC-SHA256(raw body), keyed with the app's webhook key.
 *
 * INTENT TO RECEIVE — Xero will not switch a subscription on until the endpoint passes it.
 * Xero POSTs a series of payloads shaped like
 *   `{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"…"}`,
 * some correctly signed and some deliberately not, and requires, for EVERY one of them:
 *   - correctly signed  → 200, with no body (and no cookies), within 5 seconds;
 *   - incorrectly signed → 401.
 * Any other answer (202, 204, 400, 403, a body) fails the validation. Ordinary event batches
 * follow the same rule, so the route answers every Xero delivery with `xeroReply(verification)`,
 * and stores nothing for an intent-to-receive request (`isXeroIntentToReceive`).
 * Xero signs no timestamp; each event in the batch carries its own ids.
 */
export function xeroSignature(): SignatureScheme {
  return {
    name: 'xero',
    verify(delivery, secrets) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, 'x-xero-signature');
      if (header === undefined) return fail('missing_signature');
      const signature = decodeSignature(header, 'base64');
      if (signature === undefined) return fail('malformed_signature');
      const signed = (key: string) => hmac('sha256', key, [delivery.rawBody]);
      return anyMacMatches([signature], keys, signed) ? { ok: true } : fail('bad_signature');
    },
  };
}

/** What Xero must be answered: exactly 200 with an empty body when verified, 401 otherwise. */
export type XeroReply = { status: 200; body: '' } | { status: 401; body: '' };

export function xeroReply(verification: Verification): XeroReply {
  return verification.ok ? { status: 200, body: '' } : { status: 401, body: '' };
}

/**
 * True for Xero's intent-to-receive probe: a JSON object whose `events` is an empty list.
 * Real batches always carry at least one event. Only meaningful after the signature verified.
 */
export function isXeroIntentToReceive(rawBody: Buffer): boolean {
  try {
    const payload: unknown = JSON.parse(rawBody.toString('utf8'));
    if (typeof payload !== 'object' || payload === null || !('events' in payload)) return false;
    const { events } = payload;
    return Array.isArray(events) && events.length === 0;
  } catch {
    return false;
  }
}
