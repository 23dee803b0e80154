import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookScheme } from './types.ts';

export interface Delivery {
  at: number;
  url: string;
  status?: number;
  error?: string;
}

const DELIVERY_TIMEOUT_MS = 5_000;
const KEEP_DELIVERIES = 100;

/**
 * Sends vendor-shaped, signed webhooks to the registered targets. One attempt per target and
 * payload (the vendors retry; tests want exactly one delivery). Failures are kept in
 * `recent()` and never thrown, so a dead target cannot break the simulator.
 */
export class WebhookDispatcher {
  private readonly targets = new Set<string>();
  private readonly deliveries: Delivery[] = [];

  constructor(private readonly scheme: WebhookScheme) {}

  register(url: string): void {
    this.targets.add(url);
  }

  clear(): void {
    this.targets.clear();
  }

  list(): string[] {
    return [...this.targets];
  }

  recent(): Delivery[] {
    return [...this.deliveries];
  }

  async send(payload: unknown): Promise<Delivery[]> {
    if (this.targets.size === 0) return [];
    const { body, headers } = this.scheme.unwrap ? this.scheme.unwrap(payload) : { body: payload, headers: {} };
    const rawBody = JSON.stringify(body);
    return Promise.all([...this.targets].map((target) => this.deliver(target, rawBody, headers)));
  }

  private async deliver(target: string, rawBody: string, eventHeaders: Record<string, string>): Promise<Delivery> {
    const now = Date.now();
    const signed = this.scheme.sign(target, rawBody, now);
    const delivery: Delivery = { at: now, url: signed.url };
    try {
      delivery.status = await post(signed.url, rawBody, { ...eventHeaders, ...signed.headers });
    } catch (err) {
      delivery.error = (err as Error).message;
    }
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEEP_DELIVERIES) this.deliveries.shift();
    return delivery;
  }
}

function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
        timeout: DELIVERY_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`webhook target did not answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
