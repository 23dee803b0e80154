import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReference, type Reference } from '../support/reference.ts';
import { AUDIENCE, bearer, ISSUER, post, signHs256 } from './support.ts';

/**
 * The reference schema's scoped fields (invoices by id need accounting:read, the booking and
 * payment mutations need writes, dead letters and replays need admin) under every role, on the
 * six simulators. Arguments are chosen so that an allowed mutation finds no record and writes
 * nothing: the point is who gets past `@auth`, not the write.
 */

const SECRET = 'reference-scope-matrix-hs256-secret-012345';
const ROLES: Record<string, string[] | undefined> = { anonymous: undefined, 'no scopes': [], accounting: ['accounting:read'], writes: ['writes'], admin: ['admin'] };

let ref: Reference;
let invoiceId: string;

beforeAll(async () => {
  ref = await startReference({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE });
  invoiceId = ((await ref.admin('accounting', 'records/invoices')) as Array<{ InvoiceID: string }>)[0]!.InvoiceID;
});
afterAll(async () => {
  await ref?.stop();
});

const FIELDS: Record<string, { query: () => string; scope: string }> = {
  'Query.invoice': { query: () => `{ invoice(id: "${invoiceId}") { id number } about { name } }`, scope: 'accounting:read' },
  'Mutation.recordPayment': { query: () => 'mutation { recordPayment(input: { invoiceId: "no-such-invoice", amount: "1.00", date: "2026-01-01" }) { id } }', scope: 'writes' },
  'Mutation.createReservation': {
    query: () => 'mutation { createReservation(input: { customerId: "no-such-guest", serviceId: "s", roomCategoryId: "r", ageCategoryId: "a", guestCount: 1, checkIn: "2026-05-01T14:00:00Z", checkOut: "2026-05-02T10:00:00Z" }) { id } }',
    scope: 'writes',
  },
  'Query.deadLetters': { query: () => '{ deadLetters { operationId } }', scope: 'admin' },
  'Mutation.replayDeadLetters': { query: () => 'mutation { replayDeadLetters { operationId } }', scope: 'admin' },
};

const cases = Object.entries(FIELDS).flatMap(([name, field]) =>
  Object.entries(ROLES).map(([role, scopes]) => [name, role, scopes === undefined ? 'UNAUTHENTICATED' : scopes.includes(field.scope) ? 'allowed' : 'FORBIDDEN'] as const),
);

describe('the reference schema under each role', () => {
  it.each(cases)('%s as %s: %s', async (name, role, outcome) => {
    const scopes = ROLES[role];
    const headers = scopes === undefined ? {} : bearer(signHs256(SECRET, { sub: `ref-${role}`, scope: scopes.join(' ') }));
    const field = name.split('.')[1]!;
    const { status, body } = await post(ref.gateway, { query: FIELDS[name]!.query() }, headers);
    expect(status).toBe(200);
    const refusal = body.errors?.find((e: any) => e.path?.[0] === field && ['UNAUTHENTICATED', 'FORBIDDEN'].includes(e.extensions.code));
    expect(refusal?.extensions.code ?? 'allowed').toBe(outcome);
    if (name === 'Query.invoice') {
      expect(body.data.about.name).toBe('Interchange');
      expect(body.data.invoice).toEqual(outcome === 'allowed' ? { id: invoiceId, number: expect.any(String) } : null);
    }
  });
});
