import { z } from 'zod';
import { defineConnector, secret } from '../src/connectors/define.ts';
import { xeroSignature } from '../src/events/signatures/index.ts';
import { enumFrom, fromMsJsonDate, moneyFromDecimal, toDate } from '../src/connectors/mapping.ts';
import type { Invoice, InvoiceStatus } from '../src/generated/schema.ts';
import { customerInput, customerPatch, paymentInput, type CustomerInput, type CustomerPatch } from './_inputs.ts';

/**
 * Accounting — shaped after Xero Accounting API 2.0 (https://developer.xero.com/documentation/api/accounting/overview).
 * OAuth2 client credentials (custom connection) with HTTP Basic client auth; every call names
 * the organisation in `xero-tenant-id`; PascalCase records wrapped in a plural envelope; dates in
 * Microsoft JSON form `/Date(1518685950940+0000)/`; `IDs=` and `where=` filters for batch reads;
 * 60 calls per minute and 5 at a time per organisation.
 */

const base = '/api.xro/2.0';

const invoice = z.object({
  InvoiceID: z.string(),
  InvoiceNumber: z.string(),
  Reference: z.string().nullish(),
  Status: z.string(),
  Contact: z.object({ ContactID: z.string() }),
  Date: z.string(),
  DueDate: z.string().nullish(),
  Total: z.number(),
  AmountDue: z.number(),
  AmountPaid: z.number(),
  CurrencyCode: z.string(),
  Payments: z.array(z.object({ PaymentID: z.string(), Date: z.string(), Amount: z.number() })).nullish(),
  UpdatedDateUTC: z.string().nullish(),
});
type XeroInvoice = z.infer<typeof invoice>;

const contact = z.object({ ContactID: z.string(), EmailAddress: z.string().nullish() });
type XeroContact = z.infer<typeof contact>;

const STATUS: Record<string, InvoiceStatus> = {
  DRAFT: 'DRAFT',
  SUBMITTED: 'SUBMITTED',
  AUTHORISED: 'AUTHORISED',
  PAID: 'PAID',
  VOIDED: 'VOIDED',
  DELETED: 'DELETED',
};

function contactBody(input: Partial<CustomerInput>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (input.firstName !== undefined && input.lastName !== undefined) out.Name = `${input.firstName} ${input.lastName}`;
  if (input.firstName !== undefined) out.FirstName = input.firstName;
  if (input.lastName !== undefined) out.LastName = input.lastName;
  if (input.email !== undefined) out.EmailAddress = input.email;
  if (input.phone) out.Phones = [{ PhoneType: 'DEFAULT', PhoneNumber: input.phone }];
  return out;
}

export type AccountingInvoice = Omit<Invoice, 'customer' | 'contactEmail' | 'orderId'>;

function toInvoice(i: XeroInvoice): AccountingInvoice {
  const currency = i.CurrencyCode;
  return {
    id: i.InvoiceID,
    number: i.InvoiceNumber,
    reference: i.Reference || null,
    status: enumFrom(STATUS, i.Status, 'invoice Status'),
    issuedOn: toDate(i.Date),
    dueOn: i.DueDate ? toDate(i.DueDate) : null,
    total: moneyFromDecimal(i.Total, currency),
    amountDue: moneyFromDecimal(i.AmountDue, currency),
    amountPaid: moneyFromDecimal(i.AmountPaid, currency),
    payments: (i.Payments ?? []).map((p) => ({ id: p.PaymentID, date: toDate(p.Date), amount: moneyFromDecimal(p.Amount, currency) })),
    updatedAt: i.UpdatedDateUTC ? fromMsJsonDate(i.UpdatedDateUTC) : null,
    contactId: i.Contact.ContactID,
  };
}

/** A `where` clause matching any of `values` on `field`; quotes and backslashes are escaped. */
export function whereAny(field: string, values: readonly unknown[]): string {
  return values.map((v) => `${field}=="${String(v).replace(/["\\]/g, '\\$&')}"`).join(' OR ');
}

const invoices = (raw: { Invoices?: unknown[] }) => raw.Invoices ?? [];
const contacts = (raw: { Contacts?: unknown[] }) => raw.Contacts ?? [];

/** A Xero webhook delivery (https://developer.xero.com/documentation/guides/webhooks/overview). */
interface XeroWebhookBatch {
  events?: Array<{ resourceId: string; eventDateUtc: string; eventType: string; eventCategory: string; tenantId: string }>;
  firstEventSequence: number;
}

