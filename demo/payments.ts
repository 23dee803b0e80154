import { createHmac } from 'node:crypto';
import { API_VERSION, seconds, StripeStore, stripeId, type Json, type StripeList } from './payments-store.ts';
import { seedData } from './seed.ts';
import { parseForm } from './sim/body.ts';
import { IdempotencyStore } from './sim/idempotency.ts';
import { ALNUM, randomString } from './sim/ids.ts';
import { RollingWindow } from './sim/rate-limit.ts';
import { bearer } from './sim/tokens.ts';
import type { Reply, RequestContext, RouteSpec, VendorOptions, VendorSimulator } from './sim/types.ts';

/**
 * Stripe. Form-encoded parameters (`metadata[order]=…`), the secret key as Bearer or as the
 * Basic username, `{ error: { type, code, message, param } }` errors, `Idempotency-Key` on every
 * POST as Stripe documents it (same key + same parameters → the saved answer with
 * `Idempotent-Replayed: true`; other parameters → 400 idempotency_error; validation failures
 * are not saved), list objects with cursors, and every state change recorded as an Event and
 * sent signed with `Stripe-Signature: t=…,v1=…`. Test payment methods: `pm_card_visa` pays,
 * `pm_card_chargeDeclined` is declined (402 card_error).
 */
export const PAYMENTS_CREDENTIALS = {
  SECRET_KEY: 'sk_test_51DemoInterchangeQ8vX2kLmN4pR7sT0uW3yZ6bC9dF2gH5jK8',
  WEBHOOK_SECRET: 'whsec_demoInterchange3fK9pLq2Xv7Rt5Wz8Yb1Nc4Md6',
  PUBLISHABLE_KEY: 'pk_test_51DemoInterchangeA1b2C3d4E5f6G7h8I9j0K1l2',
} as const;

const DOCS = 'https://stripe.com/docs/error-codes';
const EVENT_TYPES = ['payment_intent.created', 'payment_intent.succeeded', 'payment_intent.canceled', 'charge.succeeded', 'charge.refunded'] as const;
const CREATE_PARAMS = new Set(['amount', 'currency', 'customer', 'description', 'metadata', 'payment_method', 'payment_method_types', 'confirm', 'capture_method', 'receipt_email', 'statement_descriptor', 'automatic_payment_methods', 'expand', 'setup_future_usage', 'return_url', 'confirmation_method', 'shipping', 'off_session']);

function stripeError(status: number, error: Json, headers?: Record<string, string>): Reply {
  return { status, body: { error: { ...error, ...(error.code ? { doc_url: `${DOCS}#${String(error.code).replace(/_/g, '-')}` } : {}) } }, ...(headers ? { headers } : {}) };
}
const invalid = (message: string, code?: string, param?: string) =>
  stripeError(400, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });
const missing = (kind: string, id: string, param: string) =>
  stripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, param });

/** Stripe's list object; `starting_after` / `ending_before` are ids in newest-first order. */
function listReply(list: StripeList, params: Json, url: string, match: (item: Json) => boolean = () => true): Reply {
  const limit = params.limit === undefined ? 10 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('Invalid integer: limit must be between 1 and 100', 'parameter_invalid_integer', 'limit');
  const items = list.items.filter(match);
  let start = 0;
  let end = items.length;
  if (typeof params.starting_after === 'string') {
    const at = items.findIndex((i) => i.id === params.starting_after);
    if (at < 0) return missing('object', params.starting_after, 'starting_after');
    start = at + 1;
  } else if (typeof params.ending_before === 'string') {
    const at = items.findIndex((i) => i.id === params.ending_before);
    if (at < 0) return missing('object', params.ending_before, 'ending_before');
    end = at;
    start = Math.max(0, at - limit);
  }
  const data = items.slice(start, Math.min(end, start + limit));
  return { status: 200, body: { object: 'list', data, has_more: start + data.length < end || (params.ending_before !== undefined && start > 0), url } };
}

