import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { mewsSecret } from '../src/events/signatures/index.ts';
import { enumFrom, toUtc } from '../src/connectors/mapping.ts';
import type { Reservation, ReservationStatus } from '../src/generated/schema.ts';
import { customerInput, customerPatch, reservationInput, type CustomerInput, type CustomerPatch, type ReservationInput } from './_inputs.ts';

/**
 * Hotel PMS — shaped after the Mews Connector API (https://docs.mews.com/connector-api).
 * Every call is a POST whose JSON body carries `ClientToken`, `AccessToken` and `Client`; reads
 * are `…/getAll` with filters and a `Limitation { Count, Cursor }`; time intervals are UTC; one
 * access token can span several properties (enterprises). 200 calls per 30 seconds per token.
 */

const base = '/api/connector/v1';

const reservation = z.object({
  Id: z.string(),
  Number: z.string().nullish(),
  EnterpriseId: z.string(),
  AccountId: z.string().nullish(),
  State: z.string(),
  ScheduledStartUtc: z.string(),
  ScheduledEndUtc: z.string(),
  PersonCounts: z.array(z.object({ Count: z.number() })).nullish(),
});
type MewsReservation = z.infer<typeof reservation>;

const customer = z.object({ Id: z.string(), Email: z.string().nullish() });
type MewsCustomer = z.infer<typeof customer>;

const STATE: Record<string, ReservationStatus> = {
  Inquired: 'INQUIRED',
  Optional: 'OPTIONAL',
  Confirmed: 'CONFIRMED',
  Started: 'CHECKED_IN',
  Processed: 'CHECKED_OUT',
  Canceled: 'CANCELED',
};

function customerBody(input: Partial<CustomerInput>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (input.firstName !== undefined) out.FirstName = input.firstName;
  if (input.lastName !== undefined) out.LastName = input.lastName;
  if (input.email !== undefined) out.Email = input.email;
  if (input.phone) out.Phone = input.phone;
  return out;
}

export type PmsReservation = Omit<Reservation, 'guest' | 'guestEmail'>;

function toReservation(r: MewsReservation): PmsReservation {
  return {
    id: r.Id,
    number: r.Number ?? null,
    propertyId: r.EnterpriseId,
    status: enumFrom(STATE, r.State, 'reservation State'),
    checkIn: toUtc(r.ScheduledStartUtc),
    checkOut: toUtc(r.ScheduledEndUtc),
    guestCount: (r.PersonCounts ?? []).reduce((sum, p) => sum + p.Count, 0),
    guestId: r.AccountId ?? null,
  };
}

const reservations = (raw: { Reservations?: unknown[] }) => raw.Reservations ?? [];
const customers = (raw: { Customers?: unknown[] }) => raw.Customers ?? [];

/** Mews answers a cursor on every page; a page shorter than asked for is the last. */
const cursorPages = {
  style: 'cursor' as const,
  in: 'body' as const,
  cursorParam: 'Limitation.Cursor',
  sizeParam: 'Limitation.Count',
  maxPageSize: 1000,
  items: reservations,
  next: (raw: { Cursor?: string | null; Reservations?: unknown[] }, size: number) => ((raw.Reservations?.length ?? 0) < size ? undefined : raw.Cursor),
};

// Every Mews read is a POST that changes nothing.
const read = { method: 'POST' as const, idempotent: true };

/** A Mews general webhook (https://docs.mews.com/connector-api/events/wh-general). */
interface MewsWebhook {
  EnterpriseId: string;
  Events?: Array<{ Discriminator: string; Value?: { Id?: string } }>;
}
const MEWS_EVENTS: Record<string, string> = {
  ServiceOrderUpdated: 'reservation.changed',
  CustomerAdded: 'customer.created',
  CustomerUpdated: 'customer.updated',
};

