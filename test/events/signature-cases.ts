import {
  genericHmac,
  githubSignature,
  hubspotV3,
  mewsSecret,
  shopifyHmac,
  signGenericHmac,
  signGitHub,
  signHubSpotV3,
  signMews,
  signShopify,
  signSquare,
  signStandardWebhooks,
  signStripe,
  signXero,
  squareSignature,
  standardWebhooks,
  stripeSignature,
  xeroSignature,
  type GenericHmacOptions,
  type SignatureScheme,
  type SignInput,
  type WebhookDelivery,
} from '../../src/events/signatures/index.ts';

/**
 * The table the shared signature contract (`signatures.test.ts`) runs over: every scheme with
 * its signer, two rotation secrets in the vendor's own format, and where its signature travels.
 */

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const URL_RECEIVED = 'https://gw.example.com/webhooks/demo?tenant=hotel-1';
export const BODY = JSON.stringify({ id: 'evt_123', type: 'order.created', data: { orderId: 'o-1', total: 4200 } });

/** Where the signature travels, so the suite can remove or replace it. */
export type Carrier = { in: 'header'; name: string } | { in: 'query'; name: string };

export interface Case {
  name: string;
  scheme: SignatureScheme;
  sign: (input: SignInput) => WebhookDelivery;
  /** Two active secrets, in the form the vendor issues them. */
  secrets: readonly [string, string];
  wrongSecret: string;
  carrier: Carrier;
  /** A value that is not in the vendor's signature format at all. */
  malformed: string;
  /** A well-formed signature of the wrong length, built from the genuine one. */
  short: (genuine: string) => string;
  /** Present when the scheme signs a timestamp. */
  timestamp?: { header: string; toleranceMs: number };
  /** The event id header the scheme returns, if any. */
  returnsEventId: boolean;
  /** False only for Mews, whose shared secret does not cover the body. */
  authenticatesBody: boolean;
}

const GENERIC: GenericHmacOptions = {
  header: 'X-Acme-Signature',
  algorithm: 'sha512',
  encoding: 'hex',
  prefix: 'sha512=',
  timestampHeader: 'X-Acme-Timestamp',
  toleranceSeconds: 120,
  eventIdHeader: 'X-Acme-Delivery',
};
const GENERIC_BODY_ONLY: GenericHmacOptions = { header: 'x-legacy-signature', algorithm: 'sha1', encoding: 'base64' };

