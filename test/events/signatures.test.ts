import { describe, expect, it } from 'vitest';

import type { WebhookDelivery } from '../../src/events/signatures/index.ts';
import { cases, NOW, readCarrier, signed, withSignature, type Case } from './signature-cases.ts';

/**
 * One contract every scheme passes: the genuine delivery is accepted, and every way of
 * tampering with it is refused with the reason a log reader would expect.
 */

const verifyAt = (c: Case, d: WebhookDelivery, at = NOW) => c.scheme.verify(d, c.secrets, at);

describe.each(cases)('$name', (c) => {
  const verify = (d: WebhookDelivery) => verifyAt(c, d);

  it('accepts a correctly signed delivery', () => {
    const result = verify(signed(c));
    expect(result.ok).toBe(true);
    if (result.ok && c.returnsEventId) expect(result.eventId).toBe('delivery-42');
    if (result.ok && c.timestamp) expect(Math.abs((result.timestamp ?? 0) - NOW)).toBeLessThan(1_000);
  });

  it('accepts a delivery signed with either of two active secrets during a rotation', () => {
    const [oldest, newest] = c.secrets;
    expect(verify(signed(c, { secret: newest })).ok).toBe(true);
    expect(verify(signed(c, { secret: oldest })).ok).toBe(true);
  });

  it('refuses a delivery signed with a secret that is not active', () => {
    expect(verify(signed(c, { secret: c.wrongSecret }))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a delivery without a signature', () => {
    expect(verify(withSignature(signed(c), c.carrier, undefined))).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('refuses a signature that is not in the vendor format', () => {
    expect(verify(withSignature(signed(c), c.carrier, c.malformed))).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('refuses a well-formed signature of a different length without throwing', () => {
    const genuine = signed(c);
    const short = withSignature(genuine, c.carrier, c.short(readCarrier(genuine, c.carrier)));
    expect(() => verify(short)).not.toThrow();
    expect(verify(short)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails closed when no secret is configured', () => {
    expect(c.scheme.verify(signed(c), [], NOW)).toEqual({ ok: false, reason: 'no_secret' });
  });
});

describe.each(cases.filter((c) => c.authenticatesBody))('$name: the body is authenticated', (c) => {
  it('refuses a body with one flipped bit', () => {
    const genuine = signed(c);
    const rawBody = Buffer.from(genuine.rawBody);
    rawBody[Math.floor(rawBody.length / 2)]! ^= 0x01;
    expect(verifyAt(c, { ...genuine, rawBody })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses the same JSON re-serialised with different spacing', () => {
    const genuine = signed(c);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(genuine.rawBody.toString('utf8')), null, 2));
    expect(reserialised.equals(genuine.rawBody)).toBe(false);
    expect(verifyAt(c, { ...genuine, rawBody: reserialised })).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe.each(cases.filter((c) => !c.authenticatesBody))('$name: the body is NOT authenticated', (c) => {
  it('accepts a changed body when the URL carries the right secret (the vendor signs nothing)', () => {
    expect(verifyAt(c, { ...signed(c), rawBody: Buffer.from('{"forged":true}') }).ok).toBe(true);
  });
});

describe.each(cases.flatMap((c) => (c.timestamp ? [{ ...c, tolerance: c.timestamp.toleranceMs }] : [])))(
  '$name: signed timestamps',
  (c) => {
    it('refuses a genuine delivery older than the tolerance', () => {
      expect(verifyAt(c, signed(c, { now: NOW - c.tolerance - 1_000 }))).toEqual({ ok: false, reason: 'stale_timestamp' });
    });

    it('refuses a genuine delivery further in the future than the tolerance', () => {
      expect(verifyAt(c, signed(c, { now: NOW + c.tolerance + 1_000 }))).toEqual({ ok: false, reason: 'future_timestamp' });
    });

    it('accepts a delivery just inside the tolerance on either side', () => {
      expect(verifyAt(c, signed(c, { now: NOW - c.tolerance + 1_000 })).ok).toBe(true);
      expect(verifyAt(c, signed(c, { now: NOW + c.tolerance - 1_000 })).ok).toBe(true);
    });
  },
);

describe.each(cases.filter((c) => c.timestamp !== undefined && c.timestamp.header !== c.carrier.name))(
  '$name: timestamp header',
  (c) => {
    it('refuses a delivery without its timestamp header', () => {
      const genuine = signed(c);
      const headers = { ...genuine.headers };
      delete headers[c.timestamp?.header ?? ''];
      expect(verifyAt(c, { ...genuine, headers })).toEqual({ ok: false, reason: 'missing_timestamp' });
    });

    it('refuses a timestamp that is not whole digits', () => {
      const genuine = signed(c);
      const headers = { ...genuine.headers, [c.timestamp?.header ?? '']: '1.7e9' };
      expect(verifyAt(c, { ...genuine, headers })).toEqual({ ok: false, reason: 'malformed_timestamp' });
    });
  },
);
