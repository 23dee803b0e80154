import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { signShopify } from '../src/events/signatures/sign.ts';
import { percentile } from './load.ts';
import { spread, type Budget, type Row } from './measure.ts';
import { cpuMs, sampleRss } from './processes.ts';
import { upstreamCalls, type Service, type Sims } from './services.ts';

/**
 * Scenario 8: webhook → subscriber. Shopify-signed `orders/create` deliveries are posted to
 * `/webhooks/shop` at a fixed rate while several graphql-ws clients hold an `orderCreated`
 * subscription. Latency is from just before the POST leaves to the event arriving at each
 * subscriber (both clocks are this process's), so it covers verification, the event log
 * write, the cache purge, the bus and the WebSocket push. Subscribers ask for no upstream data.
 */

const SUBSCRIBERS = 10;
const EVENTS_PER_SECOND = 50;
const SUBSCRIPTION = 'subscription { orderCreated { eventId } }';

export interface WebhookStats {
  sent: number;
  expectedDeliveries: number;
  delivered: number;
  ackP50: number;
  ackP99: number;
  deliveryP50: number;
  deliveryP99: number;
}

export async function webhookLatency(ctx: { sims: Sims; warm: Service; budget: Budget; log: (line: string) => void }): Promise<{ row: Row; stats: WebhookStats }> {
  const secret = ctx.sims.shop!.credentials.WEBHOOK_SECRET!;
  const pool = new Pool(ctx.warm.url, { connections: 16 });
  const sentAt = new Map<string, number>();
  const deliveries: number[] = [];
  const seenBy = new Map<string, number>();
  const clients: Client[] = [];
  let serial = 0;

  const post = async (eventId: string): Promise<number> => {
    const n = ++serial;
    const now = new Date().toISOString();
    const body = JSON.stringify({ id: 990_000_000 + n, name: `#B${n}`, email: `webhook.${n}@example.com`, financial_status: 'pending', created_at: now, updated_at: now });
    const delivery = signShopify({ secret, body, eventId });
    const started = performance.now();
    sentAt.set(eventId, started);
    const answer = await pool.request({ method: 'POST', path: '/webhooks/shop', headers: { ...delivery.headers, 'x-shopify-topic': 'orders/create' }, body: delivery.rawBody });
    await answer.body.dump();
    if (answer.statusCode !== 200) throw new Error(`the webhook was answered ${answer.statusCode}`);
    return performance.now() - started;
  };

  try {
    const wsUrl = `${ctx.warm.url.replace(/^http/, 'ws')}/graphql`;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
      clients.push(client);
      client.subscribe<{ orderCreated: { eventId: string } }>(
        { query: SUBSCRIPTION },
        {
          next: (result) => {
            const id = result.data?.orderCreated.eventId;
            const sent = id === undefined ? undefined : sentAt.get(id);
            if (id === undefined || sent === undefined) return;
            deliveries.push(performance.now() - sent);
            seenBy.set(id, (seenBy.get(id) ?? 0) + 1);
          },
          error: (error) => ctx.log(`  subscriber error: ${JSON.stringify(error).slice(0, 200)}`),
          complete: () => undefined,
        },
      );
    }
    // Subscriptions start asynchronously: probe until every subscriber hears one event.
    const until = Date.now() + 15_000;
    for (;;) {
      const probe = randomUUID();
      await post(probe);
      await sleep(200);
      if ((seenBy.get(probe) ?? 0) >= SUBSCRIBERS) break;
      if (Date.now() > until) throw new Error('the subscribers never all received a probe event');
    }
    deliveries.length = 0;

    const seconds = ctx.budget.seconds * ctx.budget.runs;
    const callsBefore = await upstreamCalls(ctx.sims);
    const cpuBefore = cpuMs(ctx.warm.child.pid);
    const rss = sampleRss(ctx.warm.child.pid);
    const acks: number[] = [];
    const ids: string[] = [];
    const inFlight: Promise<void>[] = [];
    const started = performance.now();
    const count = Math.round(seconds * EVENTS_PER_SECOND);
    for (let i = 0; i < count; i++) {
      const due = started + (i * 1000) / EVENTS_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const id = randomUUID();
      ids.push(id);
      inFlight.push(post(id).then((ms) => void acks.push(ms)));
    }
    await Promise.all(inFlight);
    const drainUntil = Date.now() + 5_000;
    while (Date.now() < drainUntil && ids.some((id) => (seenBy.get(id) ?? 0) < SUBSCRIBERS)) await sleep(50);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuMs(ctx.warm.child.pid) - cpuBefore;
    const peak = rss.stop();
    const callsAfter = await upstreamCalls(ctx.sims);
    const calls = Object.entries(callsAfter).reduce((n, [name, c]) => n + c - (callsBefore[name] ?? 0), 0);

    acks.sort((a, b) => a - b);
    deliveries.sort((a, b) => a - b);
    const stats: WebhookStats = {
      sent: ids.length,
      expectedDeliveries: ids.length * SUBSCRIBERS,
      delivered: ids.reduce((n, id) => n + (seenBy.get(id) ?? 0), 0),
      ackP50: percentile(acks, 0.5),
      ackP99: percentile(acks, 0.99),
      deliveryP50: percentile(deliveries, 0.5),
      deliveryP99: percentile(deliveries, 0.99),
    };
    const one = (v: number) => spread([v]);
    const row: Row = {
      scenario: '8. webhook → subscriber',
      system: 'gateway',
      latencyMs: 0,
      load: `${EVENTS_PER_SECOND} events/s × ${SUBSCRIBERS} subscribers`,
      rps: one(stats.delivered / elapsed),
      p50: one(stats.deliveryP50),
      p99: one(stats.deliveryP99),
      calls: one(calls / Math.max(1, ids.length)),
      minimumCalls: 0,
      cpuMsPerOp: one(cpu / Math.max(1, ids.length)),
      peakRssMb: peak,
      failures: stats.expectedDeliveries - stats.delivered,
      note: `req/s = deliveries/s; p50/p99 = POST sent → subscriber received; webhook answered p50 ${stats.ackP50.toFixed(1)} / p99 ${stats.ackP99.toFixed(1)} ms; ${stats.delivered}/${stats.expectedDeliveries} delivered; CPU per webhook`,
    };
    ctx.log(`  ${row.scenario}: delivery p50 ${stats.deliveryP50.toFixed(1)} ms, p99 ${stats.deliveryP99.toFixed(1)} ms, ${stats.delivered}/${stats.expectedDeliveries} delivered`);
    return { row, stats };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await pool.close();
  }
}
