import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { hubspotV3 } from '../src/events/signatures/index.ts';
import { toUtc } from '../src/connectors/mapping.ts';
import type { Customer } from '../src/generated/schema.ts';
import { customerInput, customerPatch, type CustomerInput, type CustomerPatch } from './_inputs.ts';

/**
 * CRM — shaped after HubSpot CRM v3 (https://developers.hubspot.com/docs/api/crm/contacts).
 * Contacts keep their fields in a `properties` bag of strings; reads name the properties they
 * want; batch read takes up to 100 ids (or emails with `idProperty: 'email'`); OAuth2 tokens
 * expire after 30 minutes. The CRM is the master record of a customer: its id is the unified id.
 */

const PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'createdate', 'lastmodifieddate'];

const contact = z.object({
  id: z.string(),
  properties: z.object({
    email: z.string(),
    firstname: z.string().nullish(),
    lastname: z.string().nullish(),
    phone: z.string().nullish(),
    createdate: z.string().nullish(),
    lastmodifieddate: z.string().nullish(),
  }),
});
type Contact = z.infer<typeof contact>;

/** The CRM's view of a customer; the other systems' ids are found through `links`. */
export type CrmCustomer = Pick<Customer, 'id' | 'email' | 'firstName' | 'lastName' | 'phone' | 'createdAt' | 'updatedAt'> & {
  links: { email: string; crm: string };
};

function toCustomer(c: Contact): CrmCustomer {
  const p = c.properties;
  return {
    id: c.id,
    email: p.email,
    firstName: p.firstname || null,
    lastName: p.lastname || null,
    phone: p.phone || null,
    createdAt: p.createdate ? toUtc(p.createdate) : null,
    updatedAt: p.lastmodifieddate ? toUtc(p.lastmodifieddate) : null,
    links: { email: p.email, crm: c.id },
  };
}

function properties(input: Partial<CustomerInput>): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.email !== undefined) out.email = input.email;
  if (input.firstName !== undefined) out.firstname = input.firstName;
  if (input.lastName !== undefined) out.lastname = input.lastName;
  if (input.phone) out.phone = input.phone;
  return out;
}

const batchRead = (idProperty?: 'email') => ({
  method: 'POST' as const,
  path: '/crm/v3/objects/contacts/batch/read',
  body: (keys: readonly unknown[]) => ({ properties: PROPERTIES, ...(idProperty && { idProperty }), inputs: keys.map((id) => ({ id: String(id) })) }),
  items: (raw: { results?: unknown[] }) => raw.results ?? [],
});

/** One entry of a HubSpot webhook batch (https://developers.hubspot.com/docs/api/webhooks). */
interface HubSpotEvent {
  eventId: number;
  subscriptionId: number;
  subscriptionType: string;
  occurredAt: number;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
}
const CONTACT_EVENTS: Record<string, string> = {
  'contact.creation': 'customer.created',
  'contact.propertyChange': 'customer.updated',
  'contact.deletion': 'customer.deleted',
};

