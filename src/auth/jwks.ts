import jwksRsa from 'jwks-rsa';
import type { Logger } from '../observability/logger.ts';

/**
 * The public keys of an identity provider, read from its JWKS URL. jwks-rsa fetches the set and
 * turns each JWK into a PEM; the caching is ours, because jwks-rsa's caches per key id and
 * rate-limits per lookup, so a stream of made-up key ids still reaches the provider up to its
 * per-minute budget. Here the guarantees are:
 *
 * - the whole set is cached for `cacheMs`; a lookup after that refetches it once (single flight),
 *   and keeps the old set if the provider cannot be reached;
 * - a key id not in the set triggers one refetch (a rotation is picked up at once), but at most
 *   one such refetch per `refetchIntervalMs`: a flood of unknown ids costs the provider one call;
 * - concurrent lookups share one fetch in flight.
 */

export interface JwksOptions {
  url: string;
  cacheMs: number;
  refetchIntervalMs: number;
  timeoutMs?: number;
  logger: Logger;
}

export interface PublicKey {
  pem: string;
  /** The algorithm the provider declares for the key, when it declares one. */
  alg: string | undefined;
}

export interface JwksKeyStore {
  /** The key for `kid`, or undefined when the provider does not publish one. */
  keyFor(kid: string | undefined): Promise<PublicKey | undefined>;
}

export function createJwksKeyStore(options: JwksOptions): JwksKeyStore {
  const client = new jwksRsa.JwksClient({ jwksUri: options.url, cache: false, rateLimit: false, timeout: options.timeoutMs ?? 5_000 });
  let keys = new Map<string, PublicKey>();
  let fetchedAt = -Infinity;
  let lastUnknownRefetch = -Infinity;
  let inFlight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inFlight ??= client
      .getSigningKeys()
      .then((signing) => {
        keys = new Map(signing.map((k) => [k.kid ?? '', { pem: k.getPublicKey(), alg: k.alg || undefined }]));
        fetchedAt = Date.now();
      })
      .catch((error: unknown) => {
        // Try again after the refetch interval, not on every token: a provider that is down is
        // not to be hammered, and the keys already known stay valid meanwhile.
        fetchedAt = Math.max(fetchedAt, Date.now() - options.cacheMs + options.refetchIntervalMs);
        lastUnknownRefetch = Date.now();
        options.logger.warn({ err: error, url: options.url }, 'could not fetch the JWKS; keeping the keys already known');
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function lookup(kid: string | undefined): PublicKey | undefined {
    // A token without a key id is acceptable only when the provider publishes exactly one key.
    if (kid === undefined) return keys.size === 1 ? [...keys.values()][0] : undefined;
    return keys.get(kid);
  }

  return {
    async keyFor(kid) {
      if (inFlight) await inFlight;
      const stale = Date.now() - fetchedAt > options.cacheMs;
      if (stale) await refresh();
      const known = lookup(kid);
      // A set fetched just now is the provider's answer: the key id is not in it.
      if (known || stale) return known;
      if (inFlight) {
        await inFlight;
        return lookup(kid);
      }
      if (Date.now() - lastUnknownRefetch < options.refetchIntervalMs) return undefined;
      lastUnknownRefetch = Date.now();
      await refresh();
      return lookup(kid);
    },
  };
}
