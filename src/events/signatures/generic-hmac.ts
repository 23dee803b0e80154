import { ConfigurationError } from '../../errors.ts';
import {
  anyMacMatches,
  checkFreshness,
  decodeSignature,
  fail,
  hmac,
  nonEmpty,
  parseDigits,
  readHeader,
  requireText,
  requireTolerance,
  type HmacAlgorithm,
  type SignatureEncoding,
} from './primitives.ts';
import type { SignatureScheme } from './types.ts';

/** A configurable HMAC for systems with no scheme of their own here. */
export interface GenericHmacOptions {
  /** Header carrying the signature (any case; matched lower-cased). */
  header: string;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  /** Text before the signature in the header, e.g. `sha256=`; required when set. */
  prefix?: string;
  /** Header carrying the Unix timestamp in SECONDS; when set, freshness is checked both ways. */
  timestampHeader?: string;
  /** Default 300 s; only meaningful with `timestampHeader`. */
  toleranceSeconds?: number;
  /**
   * What is signed: the raw body, or `${timestamp}.` + raw body. Defaults to `timestamp.body`
   * when a timestamp header is set — a timestamp outside the MAC can be rewritten by anyone and
   * protects against nothing, so choose `body` with a timestamp only if the sender really does.
   */
  signedContent?: 'body' | 'timestamp.body';
  /** Header whose value is returned as the event id, when the sender sends one. */
  eventIdHeader?: string;
}

export const GENERIC_HMAC_DEFAULT_TOLERANCE_SECONDS = 300;

const ALGORITHMS: readonly HmacAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const ENCODINGS: readonly SignatureEncoding[] = ['hex', 'base64'];

/** The options with every default applied, checked once at start-up. */
interface NormalizedGenericHmac {
  header: string;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  prefix: string;
  timestamp: { header: string; toleranceMs: number } | undefined;
  signedContent: 'body' | 'timestamp.body';
  eventIdHeader: string | undefined;
}

export function normalizeGenericHmacOptions(options: GenericHmacOptions): NormalizedGenericHmac {
  const where = 'genericHmac';
  const header = requireText(where, 'header', options?.header).toLowerCase();
  if (!ALGORITHMS.includes(options.algorithm)) {
    throw new ConfigurationError(`${where}: expected algorithm to be one of ${ALGORITHMS.join(', ')}, got ${JSON.stringify(options.algorithm)}`);
  }
  if (!ENCODINGS.includes(options.encoding)) {
    throw new ConfigurationError(`${where}: expected encoding to be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(options.encoding)}`);
  }
  const timestampHeader = options.timestampHeader === undefined
    ? undefined
    : requireText(where, 'timestampHeader', options.timestampHeader).toLowerCase();
  const signedContent = options.signedContent ?? (timestampHeader === undefined ? 'body' : 'timestamp.body');
  if (signedContent !== 'body' && signedContent !== 'timestamp.body') {
    throw new ConfigurationError(`${where}: expected signedContent to be 'body' or 'timestamp.body', got ${JSON.stringify(signedContent)}`);
  }
  if (signedContent === 'timestamp.body' && timestampHeader === undefined) {
    throw new ConfigurationError(`${where}: signedContent 'timestamp.body' needs timestampHeader, got none`);
  }
  if (options.toleranceSeconds !== undefined && timestampHeader === undefined) {
    throw new ConfigurationError(`${where}: toleranceSeconds is set but there is no timestampHeader to check it against`);
  }
  const toleranceSeconds = requireTolerance(where, 'toleranceSeconds', options.toleranceSeconds ?? GENERIC_HMAC_DEFAULT_TOLERANCE_SECONDS);
  return {
    header,
    algorithm: options.algorithm,
    encoding: options.encoding,
    prefix: options.prefix ?? '',
    timestamp: timestampHeader === undefined ? undefined : { header: timestampHeader, toleranceMs: toleranceSeconds * 1000 },
    signedContent,
    eventIdHeader: options.eventIdHeader?.toLowerCase(),
  };
}

/**
 * Generic HMAC: `<header>: <prefix><hex|base64 HMAC(key = secret as UTF-8, signed content)>`.
 * Covers the common GitHub-like and Stripe-like shapes for systems not listed here. A vendor
 * with its own documented scheme should get its own file instead of a generic configuration.
 */
export function genericHmac(options: GenericHmacOptions): SignatureScheme {
  const config = normalizeGenericHmacOptions(options);

  return {
    name: 'generic-hmac',
    verify(delivery, secrets, now) {
      const keys = nonEmpty(secrets);
      if (keys.length === 0) return fail('no_secret');
      const header = readHeader(delivery, config.header);
      if (header === undefined) return fail('missing_signature');
      if (!header.startsWith(config.prefix)) return fail('malformed_signature');
      const signature = decodeSignature(header.slice(config.prefix.length), config.encoding);
      if (signature === undefined) return fail('malformed_signature');

      let timestampText: string | undefined;
      let timestampMs: number | undefined;
      if (config.timestamp !== undefined) {
        timestampText = readHeader(delivery, config.timestamp.header);
        if (timestampText === undefined) return fail('missing_timestamp');
        const seconds = parseDigits(timestampText);
        if (seconds === undefined) return fail('malformed_timestamp');
        timestampMs = seconds * 1000;
      }

      const content = config.signedContent === 'timestamp.body' ? [`${timestampText}.`, delivery.rawBody] : [delivery.rawBody];
      if (!anyMacMatches([signature], keys, (key) => hmac(config.algorithm, key, content))) return fail('bad_signature');
      if (config.timestamp !== undefined && timestampMs !== undefined) {
        const stale = checkFreshness(timestampMs, now, config.timestamp.toleranceMs);
        if (stale !== undefined) return fail(stale);
      }
      const eventId = config.eventIdHeader === undefined ? undefined : readHeader(delivery, config.eventIdHeader);
      return {
        ok: true,
        ...(eventId === undefined ? {} : { eventId }),
        ...(timestampMs === undefined ? {} : { timestamp: timestampMs }),
      };
    },
  };
}
