import { request } from 'undici';

/**
 * The upstream requests of scenarios 2 and 3 written out by hand, exactly as the reference
 * connectors send them (paths, query strings, bodies, auth), for the two baselines: B0 sends
 * them straight to the simulators, B1 (the hand-written aggregator) builds its answers from them.
 * Nothing here imports the gateway.
 */

export interface SimInfo {
  url: string;
  credentials: Record<string, string>;
}

export const SHOP_ORDERS = '/admin/api/2025-01/orders.json';
export const CRM_BATCH_READ = '/crm/v3/objects/contacts/batch/read';
export const XERO_INVOICES = '/api.xro/2.0/Invoices';
/** The order fields the shop connector asks for (`fields=`, its order schema's keys, in order). */
const SHOP_ORDER_FIELDS = encodeURIComponent('id,name,email,created_at,financial_status,currency,total_price,subtotal_price,total_tax,line_items');
/** The properties the CRM connector asks for on every read. */
const CRM_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'createdate', 'lastmodifieddate'];

/**
 * First page: the filters and `fields`; later pages: what Shopify's next link carries (`limit`,
 * `fields`, `page_info`), in its order, as the connector sends it.
 */
export function shopPageSearch(first: number, pageInfo?: string): string {
  return pageInfo ? `limit=${first}&fields=${SHOP_ORDER_FIELDS}&page_info=${encodeURIComponent(pageInfo)}` : `status=any&fields=${SHOP_ORDER_FIELDS}&limit=${first}`;
}

export function crmBatchByEmail(emails: readonly string[]): string {
  return JSON.stringify({ properties: CRM_PROPERTIES, idProperty: 'email', inputs: emails.map((id) => ({ id })) });
}

export function xeroInvoicesByReference(references: readonly string[]): string {
  const where = references.map((r) => `Reference=="${r.replace(/["\\]/g, '\\$&')}"`).join(' OR ');
  return `where=${encodeURIComponent(where)}`;
}

export function shopHeaders(shop: SimInfo): Record<string, string> {
  return { accept: 'application/json', 'x-shopify-access-token': shop.credentials.ACCESS_TOKEN! };
}

export function crmHeaders(token: string): Record<string, string> {
  return { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${token}` };
}

export function xeroHeaders(accounting: SimInfo, token: string): Record<string, string> {
  return { accept: 'application/json', 'xero-tenant-id': accounting.credentials.TENANT_ID!, authorization: `Bearer ${token}` };
}

export interface Token {
  value: string;
  expiresAt: number;
}

/** HubSpot: client credentials in the form body. */
export async function crmToken(crm: SimInfo): Promise<Token> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: crm.credentials.CLIENT_ID!, client_secret: crm.credentials.CLIENT_SECRET! });
  return token(`${crm.url}/oauth/v1/token`, form, {});
}

/** Xero custom connection: client credentials as HTTP Basic. */
export async function xeroToken(accounting: SimInfo): Promise<Token> {
  const basic = Buffer.from(`${encodeURIComponent(accounting.credentials.CLIENT_ID!)}:${encodeURIComponent(accounting.credentials.CLIENT_SECRET!)}`).toString('base64');
  return token(`${accounting.url}/connect/token`, new URLSearchParams({ grant_type: 'client_credentials' }), { authorization: `Basic ${basic}` });
}

async function token(url: string, form: URLSearchParams, headers: Record<string, string>): Promise<Token> {
  const answer = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form.toString() });
  const body = (await answer.body.json()) as { access_token?: string; expires_in?: number };
  if (answer.statusCode !== 200 || !body.access_token) throw new Error(`token request to ${url} answered ${answer.statusCode}`);
  return { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 1800) * 1000 };
}

/** A Shopify order as the simulator sends it (the fields the scenarios read). */
export interface ShopOrder {
  id: number;
  name: string;
  email?: string | null;
  financial_status: string;
  currency: string;
  total_price: string | number;
}

/** What the nested scenario's second level needs from one page of orders, in first-seen order. */
export function secondLevelKeys(orders: readonly ShopOrder[]): { emails: string[]; references: string[] } {
  const emails = [...new Set(orders.flatMap((o) => (o.email ? [o.email] : [])))];
  const references = [...new Set(orders.map((o) => o.name))];
  return { emails, references };
}

/** The `page_info` cursor after the first `k` orders, from the `Link: rel="next"` header. */
export async function shopCursorAfter(shop: SimInfo, k: number): Promise<string> {
  const answer = await request(`${shop.url}${SHOP_ORDERS}?${shopPageSearch(k)}`, { headers: shopHeaders(shop) });
  await answer.body.dump();
  const link = String(answer.headers.link ?? '');
  const pageInfo = /<[^>]*[?&]page_info=([^&>]+)[^>]*>;\s*rel="next"/.exec(link)?.[1];
  if (!pageInfo) throw new Error(`the shop simulator sent no next page after ${k} orders`);
  return decodeURIComponent(pageInfo);
}

export async function shopPage(shop: SimInfo, first: number, pageInfo?: string): Promise<ShopOrder[]> {
  const answer = await request(`${shop.url}${SHOP_ORDERS}?${shopPageSearch(first, pageInfo)}`, { headers: shopHeaders(shop) });
  const body = (await answer.body.json()) as { orders?: ShopOrder[] };
  if (answer.statusCode !== 200 || !body.orders) throw new Error(`shop orders page answered ${answer.statusCode}`);
  return body.orders;
}
