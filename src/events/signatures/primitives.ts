import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { ConfigurationError } from '../../errors.ts';
import type { Verification, VerificationFailure, WebhookDelivery } from './types.ts';

/**
 * The small pieces every scheme is built from. Nothing here knows a vendor: the scheme files say
 * which header, which bytes, which encoding, and cite the vendor's documentation.
 */

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';

export const fail = (reason: VerificationFailure): Verification => ({ ok: false, reason });

/**
 * A header's value, trimmed; `undefined` when absent or empty. Several values are joined with
 * `, ` exactly as node:http joins a repeated header, so a repeated signature header is judged
 * the same way whichever form the route passes (and fails as malformed in every scheme).
 */
export function readHeader(delivery: WebhookDelivery, name: string): string | undefined {
  const raw = delivery.headers[name];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** HMAC over the concatenation of `parts`; strings are UTF-8, buffers are hashed as they are. */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, parts: ReadonlyArray<string | Buffer>): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The signature's bytes, or `undefined` when the text is not strict hex / padded base64.
 * Node's own decoders skip invalid characters silently; checking the form first is what turns
 * "garbage" into `malformed_signature` instead of a short buffer.
 */
export function decodeSignature(text: string, encoding: SignatureEncoding): Buffer | undefined {
  if (text === '') return undefined;
  if (encoding === 'hex') return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** Constant-time equality; buffers of different length are simply unequal (no throw). */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings of any length: their SHA-256 digests are compared. */
export function safeEqualText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * True when any candidate signature equals the MAC computed under any key. Every pair is
 * compared (no early exit), so the time taken does not depend on which secret matched.
 */
export function anyMacMatches<K>(
  candidates: readonly Buffer[],
  keys: readonly K[],
  macFor: (key: K) => Buffer,
): boolean {
  let matched = false;
  for (const key of keys) {
    const expected = macFor(key);
    for (const candidate of candidates) {
      if (safeEqual(candidate, expected)) matched = true;
    }
  }
  return matched;
}

/** The secrets a scheme can use as HMAC keys: empty strings never verify anything. */
export const nonEmpty = (secrets: readonly string[]): string[] => secrets.filter((secret) => secret !== '');

/** A non-negative integer written in decimal digits only (no sign, exponent, or fraction). */
export function parseDigits(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Both directions: a replay is too old, a clock far ahead is refused the same way. */
export function checkFreshness(timestampMs: number, now: number, toleranceMs: number): VerificationFailure | undefined {
  if (now - timestampMs > toleranceMs) return 'stale_timestamp';
  if (timestampMs - now > toleranceMs) return 'future_timestamp';
  return undefined;
}

/** Start-up check for a tolerance option: a finite, non-negative number. */
export function requireTolerance(factory: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`${factory}: expected ${option} to be a non-negative number, got ${String(value)}`);
  }
  return value;
}

/** Start-up check for a required string option. */
export function requireText(factory: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigurationError(`${factory}: expected ${option} to be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}
