/**
 * The contract every webhook signature scheme meets. A scheme is a plain value a connector
 * picks (`webhook: { scheme: stripeSignature() }`); the intake route calls `verify` with the raw
 * bytes it read and every secret that is active for the connector.
 *
 * Guarantees every scheme in this folder keeps:
 * - `verify` never throws for anything a sender controls: a missing, malformed or wrong-length
 *   signature, an unparsable timestamp or URL all come back as `{ ok: false, reason }`.
 * - Signatures are compared in constant time, after both sides are decoded to bytes.
 * - With several secrets (rotation) a delivery is accepted when ANY of them verifies it.
 * - A timestamp the vendor signs is checked in both directions: older than the tolerance is
 *   `stale_timestamp`, further ahead than the tolerance is `future_timestamp`.
 * - The signature is checked before the timestamp, so a forged request is always
 *   `bad_signature`, and `stale_timestamp` always means "genuine, but too old" (a replay).
 */

/** One inbound request, as the intake route received it. */
export interface WebhookDelivery {
  method: string;
  /** Full URL as received, e.g. `https://gw.example.com/webhooks/crm?x=1`. */
  url: string;
  /** Header names in lower case, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as it arrived: a re-serialised body must never verify. */
  rawBody: Buffer;
}

/** Why a delivery was refused: short codes for logs and metrics, never shown to the sender. */
export const VERIFICATION_FAILURES = [
  /** The signature header (or query parameter) is absent or empty. */
  'missing_signature',
  /** The signature is there but not in the vendor's format (bad prefix, not hex/base64, …). */
  'malformed_signature',
  /** Well-formed, but no active secret produces it. */
  'bad_signature',
  /** The scheme signs a timestamp and none was sent. */
  'missing_timestamp',
  /** The timestamp is not an integer in the vendor's unit. */
  'malformed_timestamp',
  /** Genuine, but older than the tolerance: a replay or a very late retry. */
  'stale_timestamp',
  /** Genuine, but further in the future than the tolerance. */
  'future_timestamp',
  /** The scheme signs an event id (Standard Webhooks) and none was sent. */
  'missing_event_id',
  /** No usable secret is configured for this scheme: every delivery fails closed. */
  'no_secret',
  /** The body is larger than the intake accepts; nothing was hashed. */
  'body_too_large',
] as const;

export type VerificationFailure = (typeof VERIFICATION_FAILURES)[number];

export type Verification =
  | {
      ok: true;
      /** The vendor's event id when it travels in a header; otherwise the mapping reads the body. */
      eventId?: string;
      /** The signed timestamp, epoch ms, when the scheme has one. */
      timestamp?: number;
    }
  | { ok: false; reason: VerificationFailure };

export interface SignatureScheme {
  /** Stable name for logs and metrics, e.g. `stripe`. */
  readonly name: string;
  /**
   * @param secrets every active secret; empty means nothing can verify (`no_secret`).
   * @param now the clock, epoch ms, that timestamps are checked against.
   */
  verify(delivery: WebhookDelivery, secrets: readonly string[], now: number): Verification;
}
