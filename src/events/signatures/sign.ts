import { randomUUID } from 'node:crypto';

import { normalizeGenericHmacOptions, type GenericHmacOptions } from './generic-hmac.ts';
import { hubspotSignedUri } from './hubspot.ts';
import { MEWS_DEFAULT_SECRET_PARAM } from './mews.ts';
import { hmac } from './primitives.ts';
import { standardWebhooksKey } from './standard-webhooks.ts';
import type { WebhookDelivery } from './types.ts';

/**
 * The sending side of every scheme: build a delivery exactly as the vendor would send it. The
 * demo simulators use these to post correctly signed webhooks, and the tests use them as the
 * "genuine" case to tamper with. They reuse no verification code except the two documented
 * transforms a sender must also apply (HubSpot's URI decoding, the `whsec_` key decoding).
 */
export interface SignInput {
  /** The secret to sign with (for Standard Webhooks, in the `whsec_<base64>` form). */
  secret: string;
  body: string | Buffer;
  /** Epoch ms the delivery is "sent" at; default `Date.now()`. */
  now?: number;
  /** Full URL the delivery is posted to; default `https://gateway.example.com/webhooks/test`. */
  url?: string;
  method?: string;
  /** For schemes with an event id header; default a random UUID. */
  eventId?: string;
}

export const DEFAULT_SIGN_URL = 'https://gateway.example.com/webhooks/test';

interface Prepared {
  body: Buffer;
  now: number;
  url: string;
  method: string;
  eventId: string;
}

function prepare(input: SignInput): Prepared {
  return {
    body: typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body,
    now: input.now ?? Date.now(),
    url: input.url ?? DEFAULT_SIGN_URL,
    method: input.method ?? 'POST',
    eventId: input.eventId ?? randomUUID(),
  };
}

function delivery(p: Prepared, headers: Record<string, string>, url: string = p.url): WebhookDelivery {
  return { method: p.method, url, headers: { 'content-type': 'application/json', ...headers }, rawBody: p.body };
}

/** `Stripe-Signature: t=<seconds>,v1=<hex>`, one v1 per secret given (Stripe's rolling secrets). */
export function signStripe(input: SignInput, extraSecrets: readonly string[] = []): WebhookDelivery {
  const p = prepare(input);
  const t = Math.floor(p.now / 1000);
  const v1 = [input.secret, ...extraSecrets].map(
    (secret) => `v1=${hmac('sha256', secret, [`${t}.`, p.body]).toString('hex')}`,
  );
  return delivery(p, { 'stripe-signature': [`t=${t}`, ...v1].join(',') });
}

export function signShopify(input: SignInput): WebhookDelivery {
  const p = prepare(input);
  return delivery(p, {
    'x-shopify-hmac-sha256': hmac('sha256', input.secret, [p.body]).toString('base64'),
    'x-shopify-webhook-id': p.eventId,
    'x-shopify-triggered-at': new Date(p.now).toISOString(),
  });
}

export function signHubSpotV3(input: SignInput): WebhookDelivery {
  const p = prepare(input);
  const timestamp = String(Math.floor(p.now));
  const signature = hmac('sha256', input.secret, [`${p.method}${hubspotSignedUri(p.url)}`, p.body, timestamp]);
  return delivery(p, {
    'x-hubspot-signature-v3': signature.toString('base64'),
    'x-hubspot-request-timestamp': timestamp,
  });
}

export function signGitHub(input: SignInput): WebhookDelivery {
  const p = prepare(input);
  return delivery(p, {
    'x-hub-signature-256': `sha256=${hmac('sha256', input.secret, [p.body]).toString('hex')}`,
    'x-github-delivery': p.eventId,
  });
}

/** `webhook-*` headers by default; `{ headers: 'svix' }` sends the `svix-*` names instead. */
export function signStandardWebhooks(input: SignInput, options: { headers?: 'webhook' | 'svix' } = {}): WebhookDelivery {
  const p = prepare(input);
  const key = standardWebhooksKey(input.secret);
  if (key === undefined) throw new TypeError(`signStandardWebhooks: expected a whsec_<base64> secret`);
  const seconds = String(Math.floor(p.now / 1000));
  const signature = hmac('sha256', key, [`${p.eventId}.${seconds}.`, p.body]).toString('base64');
  const prefix = options.headers ?? 'webhook';
  return delivery(p, {
    [`${prefix}-id`]: p.eventId,
    [`${prefix}-timestamp`]: seconds,
    [`${prefix}-signature`]: `v1,${signature}`,
  });
}

/** Signs `notificationUrl` (default: the URL posted to) + body, as Square does. */
export function signSquare(input: SignInput, options: { notificationUrl?: string } = {}): WebhookDelivery {
  const p = prepare(input);
  const signature = hmac('sha256', input.secret, [options.notificationUrl ?? p.url, p.body]);
  return delivery(p, { 'x-square-hmacsha256-signature': signature.toString('base64') });
}

export function signXero(input: SignInput): WebhookDelivery {
  const p = prepare(input);
  return delivery(p, { 'x-xero-signature': hmac('sha256', input.secret, [p.body]).toString('base64') });
}

/** Mews puts the shared secret in the URL it calls. */
export function signMews(input: SignInput, options: { param?: string } = {}): WebhookDelivery {
  const p = prepare(input);
  const url = new URL(p.url);
  url.searchParams.set(options.param ?? MEWS_DEFAULT_SECRET_PARAM, input.secret);
  return delivery(p, {}, url.toString());
}

export function signGenericHmac(input: SignInput, options: GenericHmacOptions): WebhookDelivery {
  const p = prepare(input);
  const config = normalizeGenericHmacOptions(options);
  const seconds = String(Math.floor(p.now / 1000));
  const content = config.signedContent === 'timestamp.body' ? [`${seconds}.`, p.body] : [p.body];
  const headers: Record<string, string> = {
    [config.header]: `${config.prefix}${hmac(config.algorithm, input.secret, content).toString(config.encoding)}`,
  };
  if (config.timestamp !== undefined) headers[config.timestamp.header] = seconds;
  if (config.eventIdHeader !== undefined) headers[config.eventIdHeader] = p.eventId;
  return delivery(p, headers);
}