export default defineConnector({
  name: 'crm',
  title: 'CRM (HubSpot CRM v3)',
  apiVersion: 'v3',
  auth: {
    type: 'oauth2',
    grant: 'client_credentials',
    tokenUrl: '/oauth/v1/token',
    clientId: secret('CLIENT_ID'),
    clientSecret: secret('CLIENT_SECRET'),
  },
  // HubSpot private apps: 190 calls per rolling 10 seconds.
  quota: { requests: 190, per: 'second', concurrency: 10 },
  rateLimit: (headers) => {
    const remaining = Number(headers['x-hubspot-ratelimit-remaining']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    return remaining === 0 && interval > 0 ? { pauseMs: Math.min(interval, 10_000) } : undefined;
  },
  cacheTtlSeconds: 30,
  errorMessage: (body: { message?: unknown }) => (typeof body?.message === 'string' ? body.message : undefined),
  endpoints: {
    createContact: {
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      args: ['customer'],
      input: z.object({ customer: customerInput }),
      body: (args) => ({ properties: properties(args.customer as CustomerInput) }),
      id: (raw: { id: string }) => raw.id,
      map: (raw: { id: string }) => ({ id: raw.id }),
      // HubSpot has no idempotency keys; the email is unique, and a repeat answers 409 naming the contact.
      existing: ({ status, body }) => (status === 409 ? /Existing ID: (\d+)/.exec(String(body?.message))?.[1] : undefined),
    },
    updateContact: {
      method: 'PATCH',
      path: '/crm/v3/objects/contacts/{id}',
      args: ['id', 'patch'],
      input: z.object({ id: z.string(), patch: customerPatch }),
      body: (args) => ({ properties: properties(args.patch as CustomerPatch) }),
      id: (raw: { id: string }) => raw.id,
      map: (raw: { id: string }) => ({ id: raw.id }),
      touches: (args) => [`crm:contact:${String(args.id)}`],
    },
    archiveContact: {
      method: 'DELETE',
      path: '/crm/v3/objects/contacts/{id}',
      args: ['id'],
      id: (_raw, args) => String(args.id),
      map: () => null,
    },
    createNote: {
      method: 'POST',
      path: '/crm/v3/objects/notes',
      args: ['contactId', 'text'],
      body: (args) => ({
        properties: { hs_note_body: String(args.text), hs_timestamp: new Date().toISOString() },
        // 202: HubSpot's association type "note to contact".
        associations: [{ to: { id: String(args.contactId) }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
      }),
      id: (raw: { id: string }) => raw.id,
      map: (raw: { id: string }) => ({ id: raw.id }),
    },
    contact: {
      path: '/crm/v3/objects/contacts/{id}',
      args: ['id'],
      query: () => ({ properties: PROPERTIES }),
      response: contact,
      map: toCustomer,
      batch: { key: 'id', ...batchRead(), keyOf: (c: Contact) => c.id },
      touches: (args) => [`crm:contact:${String(args.id)}`],
    },
    contactByEmail: {
      path: '/crm/v3/objects/contacts/{email}',
      args: ['email'],
      query: () => ({ idProperty: 'email', properties: PROPERTIES }),
      response: contact,
      map: toCustomer,
      batch: { key: 'email', ...batchRead('email'), keyOf: (c: Contact) => c.properties.email },
      touches: (_args, result) => (result ? [`crm:contact:${(result as CrmCustomer).id}`] : []),
    },
    contacts: {
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      args: ['search?'],
      // A search is a read, whatever its method.
      idempotent: true,
      cacheTtlSeconds: 10,
      body: (args) => ({
        ...(typeof args.search === 'string' && args.search !== '' && { query: args.search }),
        properties: PROPERTIES,
        sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
      }),
      response: contact,
      map: toCustomer,
      pagination: {
        style: 'cursor',
        in: 'body',
        cursorParam: 'after',
        sizeParam: 'limit',
        maxPageSize: 100,
        items: (raw: { results?: unknown[] }) => raw.results ?? [],
        next: (raw: { paging?: { next?: { after?: string } } }) => raw.paging?.next?.after,
      },
    },
  },
  // HubSpot v3 signatures, keyed with the app's client secret; POSTs a batch of events.
  webhooks: {
    scheme: hubspotV3(),
    secrets: ['WEBHOOK_SECRET', 'WEBHOOK_SECRET_PREVIOUS?'],
    types: ['customer.created', 'customer.updated', 'customer.deleted'],
    events: (batch: HubSpotEvent[]) =>
      (Array.isArray(batch) ? batch : []).flatMap((e) => {
        const type = CONTACT_EVENTS[e.subscriptionType];
        if (!type) return [];
        const id = String(e.objectId);
        return [
          {
            // HubSpot does not promise eventId is unique on its own; with the subscription and time it is.
            id: `${e.subscriptionId}:${e.eventId}:${e.occurredAt}`,
            type,
            occurredAt: e.occurredAt,
            subject: { type: 'contact', id },
            data: { propertyName: e.propertyName ?? null, propertyValue: e.propertyValue ?? null },
            purges: [`crm:contact:${id}`],
          },
        ];
      }),
  },
});
