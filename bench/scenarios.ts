import { isDeepStrictEqual } from 'node:util';
import { graphql, rotate, type Req } from './load.ts';
import { measure, measureGroup, type Budget, type Measurement, type Row } from './measure.ts';
import type { Service, Sims } from './services.ts';
import {
  CRM_BATCH_READ,
  crmBatchByEmail,
  crmHeaders,
  crmToken,
  secondLevelKeys,
  SHOP_ORDERS,
  shopCursorAfter,
  shopHeaders,
  shopPage,
  shopPageSearch,
  XERO_INVOICES,
  xeroHeaders,
  xeroInvoicesByReference,
  xeroToken,
} from './upstream.ts';

/**
 * The read scenarios (1–5) and their baselines. Cache-cold scenarios run on the gateway started
 * with `bench/cold-connectors` (nothing reused between operations) and rotate over 100 pages
 * (`after` = the cursor after the first k orders, k = 1…100), so consecutive requests differ as
 * they do for B1; B0 and B1 receive Shopify's own cursor for the same page.
 */

export const QUERIES = {
  trivial: '{ about { name } }',
  flat: 'query Flat($after: String) { orders(first: 100, after: $after) { nodes { id name email status total { amount currency } } } }',
  nested: 'query Nested($after: String) { orders(first: 50, after: $after) { nodes { name customer { email } invoice { status } } } }',
  nestedWarm: '{ orders(first: 50) { nodes { name customer { email } invoice { status } } } }',
  large: `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: orders(first: 200) { nodes { id name email status createdAt subtotal { amount currency } tax { amount currency } total { amount currency } lines { title sku quantity unitPrice { amount currency } total { amount currency } } customer { id email firstName lastName phone } invoice { number status issuedOn total { amount currency } amountDue { amount currency } } } }`).join(' ')} }`,
};

export const VARIANTS = 100;

export interface Fixtures {
  /** Shopify's page_info after the first k + 1 orders. */
  pageInfos: string[];
  /** The gateway's cursor after the first k + 1 orders. */
  cursors: string[];
  /** What the second level of the nested query asks for, per page of 50. */
  secondLevel: Array<{ emails: string[]; references: string[] }>;
  crmToken: string;
  xeroToken: string;
}

export interface ReadContext {
  sims: Sims;
  simsPid: number;
  warm: Service;
  cold: Service;
  b1: Service;
  fixtures: Fixtures;
  budget: Budget;
  log: (line: string) => void;
}

async function postGraphql(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

export async function loadFixtures(sims: Sims, gateway: Service): Promise<Fixtures> {
  const ks = Array.from({ length: VARIANTS }, (_, i) => i + 1);
  const pageInfos = await Promise.all(ks.map((k) => shopCursorAfter(sims.shop!, k)));
  const cursors = await Promise.all(
    ks.map(async (k) => {
      const body = await postGraphql(gateway.url, `{ orders(first: ${k}) { pageInfo { endCursor } } }`);
      const cursor = body?.data?.orders?.pageInfo?.endCursor;
      if (typeof cursor !== 'string') throw new Error(`the gateway gave no cursor after ${k} orders: ${JSON.stringify(body).slice(0, 300)}`);
      return cursor;
    }),
  );
  const secondLevel = await Promise.all(pageInfos.map(async (p) => secondLevelKeys(await shopPage(sims.shop!, 50, p))));
  const [crm, xero] = await Promise.all([crmToken(sims.crm!), xeroToken(sims.accounting!)]);
  return { pageInfos, cursors, secondLevel, crmToken: crm.value, xeroToken: xero.value };
}

/** B1 must build the very JSON the gateway answers, or the comparison means nothing. */
export async function verifySameAnswers(ctx: Pick<ReadContext, 'cold' | 'b1' | 'fixtures'>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, query, path, k] of [
    ['flat', QUERIES.flat, '/flat?first=100', 7],
    ['nested', QUERIES.nested, '/nested?first=50', 42],
  ] as const) {
    const gateway = await postGraphql(ctx.cold.url, query, { after: ctx.fixtures.cursors[k] });
    const baseline = await (await fetch(`${ctx.b1.url}${path}&after=${ctx.fixtures.pageInfos[k]}`)).json();
    if (gateway.errors) problems.push(`${name}: the gateway answered errors ${JSON.stringify(gateway.errors).slice(0, 300)}`);
    else if (!isDeepStrictEqual(gateway, baseline)) problems.push(`${name}: B1 and the gateway answer differently`);
  }
  return problems;
}

/** Sends one request of a producer; throws unless it is a 200 with data and no errors. */
export async function smokeCheck(url: string, next: () => Req, what: string): Promise<void> {
  const req = next();
  const response = await fetch(`${url}${req.path}`, { method: req.method, headers: req.headers, body: req.body });
  const text = await response.text();
  let body: { data?: unknown; errors?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // reported below
  }
  if (response.status !== 200 || !body?.data || body.errors) throw new Error(`${what}: expected data and no errors, got ${response.status} ${text.slice(0, 400)}`);
}

const connectionsFor = (latencyMs: number) => (latencyMs === 0 ? 10 : 40);

/**
 * B0 answers 1,000–5,000 requests a second: 3 s runs give it thousands of samples, and the time
 * saved goes to the half-peak comparison, which needs more runs than the others (see below).
 */
const B0_SECONDS = 3;

/** Scenarios 2 and 3 at one simulator latency: gateway (cold), B1, B0, and the half-peak runs. */
export async function coldReads(ctx: ReadContext, latencyMs: number): Promise<Row[]> {
  const { fixtures: f, budget, log } = ctx;
  const connections = connectionsFor(latencyMs);
  const at = (i: number) => i % VARIANTS;
  const atB0 = (url: string) => ({ url, target: { pid: ctx.simsPid, sims: ctx.sims }, seconds: Math.min(budget.seconds, B0_SECONDS) });
  const onGateway = { url: ctx.cold.url, target: { pid: ctx.cold.child.pid, sims: ctx.sims } };
  const onB1 = { url: ctx.b1.url, target: { pid: ctx.b1.child.pid, sims: ctx.sims } };
  const plan = (scenario: string, system: string, where: { url: string; target: Measurement['target']; seconds?: number }, next: () => Req, minimumCalls: number, rate?: number): Measurement => ({
    scenario,
    system,
    latencyMs,
    spec: { url: where.url, next, connections, seconds: where.seconds ?? budget.seconds, ...(rate ? { rate } : {}) },
    target: where.target,
    minimumCalls,
  });
  const b1Path = (path: string) => {
    let i = 0;
    return (): Req => ({ method: 'GET', path: `${path}&after=${f.pageInfos[at(i++)]}` });
  };
  const shopPages = (first: number) => rotate(f.pageInfos.map((p): Req => ({ method: 'GET', path: `${SHOP_ORDERS}?${shopPageSearch(first, p)}`, headers: shopHeaders(ctx.sims.shop!) })));

  const s2 = '2. flat list, 100 records (cold)';
  const flatGateway = graphql(QUERIES.flat, (i) => ({ after: f.cursors[at(i)] }));
  const flatB1 = b1Path('/flat?first=100');
  await smokeCheck(ctx.cold.url, flatGateway, s2);
  await smokeCheck(ctx.b1.url, flatB1, `${s2} B1`);
  const rows = await measureGroup(
    [plan(s2, 'gateway', onGateway, flatGateway, 1), plan(s2, 'B1', onB1, flatB1, 1), plan(s2, 'B0 shop page of 100', atB0(ctx.sims.shop!.url), shopPages(100), 1)],
    budget,
    log,
  );

  const s3 = '3. nested, 3 systems (cold)';
  const nestedGateway = graphql(QUERIES.nested, (i) => ({ after: f.cursors[at(i)] }));
  const nestedB1 = b1Path('/nested?first=50');
  await smokeCheck(ctx.cold.url, nestedGateway, s3);
  await smokeCheck(ctx.b1.url, nestedB1, `${s3} B1`);
  const crmBatch = rotate(f.secondLevel.map((s): Req => ({ method: 'POST', path: CRM_BATCH_READ, headers: crmHeaders(f.crmToken), body: crmBatchByEmail(s.emails) })));
  const xeroWhere = rotate(f.secondLevel.map((s): Req => ({ method: 'GET', path: `${XERO_INVOICES}?${xeroInvoicesByReference(s.references)}`, headers: xeroHeaders(ctx.sims.accounting!, f.xeroToken) })));
  const nested = await measureGroup(
    [
      plan(s3, 'gateway', onGateway, nestedGateway, 3),
      plan(s3, 'B1', onB1, nestedB1, 3),
      plan(s3, 'B0 shop page of 50', atB0(ctx.sims.shop!.url), shopPages(50), 1),
      plan(s3, 'B0 CRM batch read', atB0(ctx.sims.crm!.url), crmBatch, 1),
      plan(s3, 'B0 Xero invoices where', atB0(ctx.sims.accounting!.url), xeroWhere, 1),
    ],
    budget,
    log,
  );
  // Half the gateway's peak, offered evenly to both: the latency a user sees when it is not saturated.
  // The control: B1 spending the gateway's extra CPU per operation in a loop, at the same rate.
  // A 5 s run at ~170/s holds ~850 answers, so one stall anywhere on the machine (a collection in
  // the simulators, a burst of reconnections after an idle spell) sets its p99: two identical
  // processes measured in turns land 5–14 ms apart in medians of seven runs (bench/FINDINGS.md,
  // eighth pass). These runs take more turns than the others.
  const rate = Math.max(1, Math.round(nested[0]!.rps.median / 2));
  const extraCpuMs = Math.max(0, (nested[0]!.cpuMsPerOp?.median ?? 0) - (nested[1]!.cpuMsPerOp?.median ?? 0));
  const control = { ...plan(s3, 'B1 + gateway CPU @ ½ gateway peak', onB1, b1Path(`/nested?first=50&cpu_ms=${extraCpuMs.toFixed(2)}`), 3, rate), note: `B1 spinning ${extraCpuMs.toFixed(2)} ms per request: the gateway's CPU per operation minus B1's, from the runs above` };
  const half = await measureGroup([plan(s3, 'gateway @ ½ peak', onGateway, nestedGateway, 3, rate), plan(s3, 'B1 @ ½ gateway peak', onB1, nestedB1, 3, rate), control], { ...budget, runs: budget.halfPeakRuns }, log);
  return [...rows, ...nested.slice(0, 2), ...half, ...nested.slice(2)];
}

/** Scenarios 1, 4 and 5 on the gateway with its real connectors (cache on, TTLs as declared). */
export async function warmReads(ctx: ReadContext): Promise<Row[]> {
  const { budget, log } = ctx;
  const target = { pid: ctx.warm.child.pid, sims: ctx.sims };
  const rows: Row[] = [];
  const plans = [
    { scenario: '1. trivial query', next: graphql(QUERIES.trivial), connections: 10, note: '`{ about { name } }`' },
    { scenario: '4. nested, 3 systems (warm)', next: graphql(QUERIES.nestedWarm), connections: 10, note: 'the same page every time; TTL refreshes only' },
    { scenario: '5. large response (warm)', next: graphql(QUERIES.large), connections: 1, note: '12 aliases × 200 orders with lines, customer, invoice' },
  ];
  for (const plan of plans) {
    await smokeCheck(ctx.warm.url, plan.next, plan.scenario);
    // One large answer can take a second or more: give it runs long enough to finish several.
    const runBudget = plan.connections === 1 ? { ...budget, seconds: Math.max(budget.seconds, 3) } : budget;
    const row = await measure({ scenario: plan.scenario, system: 'gateway', latencyMs: 0, spec: { url: ctx.warm.url, next: plan.next, connections: plan.connections, seconds: runBudget.seconds }, target, minimumCalls: 0, note: plan.note }, runBudget, log);
    rows.push(row);
  }
  return rows;
}
