import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  githubSignature,
  hubspotV3,
  shopifyHmac,
  stripeSignature,
  type WebhookDelivery,
} from '../../src/events/signatures/index.ts';

/**
 * Fixed vectors, computed here with node:crypto straight from each vendor's documented recipe
 * (never with the code under test), or copied from the vendor's own published example.
 */

const hmacOf = (algorithm: string, key: string | Buffer, content: string) =>
  createHmac(algorithm, key).update(content, 'utf8');

function delivery(headers: Record<string, string>, body: string, url = 'https://gw.example.com/webhooks/x'): WebhookDelivery {
  return { method: 'POST', url, headers, rawBody: Buffer.from(body, 'utf8') };
}

describe('Stripe (docs.stripe.com/webhooks#verify-manually)', () => {
  const secret = 'whsec_test_secret';
  const t = 1_700_000_000;
  const payload = '{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}';
  // signed_payload = t + "." + body; HMAC-SHA256 keyed with the whole whsec_ string; hex.
  const v1 = hmacOf('sha256', secret, `${t}.${payload}`).digest('hex');
  const verify = (header: string, at = t * 1000) =>
    stripeSignature().verify(delivery({ 'stripe-signature': header }, payload), [secret], at);

  it('accepts the documented header shape, with a test-mode v0 element discarded', () => {
    expect(verify(`t=${t},v1=${v1},v0=${'0'.repeat(64)}`)).toEqual({ ok: true, timestamp: t * 1000 });
  });

  it('accepts when any one of several v1 signatures matches (a rolled secret)', () => {
    expect(verify(`t=${t},v1=${'ab'.repeat(32)},v1=${v1}`).ok).toBe(true);
  });

  it('keys the HMAC with the whsec_ string itself, not its base64 decoding', () => {
    const decodedKey = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const wrong = hmacOf('sha256', decodedKey, `${t}.${payload}`).digest('hex');
    expect(verify(`t=${t},v1=${wrong}`)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('names what is wrong with a header that is not Stripe-shaped', () => {
    expect(verify(`v1=${v1}`)).toEqual({ ok: false, reason: 'missing_timestamp' });
    expect(verify(`t=${t},v0=${v1}`)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify(`t=${t},t=${t},v1=${v1}`)).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verify(`t=soon,v1=${v1}`)).toEqual({ ok: false, reason: 'malformed_timestamp' });
  });

  it('refuses a genuine signature 301 s old or 301 s ahead, and honours a custom tolerance', () => {
    const header = `t=${t},v1=${v1}`;
    expect(verify(header, (t + 301) * 1000)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify(header, (t - 301) * 1000)).toEqual({ ok: false, reason: 'future_timestamp' });
    const strict = stripeSignature({ toleranceSeconds: 10 });
    const d = delivery({ 'stripe-signature': header }, payload);
    expect(strict.verify(d, [secret], (t + 11) * 1000)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });
});

describe('Shopify (shopify.dev/docs/apps/build/webhooks/verify-deliveries)', () => {
  const secret = 'hush';
  const body = '{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00"}';
  const signature = hmacOf('sha256', secret, body).digest('base64');

  it('accepts the base64 HMAC-SHA256 of the raw body and returns X-Shopify-Webhook-Id', () => {
    const d = delivery({ 'x-shopify-hmac-sha256': signature, 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' }, body);
    expect(shopifyHmac().verify(d, [secret], 0)).toEqual({ ok: true, eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' });
  });

  it('falls back to X-Shopify-Event-Id when the webhook id is absent', () => {
    const d = delivery({ 'x-shopify-hmac-sha256': signature, 'x-shopify-event-id': 'evt-98880550' }, body);
    expect(shopifyHmac().verify(d, [secret], 0)).toEqual({ ok: true, eventId: 'evt-98880550' });
  });

  it('refuses the hex form of the same HMAC (Shopify sends base64)', () => {
    const d = delivery({ 'x-shopify-hmac-sha256': hmacOf('sha256', secret, body).digest('hex') }, body);
    expect(shopifyHmac().verify(d, [secret], 0).ok).toBe(false);
  });
});

describe('HubSpot v3 (developers.hubspot.com … /authentication/request-validation)', () => {
  const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  const body = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","objectId":123}]';
  const timestamp = '1564113600000';
  const received = 'https://gw.example.com/webhooks/crm?from=https%3A%2F%2Fapp.hubspot.com%2Fa%3Fb%40c&name=O%27Brien%2C%20J&list=%28a%29%2a%3b%21%24&q=a%2Bb%26c%3Dd';
  // HubSpot's table decodes : / ? @ ! $ ' ( ) * , ; — %20, %2B, %26, %3D stay encoded.
  const signedUri = "https://gw.example.com/webhooks/crm?from=https://app.hubspot.com/a?b@c&name=O'Brien,%20J&list=(a)*;!$&q=a%2Bb%26c%3Dd";
  const signature = hmacOf('sha256', secret, `POST${signedUri}${body}${timestamp}`).digest('base64');
  const headers = { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp };
  const now = Number(timestamp) + 60_000;

  it('signs method + URI (with the listed characters decoded) + body + millisecond timestamp', () => {
    expect(hubspotV3().verify(delivery(headers, body, received), [secret], now)).toEqual({ ok: true, timestamp: Number(timestamp) });
  });

  it('refuses a signature over the URI as received, undecoded', () => {
    const undecoded = hmacOf('sha256', secret, `POST${received}${body}${timestamp}`).digest('base64');
    const d = delivery({ ...headers, 'x-hubspot-signature-v3': undecoded }, body, received);
    expect(hubspotV3().verify(d, [secret], now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses the same request sent with another method', () => {
    const d = { ...delivery(headers, body, received), method: 'PUT' };
    expect(hubspotV3().verify(d, [secret], now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('reads the timestamp as milliseconds: 5 minutes and 1 ms later is stale', () => {
    expect(hubspotV3().verify(delivery(headers, body, received), [secret], Number(timestamp) + 300_001)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
  });
});

describe('GitHub (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries)', () => {
  it("accepts GitHub's published test values", () => {
    // "Testing the webhook payload validation": secret, payload and signature exactly as documented.
    const d = delivery(
      {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
      'Hello, World!',
    );
    expect(githubSignature().verify(d, ["It's a Secret to Everybody"], 0)).toEqual({
      ok: true,
      eventId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
  });

  it('accepts upper-case hex, which decodes to the same bytes', () => {
    const d = delivery({ 'x-hub-signature-256': 'sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17' }, 'Hello, World!');
    expect(githubSignature().verify(d, ["It's a Secret to Everybody"], 0).ok).toBe(true);
  });
});
