import { randomUUID } from 'node:crypto';
import {
  signGenericHmac,
  signGitHub,
  signHubSpotV3,
  signMews,
  signShopify,
  signSquare,
  signStandardWebhooks,
  signStripe,
  signXero,
  type WebhookDelivery,
} from '../../src/events/signatures/index.ts';
import { ACME_HMAC } from './fixtures/connectors/acme.ts';
import { FIXTURE_SECRETS } from './support.ts';

/**
 * Every scheme a connector can pick, as a vendor would send it to the running gateway: the
 * vendor-shaped body of one event (fresh ids each time), signed with a given secret and clock.
 */

export interface IntakeCase {
  name: string;
  connector: string;
  /** The reference connectors run against the simulators; the others on the event fixture. */
  gateway: 'reference' | 'fixture';
  /** [current, previous]; `undefined` current = the simulator's own credential. */
  secrets: readonly [string | undefined, string];
  /** The credential name in the simulator, for the current secret. */
  credential?: string;
  /** A secret that is not active, in the vendor's format; default a plain string. */
  wrongSecret?: string;
  sign(input: { secret: string; url: string; now: number }): WebhookDelivery;
  /** Signs a timestamp (tolerance 5 minutes either way). */
  timestamped: boolean;
  /** False for Mews, whose shared secret in the URL does not cover the body. */
  authenticatesBody: boolean;
}

const n = () => randomUUID().slice(0, 8);
const json = (value: unknown) => JSON.stringify(value);

export const CASES: IntakeCase[] = [
  {
    name: 'HubSpot v3 (crm)',
    connector: 'crm',
    gateway: 'reference',
    secrets: [undefined, 'previous-hubspot-client-secret'],
    credential: 'WEBHOOK_SECRET',
    timestamped: true,
    authenticatesBody: true,
    sign: ({ secret, url, now }) =>
      signHubSpotV3({
        secret,
        url,
        now,
        body: json([{ eventId: Math.floor(Math.random() * 1e9), subscriptionId: 40002, portalId: 1, appId: 2, occurredAt: now, subscriptionType: 'contact.propertyChange', attemptNumber: 0, objectId: 101, propertyName: 'phone', propertyValue: n() }]),
      }),
  },
  {
    name: 'Shopify (shop)',
    connector: 'shop',
    gateway: 'reference',
    secrets: [undefined, 'shpss_previous_secret'],
    credential: 'WEBHOOK_SECRET',
    timestamped: false,
    authenticatesBody: true,
    sign: ({ secret, url, now }) => {
      const d = signShopify({ secret, url, now, body: json({ id: Date.now(), name: `#${n()}`, email: 'x@example.com', financial_status: 'pending', created_at: new Date(now).toISOString(), customer: { id: 7 } }) });
      return { ...d, headers: { ...d.headers, 'x-shopify-topic': 'orders/create' } };
    },
  },
  {
    name: 'Xero (accounting)',
    connector: 'accounting',
    gateway: 'reference',
    secrets: [undefined, 'previous-xero-webhook-key'],
    credential: 'WEBHOOK_KEY',
    timestamped: false,
    authenticatesBody: true,
    sign: ({ secret, url, now }) => {
      const sequence = Math.floor(Math.random() * 1e9);
      const event = { resourceUrl: 'x', resourceId: randomUUID(), eventDateUtc: new Date(now).toISOString().replace('Z', ''), eventType: 'UPDATE', eventCategory: 'INVOICE', tenantId: 't-1', tenantType: 'ORGANISATION' };
      return signXero({ secret, url, now, body: json({ events: [event], firstEventSequence: sequence, lastEventSequence: sequence, entropy: n() }) });
    },
  },
  {
    name: 'Mews shared secret (pms)',
    connector: 'pms',
    gateway: 'reference',
    secrets: [undefined, 'previous-mews-secret'],
    credential: 'WEBHOOK_SECRET',
    timestamped: false,
    authenticatesBody: false,
    sign: ({ secret, url, now }) => signMews({ secret, url, now, body: json({ EnterpriseId: 'e-1', IntegrationId: 'i-1', Events: [{ Discriminator: 'ServiceOrderUpdated', Value: { Id: randomUUID() } }] }) }),
  },
  {
    name: 'Square (pos)',
    connector: 'pos',
    gateway: 'reference',
    secrets: [undefined, 'previous-square-signature-key'],
    credential: 'SIGNATURE_KEY',
    timestamped: false,
    authenticatesBody: true,
    sign: ({ secret, url, now }) =>
      signSquare({ secret, url, now, body: json({ merchant_id: 'm-1', type: 'order.updated', event_id: randomUUID(), created_at: new Date(now).toISOString(), data: { type: 'order_updated', id: n(), object: {} } }) }),
  },
  {
    name: 'Stripe (payments)',
    connector: 'payments',
    gateway: 'reference',
    secrets: [undefined, 'whsec_previousStripeSecret'],
    credential: 'WEBHOOK_SECRET',
    timestamped: true,
    authenticatesBody: true,
    sign: ({ secret, url, now }) =>
      signStripe({ secret, url, now, body: json({ id: `evt_${n()}`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(now / 1000), data: { object: { id: `pi_${n()}`, object: 'payment_intent', amount: 1200, currency: 'eur', metadata: { order: '#1001' } } } }) }),
  },
  {
    name: 'Standard Webhooks (people fixture)',
    connector: 'people',
    gateway: 'fixture',
    secrets: FIXTURE_SECRETS.people,
    wrongSecret: 'whsec_' + Buffer.from('an-attacker-secret').toString('base64'),
    timestamped: true,
    authenticatesBody: true,
    sign: ({ secret, url, now }) => signStandardWebhooks({ secret, url, now, body: json({ type: 'person.updated', person: { id: '1', name: n(), team_id: '1', updated_at: new Date(now).toISOString() } }) }),
  },
  {
    name: 'GitHub X-Hub-Signature-256 (gh fixture)',
    connector: 'gh',
    gateway: 'fixture',
    secrets: FIXTURE_SECRETS.gh,
    timestamped: false,
    authenticatesBody: true,
    sign: ({ secret, url, now }) => signGitHub({ secret, url, now, body: json({ ref: `refs/heads/${n()}` }) }),
  },
  {
    name: 'generic HMAC (acme fixture)',
    connector: 'acme',
    gateway: 'fixture',
    secrets: FIXTURE_SECRETS.acme,
    timestamped: true,
    authenticatesBody: true,
    sign: ({ secret, url, now }) => signGenericHmac({ secret, url, now, body: json({ thing: n() }) }, ACME_HMAC),
  },
];

/** The same delivery with one bit of its body flipped. */
export function flipByte(d: WebhookDelivery): WebhookDelivery {
  const rawBody = Buffer.from(d.rawBody);
  rawBody[Math.floor(rawBody.length / 2)]! ^= 0x01;
  return { ...d, rawBody };
}

/** The same JSON, parsed and serialised again with other spacing: the bytes differ. */
export function reserialise(d: WebhookDelivery): WebhookDelivery {
  return { ...d, rawBody: Buffer.from(JSON.stringify(JSON.parse(d.rawBody.toString('utf8')), null, 2)) };
}
