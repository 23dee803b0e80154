import { randomUUID } from 'node:crypto';
import type { Guest } from './seed.ts';
import { isObject } from './sim/faults.ts';
import type { Reply, RequestContext } from './sim/types.ts';

/** HubSpot contact storage and the read/search/write semantics of `/crm/v3/objects/contacts`. */

export interface ContactRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export type WriteResult = { contact: ContactRecord; changed: string[] } | { reply: Reply };

export const KNOWN = new Set([
  'email', 'firstname', 'lastname', 'phone', 'address', 'city', 'zip', 'country', 'company', 'jobtitle',
  'lifecyclestage', 'hs_lead_status', 'website', 'createdate', 'lastmodifieddate', 'hs_object_id',
]);
export const READ_ONLY = new Set(['createdate', 'lastmodifieddate', 'hs_object_id']);
const DATE_PROPERTIES = new Set(['createdate', 'lastmodifieddate']);
const DEFAULT_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
const SEARCHABLE = ['firstname', 'lastname', 'email', 'phone', 'company'];
const OPERATORS = new Set(['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function hsError(status: number, category: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  highValue?: unknown;
  values?: unknown[];
}

export class CrmContacts {
  private readonly ordered: ContactRecord[] = [];
  private readonly byId = new Map<string, ContactRecord>();
  private readonly position = new Map<string, number>();
  /** Active (not archived) contacts by lower-cased email: the uniqueness HubSpot enforces. */
  private readonly byEmail = new Map<string, ContactRecord>();
  private readonly searchableAt = new Map<string, number>();
  private nextId: number;

  constructor(guests: readonly Guest[], private readonly indexDelayMs: () => number) {
    for (const g of guests) {
      const created = new Date(g.createdAt).toISOString();
      const modified = new Date(g.createdAt + 3 * 86_400_000).toISOString();
      this.insert({
        id: g.crmId,
        properties: {
          email: g.email, firstname: g.firstName, lastname: g.lastName, phone: g.phone,
          address: g.address.line1, city: g.address.city, zip: g.address.postalCode, country: g.address.country,
          lifecyclestage: 'customer', createdate: created, lastmodifieddate: modified, hs_object_id: g.crmId,
        },
        createdAt: created,
        updatedAt: modified,
        archived: false,
      }, 0);
    }
    this.nextId = 1501 + guests.length;
  }

  all(): ContactRecord[] {
    return this.ordered;
  }

  find(id: string, includeArchived = false): ContactRecord | undefined {
    const c = this.byId.get(id);
    return c && (includeArchived || !c.archived) ? c : undefined;
  }

  view(c: ContactRecord, requested?: readonly string[]): Record<string, unknown> {
    const names = requested && requested.length > 0 ? [...new Set([...requested, ...READ_ONLY])] : DEFAULT_PROPERTIES;
    const properties: Record<string, string | null> = {};
    for (const name of names) if (KNOWN.has(name) || name in c.properties) properties[name] = c.properties[name] ?? null;
    return { id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: c.archived, ...(c.archivedAt ? { archivedAt: c.archivedAt } : {}) };
  }

  get(ctx: RequestContext): Reply {
    const c = this.lookup(ctx.params.contactId ?? '', ctx.query.get('idProperty'), ctx.query.get('archived') === 'true');
    return c ? { status: 200, body: this.view(c, requested(ctx.query)) } : hsError(404, 'OBJECT_NOT_FOUND', 'resource not found');
  }

  list(ctx: RequestContext): Reply {
    const limit = clamp(Number(ctx.query.get('limit') ?? 10), 1, 100, 10);
    const archived = ctx.query.get('archived') === 'true';
    const after = ctx.query.get('after');
    let i = 0;
    if (after !== null) {
      const p = this.position.get(after);
      if (p === undefined) return hsError(400, 'VALIDATION_ERROR', `Invalid after value: ${after}`);
      i = p;
    }
    const props = requested(ctx.query);
    const results: unknown[] = [];
    for (; i < this.ordered.length && results.length < limit; i++) {
      const c = this.ordered[i]!;
      if (c.archived === archived) results.push(this.view(c, props));
    }
    while (i < this.ordered.length && this.ordered[i]!.archived !== archived) i++;
    const next = this.ordered[i];
    const body: Record<string, unknown> = { results };
    if (next) {
      const link = `${ctx.baseUrl}/crm/v3/objects/contacts?after=${next.id}&limit=${limit}${archived ? '&archived=true' : ''}`;
      body.paging = { next: { after: next.id, link } };
    }
    return { status: 200, body };
  }

  batchRead(ctx: RequestContext): Reply {
    const body = isObject(ctx.body) ? ctx.body : {};
    if (!Array.isArray(body.inputs)) return hsError(400, 'VALIDATION_ERROR', 'Invalid input JSON: inputs must be an array of { id }');
    if (body.inputs.length > 100) return hsError(400, 'VALIDATION_ERROR', `Batch input is limited to 100 inputs; got ${body.inputs.length}`);
    const props = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
    const idProperty = typeof body.idProperty === 'string' ? body.idProperty : null;
    const startedAt = new Date(ctx.now).toISOString();
    const seen = new Set<string>();
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const input of body.inputs) {
      const id = isObject(input) && input.id !== undefined ? String(input.id) : '';
      const c = this.lookup(id, idProperty, body.archived === true);
      if (!c) missing.push(id);
      else if (!seen.has(c.id)) {
        seen.add(c.id);
        results.push(this.view(c, props));
      }
    }
    const completedAt = new Date().toISOString();
    if (missing.length === 0) return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
    const error = {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
      context: { ids: missing },
    };
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: 1, errors: [error], startedAt, completedAt } };
  }

  search(ctx: RequestContext): Reply {
    const body = isObject(ctx.body) ? ctx.body : {};
    const groups = Array.isArray(body.filterGroups) ? body.filterGroups : [];
    const parsed: Filter[][] = [];
    for (const group of groups) {
      const filters = isObject(group) && Array.isArray(group.filters) ? (group.filters as Filter[]) : undefined;
      if (!filters) return hsError(400, 'VALIDATION_ERROR', 'Each filter group must have a filters array');
      const bad = filters.find((f) => !isObject(f) || typeof f.propertyName !== 'string' || !OPERATORS.has(String(f.operator)));
      if (bad) return hsError(400, 'VALIDATION_ERROR', `There was a problem with the filter ${JSON.stringify(bad)}`);
      parsed.push(filters);
    }
    const total = parsed.reduce((n, g) => n + g.length, 0);
    if (parsed.length > 5 || parsed.some((g) => g.length > 6) || total > 18) {
      return hsError(400, 'VALIDATION_ERROR', 'Too many filters: at most 5 filterGroups, 6 filters per group and 18 in total');
    }
    const limit = clamp(Number(body.limit ?? 10), 1, 200, 10);
    const offset = Math.max(0, Number(body.after ?? 0) || 0);
    const query = typeof body.query === 'string' && body.query.trim() ? body.query.trim().toLowerCase() : undefined;
    const matches = this.ordered.filter(
      (c) =>
        !c.archived &&
        ctx.now >= (this.searchableAt.get(c.id) ?? 0) &&
        (!query || SEARCHABLE.some((p) => (c.properties[p] ?? '').toLowerCase().includes(query))) &&
        (parsed.length === 0 || parsed.some((g) => g.every((f) => matchFilter(c, f)))),
    );
    const sort = Array.isArray(body.sorts) ? body.sorts[0] : undefined;
    if (sort !== undefined) {
      const name = typeof sort === 'string' ? sort.replace(/^-/, '') : isObject(sort) ? String(sort.propertyName) : 'hs_object_id';
      const desc = typeof sort === 'string' ? sort.startsWith('-') : isObject(sort) && sort.direction === 'DESCENDING';
      matches.sort((a, b) => compare(comparable(name, a.properties[name]), comparable(name, b.properties[name])) * (desc ? -1 : 1));
    }
    const props = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
    const result: Record<string, unknown> = {
      total: matches.length,
      results: matches.slice(offset, offset + limit).map((c) => this.view(c, props)),
    };
    if (offset + limit < matches.length) result.paging = { next: { after: String(offset + limit) } };
    return { status: 200, body: result };
  }

  create(ctx: RequestContext): WriteResult {
    const props = isObject(ctx.body) && isObject(ctx.body.properties) ? ctx.body.properties : undefined;
    if (!props) return { reply: hsError(400, 'VALIDATION_ERROR', 'Invalid input JSON: properties is required') };
    const invalid = validate(props);
    if (invalid) return { reply: invalid };
    const email = typeof props.email === 'string' ? props.email.toLowerCase() : undefined;
    const existing = email ? this.byEmail.get(email) : undefined;
    if (existing) return { reply: hsError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`) };
    const id = String(this.nextId++);
    const now = new Date(ctx.now).toISOString();
    const properties: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(props)) properties[name] = value === null ? null : String(value);
    Object.assign(properties, { createdate: now, lastmodifieddate: now, hs_object_id: id });
    const contact: ContactRecord = { id, properties, createdAt: now, updatedAt: now, archived: false };
    this.insert(contact, ctx.now + this.indexDelayMs());
    return { contact, changed: Object.keys(props) };
  }

  update(ctx: RequestContext): WriteResult {
    const contact = this.lookup(ctx.params.contactId ?? '', ctx.query.get('idProperty'), false);
    if (!contact) return { reply: hsError(404, 'OBJECT_NOT_FOUND', 'resource not found') };
    const props = isObject(ctx.body) && isObject(ctx.body.properties) ? ctx.body.properties : undefined;
    if (!props) return { reply: hsError(400, 'VALIDATION_ERROR', 'Invalid input JSON: properties is required') };
    const invalid = validate(props);
    if (invalid) return { reply: invalid };
    const oldEmail = contact.properties.email?.toLowerCase();
    const newEmail = typeof props.email === 'string' ? props.email.toLowerCase() : undefined;
    const owner = newEmail ? this.byEmail.get(newEmail) : undefined;
    if (owner && owner.id !== contact.id) return { reply: hsError(409, 'CONFLICT', `Contact already exists. Existing ID: ${owner.id}`) };
    const changed: string[] = [];
    for (const [name, value] of Object.entries(props)) {
      const next = value === null || value === '' ? null : String(value);
      if ((contact.properties[name] ?? null) !== next) changed.push(name);
      contact.properties[name] = next;
    }
    if (changed.length > 0) {
      const now = new Date(ctx.now).toISOString();
      contact.properties.lastmodifieddate = now;
      contact.updatedAt = now;
    }
    if (newEmail !== undefined && newEmail !== oldEmail) {
      if (oldEmail) this.byEmail.delete(oldEmail);
      this.byEmail.set(newEmail, contact);
    }
    return { contact, changed };
  }

  archive(id: string, now: number): ContactRecord | undefined {
    const c = this.find(id);
    if (!c) return undefined;
    c.archived = true;
    c.archivedAt = new Date(now).toISOString();
    const email = c.properties.email?.toLowerCase();
    if (email) this.byEmail.delete(email);
    return c;
  }

  private insert(c: ContactRecord, searchableAt: number): void {
    this.position.set(c.id, this.ordered.length);
    this.ordered.push(c);
    this.byId.set(c.id, c);
    const email = c.properties.email?.toLowerCase();
    if (email) this.byEmail.set(email, c);
    if (searchableAt > 0) this.searchableAt.set(c.id, searchableAt);
  }

  private lookup(id: string, idProperty: string | null, archived: boolean): ContactRecord | undefined {
    if (idProperty === 'email') return archived ? undefined : this.byEmail.get(id.toLowerCase());
    const c = this.byId.get(id);
    return c && c.archived === archived ? c : undefined;
  }
}

function requested(query: URLSearchParams): string[] | undefined {
  const names = query.getAll('properties').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

function clamp(value: number, min: number, max: number, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/** HubSpot answers every invalid property at once, JSON-encoded inside the message. */
function validate(props: Record<string, unknown>): Reply | undefined {
  const problems: Array<Record<string, unknown>> = [];
  for (const [name, value] of Object.entries(props)) {
    if (!KNOWN.has(name)) problems.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name });
    else if (READ_ONLY.has(name)) problems.push({ isValid: false, message: `${name} is a read only property; its value cannot be set.`, error: 'READ_ONLY_VALUE', name });
    else if (name === 'email' && value !== null && value !== '' && !EMAIL.test(String(value))) {
      problems.push({ isValid: false, message: `Email address ${String(value)} is invalid`, error: 'INVALID_EMAIL', name });
    }
  }
  if (problems.length === 0) return undefined;
  return hsError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`);
}

