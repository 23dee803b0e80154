import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/errors.ts';
import {
  genericHmac,
  githubSignature,
  hubspotV3,
  mewsSecret,
  signGitHub,
  signStripe,
  squareSignature,
  stripeSignature,
  withBodyLimit,
  type GenericHmacOptions,
  type SignatureScheme,
} from '../../src/events/signatures/index.ts';

/** Misconfiguration fails at start-up with expected-vs-got; the body limit; odd header shapes. */

describe('a scheme built with wrong options refuses to start', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['a negative Stripe tolerance', () => stripeSignature({ toleranceSeconds: -1 }), /stripeSignature: expected toleranceSeconds .* got -1/],
    ['a HubSpot tolerance that is not a number', () => hubspotV3({ toleranceMs: Number.NaN }), /hubspotV3: expected toleranceMs .* got NaN/],
    ['Square without its notification URL', () => squareSignature({ notificationUrl: '' }), /squareSignature: expected notificationUrl .* got ""/],
    ['Mews with an empty parameter name', () => mewsSecret({ param: '' }), /mewsSecret: expected param/],
    [
      'a generic HMAC with an unsupported algorithm',
      () => genericHmac({ header: 'x-sig', algorithm: 'md5', encoding: 'hex' } as unknown as GenericHmacOptions),
      /expected algorithm to be one of sha1, sha256, sha512, got "md5"/,
    ],
    [
      'a generic HMAC with an unsupported encoding',
      () => genericHmac({ header: 'x-sig', algorithm: 'sha256', encoding: 'base32' } as unknown as GenericHmacOptions),
      /expected encoding to be one of hex, base64, got "base32"/,
    ],
    [
      'a generic HMAC signing a timestamp it has no header for',
      () => genericHmac({ header: 'x-sig', algorithm: 'sha256', encoding: 'hex', signedContent: 'timestamp.body' }),
      /signedContent 'timestamp.body' needs timestampHeader/,
    ],
    [
      'a generic HMAC with a tolerance but no timestamp',
      () => genericHmac({ header: 'x-sig', algorithm: 'sha256', encoding: 'hex', toleranceSeconds: 60 }),
      /toleranceSeconds is set but there is no timestampHeader/,
    ],
    ['a body limit of zero bytes', () => withBodyLimit(githubSignature(), 0), /withBodyLimit\(github\): expected maxBytes .* got 0/],
  ];

  it.each(cases)('%s', (_name, build, message) => {
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(message);
  });
});

describe('withBodyLimit', () => {
  const body = '{"padding":"' + 'x'.repeat(1000) + '"}';

  it('refuses a body over the limit before the inner scheme runs', () => {
    let calls = 0;
    const counting: SignatureScheme = { name: 'counting', verify: () => ((calls += 1), { ok: true }) };
    const limited = withBodyLimit(counting, 100);
    expect(limited.verify(signGitHub({ secret: 's', body }), ['s'], 0)).toEqual({ ok: false, reason: 'body_too_large' });
    expect(calls).toBe(0);
  });

  it('passes a body at the limit through, under the same name', () => {
    const limited = withBodyLimit(githubSignature(), Buffer.byteLength(body));
    expect(limited.name).toBe('github');
    expect(limited.verify(signGitHub({ secret: 's', body }), ['s'], 0).ok).toBe(true);
  });
});

describe('header shapes node:http can produce', () => {
  const now = 1_700_000_000_000;
  const genuine = signStripe({ secret: 'whsec_a', body: '{}', now });
  const header = genuine.headers['stripe-signature'] as string;

  it('reads a header given as a one-element array like a plain string', () => {
    const d = { ...genuine, headers: { ...genuine.headers, 'stripe-signature': [header] } };
    expect(stripeSignature().verify(d, ['whsec_a'], now).ok).toBe(true);
  });

  it('refuses a signature header sent twice, as node:http would join it', () => {
    const d = { ...genuine, headers: { ...genuine.headers, 'stripe-signature': [header, header] } };
    expect(stripeSignature().verify(d, ['whsec_a'], now)).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('ignores an empty secret among the active ones instead of keying an HMAC with it', () => {
    expect(stripeSignature().verify(genuine, ['', 'whsec_a'], now).ok).toBe(true);
    expect(stripeSignature().verify(genuine, [''], now)).toEqual({ ok: false, reason: 'no_secret' });
  });
});
