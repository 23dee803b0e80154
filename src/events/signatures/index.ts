/**
 * Webhook signature schemes: plain values a connector picks, each exactly as its vendor
 * documents it, plus the signers the demo simulators and tests send with.
 */
export type { SignatureScheme, Verification, VerificationFailure, WebhookDelivery } from './types.ts';
export { VERIFICATION_FAILURES } from './types.ts';
export type { HmacAlgorithm, SignatureEncoding } from './primitives.ts';

export { stripeSignature, STRIPE_DEFAULT_TOLERANCE_SECONDS, type StripeSignatureOptions } from './stripe.ts';
export { shopifyHmac } from './shopify.ts';
export { hubspotV3, hubspotSignedUri, HUBSPOT_DEFAULT_TOLERANCE_MS, type HubSpotV3Options } from './hubspot.ts';
export { githubSignature } from './github.ts';
export {
  standardWebhooks,
  standardWebhooksKey,
  STANDARD_WEBHOOKS_DEFAULT_TOLERANCE_SECONDS,
  STANDARD_WEBHOOKS_SECRET_PREFIX,
  type StandardWebhooksOptions,
} from './standard-webhooks.ts';
export { squareSignature, type SquareSignatureOptions } from './square.ts';
export { xeroSignature, xeroReply, isXeroIntentToReceive, type XeroReply } from './xero.ts';
export { mewsSecret, MEWS_DEFAULT_SECRET_PARAM, type MewsSecretOptions } from './mews.ts';
export {
  genericHmac,
  normalizeGenericHmacOptions,
  GENERIC_HMAC_DEFAULT_TOLERANCE_SECONDS,
  type GenericHmacOptions,
} from './generic-hmac.ts';
export { withBodyLimit, DEFAULT_MAX_BODY_BYTES } from './body-limit.ts';
export {
  signStripe,
  signShopify,
  signHubSpotV3,
  signGitHub,
  signStandardWebhooks,
  signSquare,
  signXero,
  signMews,
  signGenericHmac,
  DEFAULT_SIGN_URL,
  type SignInput,
} from './sign.ts';