/** Dates compare as epoch ms (HubSpot filters take ms), numbers as numbers, text case-insensitively. */
function comparable(name: string, raw: unknown): number | string | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const text = String(raw);
  if (DATE_PROPERTIES.has(name)) return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text.toLowerCase();
}

function compare(a: number | string | undefined, b: number | string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function matchFilter(c: ContactRecord, f: Filter): boolean {
  const name = f.propertyName;
  const actual = comparable(name, c.properties[name]);
  const value = comparable(name, f.value);
  switch (f.operator) {
    case 'HAS_PROPERTY': return actual !== undefined;
    case 'NOT_HAS_PROPERTY': return actual === undefined;
    case 'EQ': return actual !== undefined && compare(actual, value) === 0;
    case 'NEQ': return actual === undefined || compare(actual, value) !== 0;
    case 'LT': return actual !== undefined && compare(actual, value) < 0;
    case 'LTE': return actual !== undefined && compare(actual, value) <= 0;
    case 'GT': return actual !== undefined && compare(actual, value) > 0;
    case 'GTE': return actual !== undefined && compare(actual, value) >= 0;
    case 'BETWEEN': return actual !== undefined && compare(actual, value) >= 0 && compare(actual, comparable(name, f.highValue)) <= 0;
    case 'IN': return actual !== undefined && (f.values ?? []).some((v) => compare(actual, comparable(name, v)) === 0);
    case 'NOT_IN': return actual === undefined || !(f.values ?? []).some((v) => compare(actual, comparable(name, v)) === 0);
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const pattern = new RegExp(`^${String(f.value ?? '').toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const tokens = String(c.properties[name] ?? '').toLowerCase().split(/[\s@.,-]+/);
      const found = tokens.some((t) => pattern.test(t)) || pattern.test(String(c.properties[name] ?? '').toLowerCase());
      return f.operator === 'CONTAINS_TOKEN' ? found : !found;
    }
    default: return false;
  }
}
