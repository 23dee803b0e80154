import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  genericHmac,
  isXeroIntentToReceive,
  mewsSecret,
  squareSignature,
  standardWebhooks,
  xeroReply,
  xeroSignature,
  type WebhookDelivery,
} from '../../src/events/signatures/index.ts';

/** Fixed vectors, continued: Standard Webhooks, Square, Xero, Mews and the generic HMAC. */

function delivery(headers: Record<string, string | string[]>, body: string, url = 'https://gw.example.com/webhooks/x'): WebhookDelivery {
  return { method: 'POST', url, headers, rawBody: Buffer.from(body, 'utf8') };
}

describe('Standard Webhooks (github.com/standard-webhooks/standard-webhooks, spec 1.0)', () => {
  // The reference libraries' published vector ("sign function works").
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const payload = '{"test": 2432232314}';
  const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const at = Number(timestamp) * 1000;
  const verify = (headers: Record<string, string>, secrets = [secret]) =>
    standardWebhooks().verify(delivery(headers, payload), secrets, at);

  it('accepts the published vector and returns the webhook-id as the event id', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': expected };
    expect(verify(headers)).toEqual({ ok: true, eventId: id, timestamp: at });
  });

  it('matches an independent computation: HMAC key = base64-decoded bytes after whsec_', () => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const mine = createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64');
    expect(`v1,${mine}`).toBe(expected);
  });

  it('accepts the svix-* header names', () => {
    expect(verify({ 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': expected }).ok).toBe(true);
  });

  it('accepts one valid v1 among several signatures and unknown versions', () => {
    const bogus = 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    const header = `v1,${bogus} v2,${bogus} ${expected} v1a,${bogus}`;
    expect(verify({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': header }).ok).toBe(true);
  });

  it('accepts a secret given without the whsec_ prefix, as the reference libraries do', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': expected };
    expect(verify(headers, [secret.slice('whsec_'.length)]).ok).toBe(true);
  });

  it('names what is missing or unusable', () => {
    const all = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': expected };
    expect(verify({ ...all, 'webhook-id': '' })).toEqual({ ok: false, reason: 'missing_event_id' });
    expect(verify({ ...all, 'webhook-signature': 'v1a,AAAA' })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify({ ...all, 'webhook-id': 'msg_other' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(all, ['whsec_not base64!'])).toEqual({ ok: false, reason: 'no_secret' });
  });
});

describe('Square (developer.squareup.com/docs/webhooks/step3validate)', () => {
  // Square's published vector (square-nodejs-sdk, "test signature validation pass").
  const body =
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}';
  const signatureKey = 'Ibxx_5AKakO-3qeNVR61Dw';
  const notificationUrl = 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9';
  const header = { 'x-square-hmacsha256-signature': 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=' };
  // Received behind a proxy: the URL the gateway sees is not the one Square signed.
  const received = 'http://10.0.0.7:4000/webhooks/pos';

  it('accepts the published vector, signing the registered notification URL, not the received one', () => {
    const independent = createHmac('sha256', signatureKey).update(notificationUrl + body).digest('base64');
    expect(independent).toBe(header['x-square-hmacsha256-signature']);
    expect(squareSignature({ notificationUrl }).verify(delivery(header, body, received), [signatureKey], 0)).toEqual({ ok: true });
  });

  it('refuses it when the configured notification URL differs by one character', () => {
    const scheme = squareSignature({ notificationUrl: notificationUrl.replace('679a', '79a') });
    expect(scheme.verify(delivery(header, body, received), [signatureKey], 0)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses the same event pretty-printed', () => {
    const pretty = JSON.stringify(JSON.parse(body), null, 4);
    expect(squareSignature({ notificationUrl }).verify(delivery(header, pretty, received), [signatureKey], 0).ok).toBe(false);
  });
});

describe('Xero (developer.xero.com/documentation/webhooks/configuring-your-server)', () => {
  const key = 'OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbgKTLz2uJ+xiACXGDBLrgdA==';
  // The intent-to-receive payload exactly as documented.
  const itr = '{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}';
  const signed = createHmac('sha256', key).update(itr).digest('base64');

  it('answers a correctly signed intent-to-receive with 200 and no body', () => {
    const result = xeroSignature().verify(delivery({ 'x-xero-signature': signed }, itr), [key], 0);
    expect(result).toEqual({ ok: true });
    expect(xeroReply(result)).toEqual({ status: 200, body: '' });
    expect(isXeroIntentToReceive(Buffer.from(itr))).toBe(true);
  });

  it('answers an incorrectly signed intent-to-receive with 401', () => {
    const wrong = createHmac('sha256', 'not the key').update(itr).digest('base64');
    const result = xeroSignature().verify(delivery({ 'x-xero-signature': wrong }, itr), [key], 0);
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
    expect(xeroReply(result)).toEqual({ status: 401, body: '' });
  });

  it('tells a real batch, or a body that is not JSON, from the probe', () => {
    const batch = '{"events":[{"resourceId":"c1","eventCategory":"INVOICE","eventType":"UPDATE"}],"firstEventSequence":1,"lastEventSequence":1}';
    expect(isXeroIntentToReceive(Buffer.from(batch))).toBe(false);
    expect(isXeroIntentToReceive(Buffer.from('not json'))).toBe(false);
    expect(isXeroIntentToReceive(Buffer.from('[]'))).toBe(false);
  });
});

describe('Mews shared secret (docs.mews.com/connector-api/events/wh-faq)', () => {
  const url = (query: string) => `https://gw.example.com/webhooks/pms?${query}`;
  const verify = (query: string, secrets = ['s3cr3t/+=&token']) => mewsSecret().verify(delivery({}, '{}', url(query)), secrets, 0);

  it('compares the URL-decoded query parameter with each active secret', () => {
    expect(verify(`secret=${encodeURIComponent('s3cr3t/+=&token')}`)).toEqual({ ok: true });
    expect(verify('secret=s3cr3t')).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a repeated parameter rather than picking one', () => {
    expect(verify('secret=a&secret=b', ['a', 'b'])).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('reads another parameter name when configured', () => {
    const scheme = mewsSecret({ param: 'token' });
    expect(scheme.verify(delivery({}, '{}', url('token=abc&secret=zzz')), ['abc'], 0)).toEqual({ ok: true });
  });
});

describe('generic HMAC', () => {
  it('verifies an independently computed sha256/hex signature with a prefix', () => {
    const body = '{"ping":true}';
    const header = `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`;
    const scheme = genericHmac({ header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
    expect(scheme.verify(delivery({ 'x-sig': header }, body), ['k'], 0)).toEqual({ ok: true });
    expect(scheme.verify(delivery({ 'x-sig': header.slice('sha256='.length) }, body), ['k'], 0)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it("signs `${timestamp}.` + body by default when a timestamp header is configured", () => {
    const body = '{"n":1}';
    const sig = createHmac('sha512', 'k').update(`1700000000.${body}`).digest('base64');
    const scheme = genericHmac({ header: 'x-sig', algorithm: 'sha512', encoding: 'base64', timestampHeader: 'x-ts' });
    const d = delivery({ 'x-sig': sig, 'x-ts': '1700000000' }, body);
    expect(scheme.verify(d, ['k'], 1_700_000_000_000)).toEqual({ ok: true, timestamp: 1_700_000_000_000 });
  });

  it('still checks freshness when the sender signs only the body', () => {
    const body = '{"n":1}';
    const sig = createHmac('sha1', 'k').update(body).digest('hex');
    const scheme = genericHmac({ header: 'x-sig', algorithm: 'sha1', encoding: 'hex', timestampHeader: 'x-ts', signedContent: 'body' });
    const d = delivery({ 'x-sig': sig, 'x-ts': '1700000000' }, body);
    expect(scheme.verify(d, ['k'], 1_700_000_000_000).ok).toBe(true);
    expect(scheme.verify(d, ['k'], 1_700_000_301_000)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });
});
