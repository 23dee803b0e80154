import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import {
  CRM_BATCH_READ,
  crmBatchByEmail,
  crmHeaders,
  crmToken,
  secondLevelKeys,
  SHOP_ORDERS,
  shopHeaders,
  shopPageSearch,
  XERO_INVOICES,
  xeroHeaders,
  xeroInvoicesByReference,
  xeroToken,
  type ShopOrder,
  type SimInfo,
  type Token,
} from './upstream.ts';

/**
 * B1: the floor a GraphQL gateway is measured against. A hand-written Node aggregator with no
 * GraphQL, no validation, no cache: node:http in, undici keep-alive pools out, the minimum
 * upstream calls (one shop page, then one CRM batch read and one Xero filtered read in
 * parallel), OAuth2 tokens fetched once and reused. It answers the same JSON as the gateway does
 * for the benchmark's two queries:
 *
 *   GET /flat?first=N&after=PAGE_INFO    orders(first: N, after) { nodes { id name email status total { amount currency } } }
 *   GET /nested?first=N&after=PAGE_INFO  orders(first: N, after) { nodes { name customer { email } invoice { status } } }
 *
 * `after` is Shopify's own page_info cursor (the gateway wraps the same one in its cursor).
 * Configured like the gateway, from SHOP_*, CRM_*, ACCOUNTING_* variables, and PORT.
 *
 * `&cpu_ms=X` on /nested makes it a control rather than a baseline: it spins X ms of CPU per
 * request, 40 % after the page and 60 % after the second level (about where the gateway's own
 * work falls), so the benchmark can show what the gateway's extra CPU alone does to latency.
 */

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`baseline-aggregator: set ${name}`);
  return value;
};
const sim = (prefix: string, keys: string[]): SimInfo => ({
  url: env(`${prefix}_URL`),
  credentials: Object.fromEntries(keys.map((k) => [k, env(`${prefix}_${k}`)])),
});
const shop = sim('SHOP', ['ACCESS_TOKEN']);
const crm = sim('CRM', ['CLIENT_ID', 'CLIENT_SECRET']);
const accounting = sim('ACCOUNTING', ['CLIENT_ID', 'CLIENT_SECRET', 'TENANT_ID']);

const pool = (url: string) => new Pool(new URL(url).origin, { keepAliveTimeout: 10_000, connections: 128 });
const pools = { shop: pool(shop.url), crm: pool(crm.url), accounting: pool(accounting.url) };

/** A token is fetched once and reused until a minute before it expires; one renewal at a time. */
function tokenCache(fetchToken: () => Promise<Token>): () => Promise<string> {
  let current: Promise<Token> | undefined;
  return async () => {
    let token = current ? await current : undefined;
    if (!token || token.expiresAt - 60_000 < Date.now()) {
      current = fetchToken();
      token = await current;
    }
    return token.value;
  };
}
const crmAccess = tokenCache(() => crmToken(crm));
const xeroAccess = tokenCache(() => xeroToken(accounting));

const SHOP_STATUS: Record<string, string> = {
  pending: 'PENDING',
  authorized: 'PENDING',
  paid: 'PAID',
  partially_paid: 'PARTIALLY_PAID',
  refunded: 'REFUNDED',
  partially_refunded: 'REFUNDED',
  voided: 'VOIDED',
};

/** '12.5' or 12.5 → '12.50' (the gateway's Money). */
function decimal2(value: string | number): string {
  const text = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}

async function getJson(target: Pool, path: string, headers: Record<string, string>, body?: string): Promise<any> {
  const answer = await target.request({ method: body === undefined ? 'GET' : 'POST', path, headers, body });
  const parsed = await answer.body.json();
  if (answer.statusCode !== 200) throw new Error(`${path} answered ${answer.statusCode}`);
  return parsed;
}

async function ordersPage(first: number, after: string | undefined): Promise<ShopOrder[]> {
  const body = await getJson(pools.shop, `${SHOP_ORDERS}?${shopPageSearch(first, after)}`, shopHeaders(shop));
  return body.orders as ShopOrder[];
}

async function flat(first: number, after: string | undefined): Promise<unknown> {
  const orders = await ordersPage(first, after);
  const nodes = orders.map((o) => ({
    id: String(o.id),
    name: o.name,
    email: o.email ?? null,
    status: SHOP_STATUS[o.financial_status],
    total: { amount: decimal2(o.total_price), currency: o.currency.toUpperCase() },
  }));
  return { data: { orders: { nodes } } };
}

/** Busy for `ms` milliseconds of wall time on this thread (the `cpu_ms` control). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

async function nested(first: number, after: string | undefined, cpuMs: number): Promise<unknown> {
  const orders = await ordersPage(first, after);
  spin(0.4 * cpuMs);
  const { emails, references } = secondLevelKeys(orders);
  const [contacts, invoices] = await Promise.all([
    emails.length === 0 ? { results: [] } : crmAccess().then((t) => getJson(pools.crm, CRM_BATCH_READ, crmHeaders(t), crmBatchByEmail(emails))),
    xeroAccess().then((t) => getJson(pools.accounting, `${XERO_INVOICES}?${xeroInvoicesByReference(references)}`, xeroHeaders(accounting, t))),
  ]);
  spin(0.6 * cpuMs);
  const emailOf = new Map<string, string>();
  for (const c of contacts.results as Array<{ properties: { email: string } }>) emailOf.set(c.properties.email, c.properties.email);
  const statusOf = new Map<string, string>();
  for (const i of invoices.Invoices as Array<{ Reference?: string | null; Status: string }>) if (i.Reference && !statusOf.has(i.Reference)) statusOf.set(i.Reference, i.Status);
  const nodes = orders.map((o) => {
    const email = o.email ? emailOf.get(o.email) : undefined;
    const status = statusOf.get(o.name);
    return { name: o.name, customer: email === undefined ? null : { email }, invoice: status === undefined ? null : { status } };
  });
  return { data: { orders: { nodes } } };
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://b1');
  const first = Number(url.searchParams.get('first') ?? 50);
  const after = url.searchParams.get('after') ?? undefined;
  if (url.pathname === '/flat') return send(res, 200, await flat(first, after));
  if (url.pathname === '/nested') return send(res, 200, await nested(first, after, Number(url.searchParams.get('cpu_ms') ?? 0)));
  if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
  send(res, 404, { error: 'not_found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => send(res, 502, { error: String((error as Error).message ?? error) }));
});
server.keepAliveTimeout = 65_000;
await Promise.all([crmAccess(), xeroAccess()]);
server.listen(Number(env('PORT')), '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ ready: true })}\n`));

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.all(Object.values(pools).map((p) => p.close())).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