export default defineConnector({
  name: 'pms',
  title: 'Hotel PMS (Mews Connector API)',
  apiVersion: 'v1',
  auth: {
    type: 'bodyTokens',
    fields: { ClientToken: secret('CLIENT_TOKEN'), AccessToken: secret('ACCESS_TOKEN'), Client: 'Interchange/0.1' },
  },
  quota: { requests: 200, per: 'minute', concurrency: 8 },
  cacheTtlSeconds: 30,
  errorMessage: (body: { Message?: unknown }) => (typeof body?.Message === 'string' ? body.Message : undefined),
  endpoints: {
    createCustomer: {
      method: 'POST',
      path: `${base}/customers/add`,
      args: ['customer'],
      input: z.object({ customer: customerInput }),
      // Mews has no idempotency keys; OverwriteExisting makes the email the key, so a repeat updates the same customer.
      body: (args) => ({ ...customerBody(args.customer as CustomerInput), OverwriteExisting: true }),
      id: (raw: { Id: string }) => raw.Id,
      map: (raw: { Id: string }) => ({ id: raw.Id }),
    },
    updateCustomer: {
      method: 'POST',
      path: `${base}/customers/update`,
      args: ['id', 'patch'],
      input: z.object({ id: z.string(), patch: customerPatch }),
      body: (args) => ({ CustomerId: String(args.id), ...customerBody(args.patch as CustomerPatch) }),
      id: (raw: { Id: string }) => raw.Id,
      map: () => null,
    },
    addReservation: {
      method: 'POST',
      path: `${base}/reservations/add`,
      args: ['customerId', 'reservation', 'identifier?'],
      input: z.object({ reservation: reservationInput }),
      body: (args) => {
        const r = args.reservation as ReservationInput;
        return {
          ServiceId: r.serviceId,
          Reservations: [
            {
              Identifier: args.identifier == null ? undefined : String(args.identifier),
              State: 'Confirmed',
              StartUtc: new Date(r.checkIn).toISOString(),
              EndUtc: new Date(r.checkOut).toISOString(),
              CustomerId: String(args.customerId),
              RequestedCategoryId: r.roomCategoryId,
              PersonCounts: [{ AgeCategoryId: r.ageCategoryId, Count: r.guestCount }],
              Notes: r.note ?? undefined,
            },
          ],
        };
      },
      id: (raw: { Reservations?: Array<{ Reservation: { Id: string } }> }) => raw.Reservations?.[0]?.Reservation.Id,
      map: (raw: { Reservations?: Array<{ Reservation: { Id: string; Number?: string } }> }) => ({ number: raw.Reservations?.[0]?.Reservation.Number ?? null }),
    },
    reservation: {
      ...read,
      path: `${base}/reservations/getAll/2023-06-06`,
      args: ['id'],
      body: (args) => ({ ReservationIds: [args.id], Limitation: { Count: 1 } }),
      unwrap: (raw) => reservations(raw)[0],
      response: reservation,
      map: toReservation,
      batch: { key: 'id', maxSize: 1000, body: (ids) => ({ ReservationIds: ids, Limitation: { Count: 1000 } }), items: reservations, keyOf: (r: MewsReservation) => r.Id },
      touches: (args) => [`pms:reservation:${String(args.id)}`],
    },
    reservations: {
      ...read,
      path: `${base}/reservations/getAll/2023-06-06`,
      args: ['from', 'to'],
      body: (args) => ({ CollidingUtc: { StartUtc: args.from, EndUtc: args.to } }),
      response: reservation,
      map: toReservation,
      pagination: cursorPages,
    },
    reservationsByCustomer: {
      ...read,
      path: `${base}/reservations/getAll/2023-06-06`,
      args: ['customerId'],
      body: (args) => ({ AccountIds: [args.customerId] }),
      response: reservation,
      map: toReservation,
      pagination: cursorPages,
    },
    customerIdByEmail: {
      ...read,
      path: `${base}/customers/getAll`,
      args: ['email'],
      body: (args) => ({ Emails: [args.email], Limitation: { Count: 1 } }),
      unwrap: (raw) => customers(raw)[0],
      response: customer,
      map: (c: MewsCustomer) => c.Id,
      batch: { key: 'email', maxSize: 1000, body: (emails) => ({ Emails: emails, Limitation: { Count: 1000 } }), items: customers, keyOf: (c: MewsCustomer) => c.Email },
      cacheTtlSeconds: 60,
    },
    customerEmail: {
      ...read,
      path: `${base}/customers/getAll`,
      args: ['id'],
      body: (args) => ({ CustomerIds: [args.id], Limitation: { Count: 1 } }),
      unwrap: (raw) => customers(raw)[0],
      response: customer,
      map: (c: MewsCustomer) => c.Email ?? null,
      batch: { key: 'id', maxSize: 1000, body: (ids) => ({ CustomerIds: ids, Limitation: { Count: 1000 } }), items: customers, keyOf: (c: MewsCustomer) => c.Id },
    },
  },
  // Mews signs nothing: the shared secret rides in the webhook URL's query string (`?secret=`).
  webhooks: {
    scheme: mewsSecret(),
    secrets: ['WEBHOOK_SECRET', 'WEBHOOK_SECRET_PREVIOUS?'],
    types: ['reservation.changed', 'customer.created', 'customer.updated'],
    events: (payload: MewsWebhook, delivery) =>
      (payload.Events ?? []).flatMap((e, i) => {
        const type = MEWS_EVENTS[e.Discriminator];
        const id = e.Value?.Id;
        if (!type || !id) return [];
        const reservation = type === 'reservation.changed';
        return [
          {
            // Mews sends no event id, and two changes to one record send identical bodies: every
            // delivery is a new event (a Mews retry may therefore be seen twice).
            id: `${delivery.digest}:${delivery.receivedAt}:${i}`,
            type,
            subject: { type: reservation ? 'reservation' : 'customer', id },
            data: reservation ? { reservationId: id, propertyId: payload.EnterpriseId } : { customerId: id },
            purges: [`pms:${reservation ? 'reservation' : 'customer'}:${id}`],
          },
        ];
      }),
  },
});