export default defineConnector({
  name: 'accounting',
  title: 'Accounting (Xero Accounting 2.0)',
  apiVersion: '2.0',
  auth: {
    type: 'oauth2',
    grant: 'client_credentials',
    tokenUrl: '/connect/token',
    clientAuth: 'basic',
    clientId: secret('CLIENT_ID'),
    clientSecret: secret('CLIENT_SECRET'),
  },
  headers: { 'xero-tenant-id': secret('TENANT_ID'), Accept: 'application/json' },
  quota: { requests: 60, per: 'minute', concurrency: 5 },
  cacheTtlSeconds: 60,
  errorMessage: (body: { Elements?: Array<{ ValidationErrors?: Array<{ Message?: string }> }>; Detail?: string; Message?: string }) =>
    body?.Elements?.flatMap((e) => e.ValidationErrors ?? []).map((e) => e.Message).filter(Boolean).join('; ') || body?.Detail || body?.Message,
  endpoints: {
    createContact: {
      method: 'POST',
      path: `${base}/Contacts`,
      args: ['customer', 'crmId?'],
      idempotency: { header: 'Idempotency-Key' },
      input: z.object({ customer: customerInput }),
      body: (args) => ({ Contacts: [{ ...contactBody(args.customer as CustomerInput), ContactNumber: args.crmId ?? undefined }] }),
      id: (raw) => (contacts(raw)[0] as XeroContact | undefined)?.ContactID,
      map: (raw) => ({ id: (contacts(raw)[0] as XeroContact | undefined)?.ContactID ?? null }),
      // Names are unique among active contacts: a contact for this email may exist already (created outside the gateway).
      existing: ({ status, body }, args) =>
        status === 400 && JSON.stringify(body ?? '').includes('already assigned to another contact')
          ? { lookup: 'contactIdByEmail', args: { email: (args.customer as CustomerInput).email } }
          : undefined,
    },
    updateContact: {
      method: 'POST',
      path: `${base}/Contacts/{id}`,
      args: ['id', 'patch'],
      idempotency: { header: 'Idempotency-Key' },
      input: z.object({ id: z.string(), patch: customerPatch }),
      body: (args) => ({ Contacts: [{ ContactID: String(args.id), ...contactBody(args.patch as CustomerPatch) }] }),
      id: (_raw, args) => String(args.id),
      map: () => null,
    },
    createPayment: {
      method: 'PUT',
      path: `${base}/Payments`,
      args: ['payment'],
      idempotency: { header: 'Idempotency-Key' },
      input: z.object({ payment: paymentInput }),
      body: (args) => {
        const p = args.payment as z.infer<typeof paymentInput>;
        // 090: the bank account payments land in (a BANK-type account, as Xero requires).
        return { Payments: [{ Invoice: { InvoiceID: p.invoiceId }, Account: { Code: '090' }, Date: p.date, Amount: Number(p.amount) }] };
      },
      id: (raw: { Payments?: Array<{ PaymentID: string }> }) => raw.Payments?.[0]?.PaymentID,
      map: () => null,
      touches: (args) => [`accounting:invoice:${String((args.payment as { invoiceId: string }).invoiceId)}`],
    },
    invoice: {
      path: `${base}/Invoices/{id}`,
      args: ['id'],
      unwrap: (raw) => invoices(raw)[0],
      response: invoice,
      map: toInvoice,
      batch: { key: 'id', path: `${base}/Invoices`, query: (ids) => ({ IDs: ids.join(',') }), items: invoices, keyOf: (i: XeroInvoice) => i.InvoiceID },
      touches: (args) => [`accounting:invoice:${String(args.id)}`],
    },
    invoiceByReference: {
      path: `${base}/Invoices`,
      args: ['reference'],
      query: (args) => ({ where: whereAny('Reference', [args.reference]) }),
      unwrap: (raw) => invoices(raw)[0],
      response: invoice,
      map: toInvoice,
      batch: { key: 'reference', query: (refs) => ({ where: whereAny('Reference', refs) }), items: invoices, keyOf: (i: XeroInvoice) => i.Reference },
    },
    invoicesByContact: {
      path: `${base}/Invoices`,
      args: ['contactId'],
      query: (args) => ({ ContactIDs: String(args.contactId) }),
      response: invoice,
      map: toInvoice,
      pagination: { style: 'page', pageParam: 'page', sizeParam: 'pageSize', maxPageSize: 100, items: invoices },
    },
    contactIdByEmail: {
      path: `${base}/Contacts`,
      args: ['email'],
      query: (args) => ({ where: whereAny('EmailAddress', [args.email]) }),
      unwrap: (raw) => contacts(raw)[0],
      response: contact,
      map: (c: XeroContact) => c.ContactID,
      batch: { key: 'email', query: (emails) => ({ where: whereAny('EmailAddress', emails) }), items: contacts, keyOf: (c: XeroContact) => c.EmailAddress },
      cacheTtlSeconds: 60,
    },
    contactEmail: {
      path: `${base}/Contacts/{id}`,
      args: ['id'],
      unwrap: (raw) => contacts(raw)[0],
      response: contact,
      map: (c: XeroContact) => c.EmailAddress ?? null,
      batch: { key: 'id', path: `${base}/Contacts`, query: (ids) => ({ IDs: ids.join(',') }), items: contacts, keyOf: (c: XeroContact) => c.ContactID },
    },
  },
  // Base64 HMAC of the raw body, keyed with the webhook key. An empty batch is Xero's
  // intent-to-receive probe: verified, answered 200, nothing logged.
  webhooks: {
    scheme: xeroSignature(),
    secrets: ['WEBHOOK_KEY', 'WEBHOOK_KEY_PREVIOUS?'],
    types: ['invoice.created', 'invoice.updated', 'contact.created', 'contact.updated'],
    events: (batch: XeroWebhookBatch) =>
      (batch.events ?? []).flatMap((e, i) => {
        const entity = e.eventCategory === 'INVOICE' ? 'invoice' : e.eventCategory === 'CONTACT' ? 'contact' : undefined;
        const change = e.eventType === 'CREATE' ? 'created' : e.eventType === 'UPDATE' ? 'updated' : undefined;
        if (!entity || !change) return [];
        return [
          {
            // Xero numbers the events of a subscription; the batch says where its numbers start.
            id: `${e.tenantId}:${batch.firstEventSequence + i}`,
            type: `${entity}.${change}`,
            // Xero writes UTC without an offset.
            occurredAt: /[zZ]|[+-]\d\d:?\d\d$/.test(e.eventDateUtc) ? e.eventDateUtc : `${e.eventDateUtc}Z`,
            subject: { type: entity, id: e.resourceId },
            data: { tenantId: e.tenantId },
            purges: [`accounting:${entity}:${e.resourceId}`],
          },
        ];
      }),
  },
});