export function createPayments({ seed, limits }: VendorOptions): VendorSimulator {
  const scale = limits === 'relaxed' ? 1000 : 1;
  // Stripe's live-mode limit; test mode allows 25 per second (set rateLimit.max to match).
  const settings = { rateLimit: { max: 100 * scale, intervalMs: 1_000 } };
  const store = new StripeStore(seedData(seed));
  const window = new RollingWindow();
  const idempotency = new IdempotencyStore();

  function record(ctx: RequestContext | undefined, type: string, object: Json, now: number): Json {
    const request = ctx ? { id: ctx.responseHeaders['Request-Id'] ?? null, idempotency_key: ctx.idempotencyKey ?? null } : { id: null, idempotency_key: null };
    const event = store.event(stripeId('evt'), type, object, seconds(now), request);
    store.events.add(event);
    ctx?.emit(event);
    return event;
  }

  function expand(intent: Json, params: Json): Json {
    const wanted = Array.isArray(params.expand) ? params.expand : [];
    if (!wanted.includes('latest_charge') || typeof intent.latest_charge !== 'string') return intent;
    return { ...intent, latest_charge: store.charges.byId.get(intent.latest_charge) ?? intent.latest_charge };
  }

  /** Runs confirmation with a test payment method: pays, or declines with a 402 card_error. */
  function confirm(ctx: RequestContext, intent: Json, params: Json): Reply {
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(String(intent.status))) {
      return invalid(`You cannot confirm this PaymentIntent because it has a status of ${String(intent.status)}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_payment_method, requires_confirmation, requires_action.`, 'payment_intent_unexpected_state');
    }
    const method = typeof params.payment_method === 'string' ? params.payment_method : intent.payment_method;
    if (typeof method !== 'string') {
      return invalid("You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.", 'payment_intent_unexpected_state');
    }
    intent.payment_method = method;
    const declined = method === 'pm_card_chargeDeclined';
    const charge = store.charge(intent, stripeId('ch'), seconds(ctx.now), !declined);
    store.charges.add(charge);
    intent.latest_charge = charge.id;
    if (declined) {
      const error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', charge: charge.id };
      Object.assign(intent, { status: 'requires_payment_method', payment_method: null, last_payment_error: error });
      record(ctx, 'charge.failed', charge, ctx.now);
      record(ctx, 'payment_intent.payment_failed', intent, ctx.now);
      return stripeError(402, { ...error, payment_intent: intent });
    }
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, last_payment_error: null });
    record(ctx, 'charge.succeeded', charge, ctx.now);
    record(ctx, 'payment_intent.succeeded', intent, ctx.now);
    return { status: 200, body: expand(intent, params) };
  }

  function createIntent(ctx: RequestContext): Reply {
    const params = parseForm(ctx.rawBody);
    const unknown = Object.keys(params).find((k) => !CREATE_PARAMS.has(k));
    if (unknown) return invalid(`Received unknown parameter: ${unknown}`, 'parameter_unknown', unknown);
    if (params.amount === undefined) return invalid('Missing required param: amount.', 'parameter_missing', 'amount');
    if (!/^\d+$/.test(String(params.amount))) return invalid(`Invalid integer: ${String(params.amount)}`, 'parameter_invalid_integer', 'amount');
    if (params.currency === undefined) return invalid('Missing required param: currency.', 'parameter_missing', 'currency');
    const currency = String(params.currency).toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) return invalid(`Invalid currency: ${String(params.currency)}.`, undefined, 'currency');
    const amount = Number(params.amount);
    if (amount < 50) return invalid('Amount must be at least €0.50 eur', 'amount_too_small', 'amount');
    if (params.customer !== undefined && !String(params.customer).startsWith('cus_')) return missing('customer', String(params.customer), 'customer');
    const metadata = typeof params.metadata === 'object' && params.metadata !== null ? (params.metadata as Json) : {};
    const intent = store.intent({
      id: stripeId('pi'), amount, currency, customer: params.customer === undefined ? null : String(params.customer),
      description: params.description === undefined ? null : String(params.description), metadata,
      receipt_email: params.receipt_email === undefined ? null : String(params.receipt_email), created: seconds(ctx.now),
    });
    if (typeof params.payment_method === 'string') Object.assign(intent, { payment_method: params.payment_method, status: 'requires_confirmation' });
    if (params.capture_method === 'manual') intent.capture_method = 'manual';
    store.paymentIntents.add(intent);
    record(ctx, 'payment_intent.created', intent, ctx.now);
    if (params.confirm === 'true') {
      const confirmed = confirm(ctx, intent, params);
      return confirmed.status === 402 ? confirmed : { status: 200, body: expand(intent, params) };
    }
    return { status: 200, body: expand(intent, params) };
  }

  function refund(ctx: RequestContext): Reply {
    const params = parseForm(ctx.rawBody);
    const intent = typeof params.payment_intent === 'string' ? store.paymentIntents.byId.get(params.payment_intent) : undefined;
    const chargeId = typeof params.charge === 'string' ? params.charge : intent?.latest_charge;
    if (params.payment_intent !== undefined && !intent) return missing('payment_intent', String(params.payment_intent), 'payment_intent');
    if (typeof chargeId !== 'string') return invalid('One of the following params should be provided for this request: payment_intent or charge.', 'parameter_missing');
    const charge = store.charges.byId.get(chargeId);
    if (!charge) return missing('charge', chargeId, 'charge');
    const left = (charge.amount_captured as number) - (charge.amount_refunded as number);
    if (left <= 0) return invalid(`Charge ${chargeId} has already been refunded.`, 'charge_already_refunded');
    const amount = params.amount === undefined ? left : Number(params.amount);
    if (!Number.isInteger(amount) || amount < 1) return invalid(`Invalid integer: ${String(params.amount)}`, 'parameter_invalid_integer', 'amount');
    if (amount > left) return invalid(`Refund amount (€${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge (€${(left / 100).toFixed(2)})`, 'amount_too_large', 'amount');
    const created = {
      id: stripeId('re'), object: 'refund', amount, balance_transaction: stripeId('txn'), charge: chargeId, created: seconds(ctx.now),
      currency: charge.currency, metadata: typeof params.metadata === 'object' ? params.metadata : {}, payment_intent: charge.payment_intent,
      reason: params.reason ?? null, receipt_number: null, status: 'succeeded',
    };
    store.refunds.add(created);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    record(ctx, 'charge.refunded', charge, ctx.now);
    return { status: 200, body: created };
  }

  /** Stripe's idempotency: keyed on the header, fingerprinted by path and parameters. */
  async function keyed(ctx: RequestContext, run: () => Reply): Promise<Reply> {
    const key = ctx.header('idempotency-key');
    if (key === undefined) return run();
    if (key.length > 255) return invalid('Idempotency-Key must be at most 255 characters long.', undefined, 'Idempotency-Key');
    ctx.idempotencyKey = key;
    const params = [...new URLSearchParams(ctx.rawBody)].sort(([a], [b]) => a.localeCompare(b));
    const outcome = await idempotency.run(key, `${ctx.method} ${ctx.path} ${JSON.stringify(params)}`, run, (r) => r.status < 400 || r.status === 402 || r.status >= 500);
    const echo = { 'Idempotency-Key': key };
    switch (outcome.kind) {
      case 'fresh':
        return { ...outcome.reply, headers: { ...outcome.reply.headers, ...echo } };
      case 'replayed':
        return { ...outcome.reply, headers: { ...outcome.reply.headers, ...echo, 'Idempotent-Replayed': 'true' } };
      case 'mismatch':
        return stripeError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` });
      case 'in_flight':
        return stripeError(409, { type: 'idempotency_error', message: 'There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later.' }, { 'Stripe-Should-Retry': 'true' });
    }
  }

  const queryParams = (ctx: RequestContext) => parseForm(ctx.query.toString());
  const intentOf = (ctx: RequestContext) => store.paymentIntents.byId.get(ctx.params.intent ?? '');
  const withIntent = (handle: (ctx: RequestContext, intent: Json) => Reply) => (ctx: RequestContext) => {
    const intent = intentOf(ctx);
    return intent ? keyed(ctx, () => handle(ctx, intent)) : missing('payment_intent', ctx.params.intent ?? '', 'intent');
  };

  const routes: RouteSpec[] = [
    { method: 'POST', path: '/v1/payment_intents', handle: (ctx) => keyed(ctx, () => createIntent(ctx)) },
    { method: 'GET', path: '/v1/payment_intents', handle: (ctx) => { const p = queryParams(ctx); return listReply(store.paymentIntents, p, '/v1/payment_intents', (i) => p.customer === undefined || i.customer === p.customer); } },
    { method: 'GET', path: '/v1/payment_intents/{intent}', handle: (ctx) => { const i = intentOf(ctx); return i ? { status: 200, body: expand(i, queryParams(ctx)) } : missing('payment_intent', ctx.params.intent ?? '', 'intent'); } },
    {
      method: 'POST', path: '/v1/payment_intents/{intent}',
      handle: withIntent((ctx, intent) => {
        const params = parseForm(ctx.rawBody);
        if (typeof params.metadata === 'object' && params.metadata !== null) intent.metadata = { ...(intent.metadata as Json), ...(params.metadata as Json) };
        if (typeof params.description === 'string') intent.description = params.description;
        return { status: 200, body: intent };
      }),
    },
    { method: 'POST', path: '/v1/payment_intents/{intent}/confirm', handle: withIntent((ctx, intent) => confirm(ctx, intent, parseForm(ctx.rawBody))) },
    {
      method: 'POST', path: '/v1/payment_intents/{intent}/cancel',
      handle: withIntent((ctx, intent) => {
        if (intent.status === 'succeeded' || intent.status === 'canceled') {
          return invalid(`You cannot cancel this PaymentIntent because it has a status of ${String(intent.status)}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`, 'payment_intent_unexpected_state');
        }
        const reason = parseForm(ctx.rawBody).cancellation_reason;
        Object.assign(intent, { status: 'canceled', canceled_at: seconds(ctx.now), cancellation_reason: typeof reason === 'string' ? reason : null });
        record(ctx, 'payment_intent.canceled', intent, ctx.now);
        return { status: 200, body: intent };
      }),
    },
    { method: 'GET', path: '/v1/charges/{charge}', handle: (ctx) => { const c = store.charges.byId.get(ctx.params.charge ?? ''); return c ? { status: 200, body: c } : missing('charge', ctx.params.charge ?? '', 'id'); } },
    { method: 'POST', path: '/v1/refunds', handle: (ctx) => keyed(ctx, () => refund(ctx)) },
    {
      method: 'GET', path: '/v1/events',
      handle: (ctx) => {
        const p = queryParams(ctx);
        const types = Array.isArray(p.types) ? p.types.map(String) : typeof p.type === 'string' ? [p.type] : undefined;
        const matches = (type: unknown) => !types || types.some((t) => (t.endsWith('.*') ? String(type).startsWith(t.slice(0, -1)) : t === type));
        return listReply(store.events, p, '/v1/events', (e) => matches(e.type));
      },
    },
    { method: 'GET', path: '/v1/events/{id}', handle: (ctx) => { const e = store.events.byId.get(ctx.params.id ?? ''); return e ? { status: 200, body: e } : missing('event', ctx.params.id ?? '', 'id'); } },
  ];

  return {
    name: 'payments',
    credentials: { ...PAYMENTS_CREDENTIALS },
    settings,
    routes,
    decorate(ctx) {
      ctx.responseHeaders['Request-Id'] = `req_${randomString(ALNUM, 14)}`;
      ctx.responseHeaders['Stripe-Version'] = ctx.header('stripe-version') ?? API_VERSION;
    },
    guard(ctx) {
      const auth = ctx.header('authorization');
      const basic = /^basic\s+(\S+)$/i.exec(auth ?? '');
      const key = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] : bearer(auth);
      if (!key) {
        return stripeError(401, { type: 'invalid_request_error', message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/." }, { 'WWW-Authenticate': 'Basic realm="Stripe"' });
      }
      if (key !== PAYMENTS_CREDENTIALS.SECRET_KEY) {
        return stripeError(401, { type: 'invalid_request_error', code: 'api_key_invalid', message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` }, { 'WWW-Authenticate': 'Basic realm="Stripe"' });
      }
      const taken = window.take(ctx.now, settings.rateLimit.max, settings.rateLimit.intervalMs);
      return taken.allowed ? undefined : rateLimited(Math.ceil(taken.retryAfterMs / 1000));
    },
    errorReply(ctx, status, retryAfterSeconds) {
      if (status === 429) return rateLimited(retryAfterSeconds ?? 1);
      if (status === 401) return stripeError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' });
      if (status === 404) return stripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${ctx.method}: ${ctx.path}).` });
      if (status >= 500) return stripeError(status, { type: 'api_error', message: 'An unknown error occurred. Please try again later.' }, { 'Stripe-Should-Retry': 'true' });
      return invalid('The request could not be processed.');
    },
    notFound: (ctx) => stripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${ctx.method}: ${ctx.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` }),
    badRequest: (_ctx, message) => invalid(`Invalid request: ${message}`),
    collections: () => ({ payment_intents: store.paymentIntents.items, charges: store.charges.items, refunds: store.refunds.items, events: store.events.items }),
    webhooks: {
      types: EVENT_TYPES,
      build(type, id) {
        const intent = store.paymentIntents.byId.get(id) ?? store.paymentIntents.byId.get(String(store.charges.byId.get(id)?.payment_intent));
        if (!intent) return undefined;
        if (type.startsWith('payment_intent.')) return record(undefined, type, intent, Date.now());
        const charge = store.charges.byId.get(id) ?? store.charges.byId.get(String(intent.latest_charge));
        return charge && record(undefined, type, charge, Date.now());
      },
      sign(url, rawBody, now) {
        const t = seconds(now);
        const v1 = createHmac('sha256', PAYMENTS_CREDENTIALS.WEBHOOK_SECRET).update(`${t}.${rawBody}`).digest('hex');
        return { url, headers: { 'stripe-signature': `t=${t},v1=${v1}`, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' } };
      },
    },
  };
}

function rateLimited(retryAfterSeconds: number): Reply {
  return stripeError(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.' }, { 'Retry-After': String(Math.max(1, retryAfterSeconds)), 'Stripe-Should-Retry': 'true' });
}
