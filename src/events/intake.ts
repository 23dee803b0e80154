import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Settings, WebhookDeliveryInfo } from '../connectors/define.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RouteHandler } from '../server/index.ts';
import type { NormalizedWebhooks } from './declaration.ts';
import { MappingError, type Ingest, type Recorded } from './ingest.ts';
import { readRawBody } from './raw-body.ts';
import type { VerificationFailure, WebhookDelivery } from './signatures/types.ts';

/**
 * `POST /webhooks/:connector`: raw bytes → signature → parse → the connector's mapping → cache
 * purge → log (de-duplicated by the vendor's event id) → 200 → bus.
 *
 * What a sender observes:
 * - 401 with an empty body when the signature does not verify (any reason): nothing was stored,
 *   purged or published.
 * - 200 with an empty body for a genuine delivery, once its events are durably logged — also
 *   for a redelivery (dropped) and for a delivery that maps to no events. Xero's
 *   intent-to-receive handshake (an empty, signed batch) needs exactly these two answers.
 * - 413 for a body over the connector's limit (never hashed), 404 for a connector without
 *   webhooks, 400 for a genuine body that is not JSON, 500 when the mapping fails (the sender
 *   retries; the failure is logged for us to fix).
 * The delivery URL is never logged: Mews carries its secret in the query string.
 */

export interface WebhookReceiver {
  webhooks: NormalizedWebhooks;
  /** Every active secret, in declaration order (the current one first). */
  secrets: readonly string[];
  settings: Settings;
  types: ReadonlySet<string>;
}

export interface IntakeDeps {
  receivers: ReadonlyMap<string, WebhookReceiver>;
  ingest: Ingest;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/** The URL the sender called, as HubSpot and Square sign it: scheme (through a proxy, its forwarded one), Host, path and query. */
export function receivedUrl(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  return `${proto}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0', ...(status === 413 ? { connection: 'close' } : {}) });
  res.end();
}

/** The signature check; on success, what the mapping may know of the delivery. */
function verify(receiver: WebhookReceiver, req: IncomingMessage, rawBody: Buffer, receivedAt: number): WebhookDeliveryInfo | VerificationFailure {
  const url = receivedUrl(req);
  const delivery: WebhookDelivery = { method: req.method ?? 'POST', url, headers: req.headers, rawBody };
  const verification = receiver.webhooks.schemeFor({ url, settings: receiver.settings }).verify(delivery, receiver.secrets, receivedAt);
  if (!verification.ok) return verification.reason;
  return {
    headers: req.headers,
    eventId: verification.eventId,
    timestamp: verification.timestamp,
    receivedAt,
    digest: createHash('sha256').update(rawBody).digest('hex'),
  };
}

export function createWebhookIntake(deps: IntakeDeps): RouteHandler {
  const now = deps.now ?? Date.now;
  const { metrics, logger } = deps;

  /** Maps, logs and purges; resolves with the bus announcement to make once the sender has its answer. */
  async function record(connector: string, receiver: WebhookReceiver, payload: unknown, info: WebhookDeliveryInfo): Promise<Recorded | undefined> {
    try {
      const recorded = await deps.ingest.record(connector, receiver.types, receiver.webhooks.events(payload, info), info.receivedAt);
      if (recorded.accepted.length > 0) metrics.webhooks.inc({ connector, outcome: 'accepted' }, recorded.accepted.length);
      if (recorded.duplicates.length > 0) metrics.webhooks.inc({ connector, outcome: 'duplicate' }, recorded.duplicates.length);
      return recorded;
    } catch (error) {
      metrics.webhooks.inc({ connector, outcome: 'rejected' });
      if (error instanceof MappingError) logger.error({ connector, problem: error.message }, 'webhook mapping produced an invalid event');
      else logger.error({ connector, err: error }, 'webhook could not be mapped or recorded');
      return undefined;
    }
  }

  return async (req, res, params) => {
    const connector = params.connector ?? '';
    const receiver = deps.receivers.get(connector);
    if (!receiver) return reply(res, 404);
    const rejected = (status: number, reason: string) => {
      metrics.webhooks.inc({ connector, outcome: 'rejected' });
      logger.info({ connector, reason, status }, 'webhook rejected');
      reply(res, status);
    };
    const body = await readRawBody(req, receiver.webhooks.maxBodyBytes);
    if (body.kind === 'too_large') {
      // The rest of the body is never read: close the connection once the answer is out.
      res.once('finish', () => req.destroy());
      return rejected(413, 'body_too_large');
    }
    const info = verify(receiver, req, body.bytes, now());
    if (typeof info === 'string') return rejected(401, info);
    let payload: unknown;
    try {
      payload = JSON.parse(body.bytes.toString('utf8'));
    } catch {
      return rejected(400, 'body_not_json');
    }
    const recorded = await record(connector, receiver, payload, info);
    if (!recorded) return reply(res, 500);
    reply(res, 200);
    await recorded.announce();
  };
}