export const cases: Case[] = [
  {
    name: 'Stripe',
    scheme: stripeSignature(),
    sign: (input) => signStripe(input),
    secrets: ['whsec_old_0a1b2c3d', 'whsec_new_4e5f6a7b'],
    wrongSecret: 'whsec_attacker',
    carrier: { in: 'header', name: 'stripe-signature' },
    malformed: 'garbage',
    short: (genuine) => genuine.replace(/v1=[0-9a-f]+/, 'v1=abcd'),
    timestamp: { header: 'stripe-signature', toleranceMs: 300_000 },
    returnsEventId: false,
    authenticatesBody: true,
  },
  {
    name: 'Shopify',
    scheme: shopifyHmac(),
    sign: (input) => signShopify(input),
    secrets: ['shpss_old', 'shpss_new'],
    wrongSecret: 'shpss_attacker',
    carrier: { in: 'header', name: 'x-shopify-hmac-sha256' },
    malformed: 'not base64!',
    short: () => 'AAAA',
    returnsEventId: true,
    authenticatesBody: true,
  },
  {
    name: 'HubSpot v3',
    scheme: hubspotV3(),
    sign: (input) => signHubSpotV3(input),
    secrets: ['client-secret-old', 'client-secret-new'],
    wrongSecret: 'client-secret-attacker',
    carrier: { in: 'header', name: 'x-hubspot-signature-v3' },
    malformed: '%%%',
    short: () => 'AAAA',
    timestamp: { header: 'x-hubspot-request-timestamp', toleranceMs: 300_000 },
    returnsEventId: false,
    authenticatesBody: true,
  },
  {
    name: 'GitHub',
    scheme: githubSignature(),
    sign: (input) => signGitHub(input),
    secrets: ['gh-old', 'gh-new'],
    wrongSecret: 'gh-attacker',
    carrier: { in: 'header', name: 'x-hub-signature-256' },
    malformed: 'sha1=0123456789abcdef',
    short: () => 'sha256=abcd',
    returnsEventId: true,
    authenticatesBody: true,
  },
  {
    name: 'Standard Webhooks',
    scheme: standardWebhooks(),
    sign: (input) => signStandardWebhooks(input),
    secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_dGhlIG5ldyBzZWNyZXQgZm9yIHJvdGF0aW9u'],
    wrongSecret: 'whsec_YXR0YWNrZXIgc2VjcmV0IGtleSBoZXJl',
    carrier: { in: 'header', name: 'webhook-signature' },
    malformed: 'garbage',
    short: () => 'v1,AAAA',
    timestamp: { header: 'webhook-timestamp', toleranceMs: 300_000 },
    returnsEventId: true,
    authenticatesBody: true,
  },
  {
    name: 'Square',
    scheme: squareSignature({ notificationUrl: URL_RECEIVED }),
    sign: (input) => signSquare(input),
    secrets: ['sq-key-old', 'sq-key-new'],
    wrongSecret: 'sq-key-attacker',
    carrier: { in: 'header', name: 'x-square-hmacsha256-signature' },
    malformed: 'zz*zz',
    short: () => 'AAAA',
    returnsEventId: false,
    authenticatesBody: true,
  },
  {
    name: 'Xero',
    scheme: xeroSignature(),
    sign: (input) => signXero(input),
    secrets: ['xero-key-old', 'xero-key-new'],
    wrongSecret: 'xero-key-attacker',
    carrier: { in: 'header', name: 'x-xero-signature' },
    malformed: 'not base64!',
    short: () => 'AAAA',
    returnsEventId: false,
    authenticatesBody: true,
  },
  {
    name: 'Mews shared secret',
    scheme: mewsSecret(),
    sign: (input) => signMews(input),
    secrets: ['mews-token-old', 'mews-token-new'],
    wrongSecret: 'mews-token-attacker',
    carrier: { in: 'query', name: 'secret' },
    malformed: 'repeated',
    short: () => 'x',
    returnsEventId: false,
    authenticatesBody: false,
  },
  {
    name: 'generic HMAC (sha512, hex, prefix, signed timestamp)',
    scheme: genericHmac(GENERIC),
    sign: (input) => signGenericHmac(input, GENERIC),
    secrets: ['acme-old', 'acme-new'],
    wrongSecret: 'acme-attacker',
    carrier: { in: 'header', name: 'x-acme-signature' },
    malformed: 'sha512=not-hex',
    short: () => 'sha512=abcd',
    timestamp: { header: 'x-acme-timestamp', toleranceMs: 120_000 },
    returnsEventId: true,
    authenticatesBody: true,
  },
  {
    name: 'generic HMAC (sha1, base64, body only)',
    scheme: genericHmac(GENERIC_BODY_ONLY),
    sign: (input) => signGenericHmac(input, GENERIC_BODY_ONLY),
    secrets: ['legacy-old', 'legacy-new'],
    wrongSecret: 'legacy-attacker',
    carrier: { in: 'header', name: 'x-legacy-signature' },
    malformed: 'not base64!',
    short: () => 'AAAA',
    returnsEventId: false,
    authenticatesBody: true,
  },
];

export function signed(c: Case, overrides: Partial<SignInput> = {}): WebhookDelivery {
  const [, newest] = c.secrets;
  return c.sign({ secret: newest, body: BODY, now: NOW, url: URL_RECEIVED, eventId: 'delivery-42', ...overrides });
}

export function readCarrier(d: WebhookDelivery, carrier: Carrier): string {
  const value = carrier.in === 'header' ? d.headers[carrier.name] : new URL(d.url).searchParams.get(carrier.name);
  if (typeof value !== 'string') throw new Error(`expected the signed delivery to carry ${carrier.name}`);
  return value;
}

/** The same delivery with the signature replaced (`undefined` removes it). */
export function withSignature(d: WebhookDelivery, carrier: Carrier, value: string | undefined): WebhookDelivery {
  if (carrier.in === 'header') {
    const headers = { ...d.headers };
    if (value === undefined) delete headers[carrier.name];
    else headers[carrier.name] = value;
    return { ...d, headers };
  }
  const url = new URL(d.url);
  url.searchParams.delete(carrier.name);
  if (value === 'repeated') {
    url.searchParams.append(carrier.name, 'one');
    url.searchParams.append(carrier.name, 'two');
  } else if (value !== undefined) {
    url.searchParams.set(carrier.name, value);
  }
  return { ...d, url: url.toString() };
}

