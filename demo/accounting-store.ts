import { randomUUID } from 'node:crypto';
import type { Guest, SeedData, SeedOrder } from './seed.ts';
import { DAY_MS } from './sim/ids.ts';

/** Xero records in the API's PascalCase shape, with Microsoft JSON dates. */

export type Json = Record<string, unknown>;

/** `/Date(1518685950940+0000)/` */
export function msDate(ms: number): string {
  return `/Date(${ms}+0000)/`;
}

/** Xero's `DateString`: the day, no zone. */
export function dayString(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 10)}T00:00:00`;
}

export function parseXeroDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value);
  if (ms) return Number(ms[1]);
  const parsed = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
export const amount = (cents: number) => Math.round(cents) / 100;

export const ACCOUNTS: Record<string, { AccountID: string; Code: string; Name: string; Type: string }> = {
  '090': { AccountID: 'ceef66a5-a545-413b-9312-78a53caadbc4', Code: '090', Name: 'Business Bank Account', Type: 'BANK' },
  '091': { AccountID: '3d09fd49-434d-4c18-a57b-831663ab70d2', Code: '091', Name: 'Business Savings Account', Type: 'BANK' },
  '200': { AccountID: '7d05a53d-613d-4eb2-a2fc-dcb6adb80b80', Code: '200', Name: 'Sales', Type: 'REVENUE' },
};

export class XeroStore {
  readonly contacts: Json[] = [];
  readonly contactsById = new Map<string, Json>();
  readonly invoices: Json[] = [];
  readonly invoicesById = new Map<string, Json>();
  readonly invoicesByNumber = new Map<string, Json>();
  readonly payments: Json[] = [];
  readonly paymentsById = new Map<string, Json>();

  constructor(data: SeedData) {
    for (const g of data.guests) this.addContact(seedContact(g));
    for (const o of data.orders) this.addInvoice(this.seedInvoice(o, data.guests[o.guestIndex]!));
  }

  addContact(c: Json): void {
    this.contacts.push(c);
    this.contactsById.set(c.ContactID as string, c);
  }

  /** Active contact by name, case-insensitively: Xero keeps names unique across active contacts. */
  contactByName(name: string): Json | undefined {
    const wanted = name.trim().toLowerCase();
    return this.contacts.find((c) => c.ContactStatus === 'ACTIVE' && String(c.Name).trim().toLowerCase() === wanted);
  }

  addInvoice(i: Json): void {
    this.invoices.push(i);
    this.invoicesById.set(i.InvoiceID as string, i);
    this.invoicesByNumber.set(i.InvoiceNumber as string, i);
  }

  /** Records a payment against an invoice: AmountDue falls, Status becomes PAID at zero. */
  applyPayment(invoice: Json, payment: { PaymentID: string; Date: number; Amount: number; Reference: string | null }, now: number): void {
    const paidCents = Math.round(payment.Amount * 100);
    const dueCents = Math.round((invoice.AmountDue as number) * 100) - paidCents;
    const summary = {
      PaymentID: payment.PaymentID, Date: msDate(payment.Date), Amount: payment.Amount, Reference: payment.Reference,
      CurrencyRate: 1, HasAccount: false, HasValidationErrors: false,
    };
    Object.assign(invoice, {
      AmountPaid: amount(Math.round((invoice.AmountPaid as number) * 100) + paidCents),
      AmountDue: amount(dueCents),
      Payments: [...(invoice.Payments as Json[]), summary],
      UpdatedDateUTC: msDate(now),
      ...(dueCents <= 0 ? { Status: 'PAID', FullyPaidOnDate: msDate(startOfDay(payment.Date)) } : {}),
    });
  }

  private seedInvoice(o: SeedOrder, g: Guest): Json {
    const date = startOfDay(o.createdAt);
    const due = startOfDay(o.dueAt);
    const paid = o.paidAt !== undefined;
    const payments = paid
      ? [{ PaymentID: o.paymentId, Date: msDate(startOfDay(o.paidAt!)), Amount: amount(o.totalCents), Reference: o.name, CurrencyRate: 1, HasAccount: false, HasValidationErrors: false }]
      : [];
    const invoice: Json = {
      Type: 'ACCREC',
      InvoiceID: o.invoiceId,
      InvoiceNumber: o.invoiceNumber,
      Reference: o.name,
      Contact: { ContactID: g.xeroId, Name: `${g.firstName} ${g.lastName}` },
      Date: msDate(date),
      DateString: dayString(date),
      DueDate: msDate(due),
      DueDateString: dayString(due),
      Status: paid ? 'PAID' : 'AUTHORISED',
      LineAmountTypes: 'Exclusive',
      LineItems: o.lines.map((l) => ({
        LineItemID: l.xeroId, Description: l.title, Quantity: l.quantity, UnitAmount: amount(l.unitCents), ItemCode: l.sku,
        AccountCode: '200', TaxType: 'OUTPUT', TaxAmount: amount(l.taxCents), LineAmount: amount(l.unitCents * l.quantity),
      })),
      SubTotal: amount(o.subtotalCents),
      TotalTax: amount(o.taxCents),
      Total: amount(o.totalCents),
      AmountDue: paid ? 0 : amount(o.totalCents),
      AmountPaid: paid ? amount(o.totalCents) : 0,
      AmountCredited: 0,
      CurrencyCode: 'EUR',
      CurrencyRate: 1,
      Payments: payments,
      ...(paid ? { FullyPaidOnDate: msDate(startOfDay(o.paidAt!)) } : {}),
      IsDiscounted: false,
      HasAttachments: false,
      HasErrors: false,
      SentToContact: true,
      UpdatedDateUTC: msDate(o.paidAt ?? o.createdAt + 60_000),
    };
    if (paid) {
      this.paymentsById.set(o.paymentId!, this.paymentRecord(invoice, o.paymentId!, o.paidAt!, amount(o.totalCents), o.name, '090', o.paidAt!));
      this.payments.push(this.paymentsById.get(o.paymentId!)!);
    }
    return invoice;
  }

  paymentRecord(invoice: Json, id: string, date: number, value: number, reference: string | null, code: string, now: number): Json {
    const account = ACCOUNTS[code]!;
    return {
      PaymentID: id, Date: msDate(startOfDay(date)), Amount: value, Reference: reference, CurrencyRate: 1,
      PaymentType: 'ACCRECPAYMENT', Status: 'AUTHORISED', UpdatedDateUTC: msDate(now), HasAccount: true, IsReconciled: false,
      Account: { AccountID: account.AccountID, Code: account.Code },
      Invoice: { Type: invoice.Type, InvoiceID: invoice.InvoiceID, InvoiceNumber: invoice.InvoiceNumber, Reference: invoice.Reference, Contact: invoice.Contact, CurrencyCode: 'EUR' },
      HasValidationErrors: false,
    };
  }
}

export function seedContact(g: Guest): Json {
  return contactRecord(g.xeroId, {
    Name: `${g.firstName} ${g.lastName}`, FirstName: g.firstName, LastName: g.lastName, EmailAddress: g.email,
    Phones: [{ PhoneType: 'DEFAULT', PhoneNumber: g.phone, PhoneAreaCode: '', PhoneCountryCode: '' }],
    Addresses: [
      { AddressType: 'STREET', AddressLine1: g.address.line1, City: g.address.city, Region: g.address.province, PostalCode: g.address.postalCode, Country: g.address.country },
      { AddressType: 'POBOX' },
    ],
  }, g.createdAt + 2 * DAY_MS);
}

/** A contact as Xero stores it, filling the fields Xero always answers with. */
export function contactRecord(id: string | undefined, input: Json, now: number): Json {
  return {
    ContactID: id ?? randomUUID(),
    ContactStatus: 'ACTIVE',
    Name: input.Name,
    FirstName: input.FirstName ?? '',
    LastName: input.LastName ?? '',
    EmailAddress: input.EmailAddress ?? '',
    BankAccountDetails: '',
    Addresses: Array.isArray(input.Addresses) ? input.Addresses : [{ AddressType: 'STREET' }, { AddressType: 'POBOX' }],
    Phones: Array.isArray(input.Phones) ? input.Phones : [{ PhoneType: 'DEFAULT' }, { PhoneType: 'MOBILE' }],
    UpdatedDateUTC: msDate(now),
    ContactGroups: [],
    IsSupplier: false,
    IsCustomer: true,
    DefaultCurrency: 'EUR',
    HasAttachments: false,
    HasValidationErrors: false,
  };
}
