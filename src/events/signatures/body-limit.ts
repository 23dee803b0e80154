import { ConfigurationError } from '../../errors.ts';
import { fail } from './primitives.ts';
import type { SignatureScheme } from './types.ts';

/** 1 MiB: far above any vendor's webhook payload (Standard Webhooks recommends under 20 kB). */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * The same scheme, refusing bodies over `maxBytes` with `body_too_large` before any HMAC runs.
 * The route must still stop READING at the limit (this only sees a body already in memory);
 * this is the second line, so a scheme used anywhere else keeps the same bound.
 */
export function withBodyLimit(scheme: SignatureScheme, maxBytes: number = DEFAULT_MAX_BODY_BYTES): SignatureScheme {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new ConfigurationError(`withBodyLimit(${scheme.name}): expected maxBytes to be a positive integer, got ${String(maxBytes)}`);
  }
  return {
    name: scheme.name,
    verify(delivery, secrets, now) {
      return delivery.rawBody.length > maxBytes ? fail('body_too_large') : scheme.verify(delivery, secrets, now);
    },
  };
}
