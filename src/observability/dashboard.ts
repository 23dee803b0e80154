import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { Principal } from '../schema/context.ts';
import type { WriteService } from '../writes/service.ts';
import { connectorViews, graphqlViews, webhookViews, writesView, type DashboardData, type Windows } from './dashboard-data.ts';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT } from './dashboard-page.ts';
import { createSampleRing, takeSample } from './dashboard-samples.ts';
import type { Metrics } from './metrics.ts';

export type { DashboardData } from './dashboard-data.ts';

/**
 * The operations dashboard (DESIGN.md, "HTTP": `/dashboard`): what flows, what fails and what
 * waits, per connector, for GraphQL operations, writes and webhooks.
 *
 * - `GET /dashboard` is one self-contained page (inline CSS and script, no fonts or CDNs; its
 *   Content-Security-Policy forbids any other origin) that redraws from the data route every few
 *   seconds. It carries no data itself.
 * - `GET /dashboard/data` is the JSON the page draws (`DashboardData`), assembled from the
 *   metrics registry and the outbox on each request.
 *
 * "Last minute" figures need history: a snapshot of the registry is kept every `sampleEveryMs`
 * (an unref'd timer, so it never holds the process open; `stop()` clears it), and each request
 * compares a fresh snapshot with the one taken a minute before.
 *
 * Access: with `authorize` given and `production` on, the data route needs a principal with the
 * `admin` scope (401 without one, 403 without the scope). The page itself is public: it is a
 * static shell that shows nothing until the data route lets it.
 */

export interface DashboardOptions {
  metrics: Metrics;
  writes: WriteService;
  connectors: readonly NormalizedConnector[];
  production?: boolean | undefined;
  /** Who is asking, from the request's credentials; undefined when nobody is signed in. */
  authorize?: ((req: IncomingMessage) => Promise<Principal | undefined>) | undefined;
  /** Snapshot spacing for the "last minute" figures; default 5 s. */
  sampleEveryMs?: number | undefined;
}

export interface DashboardRoute {
  method: string;
  pattern: RegExp;
  handler: (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;
}

export interface Dashboard {
  routes: DashboardRoute[];
  /** The data the data route answers, for callers in-process. */
  data(): Promise<DashboardData>;
  stop(): void;
}

const WINDOW_MS = 60_000;
export const DASHBOARD_SCOPE = 'admin';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // The script is allowed by its hash: nothing injected into the page could run.
  'content-security-policy': [
    "default-src 'none'",
    `script-src 'sha256-${createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64')}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
};

export function createDashboard(options: DashboardOptions): Dashboard {
  const spacingMs = options.sampleEveryMs ?? 5_000;
  const ring = createSampleRing({ spacingMs, keepMs: WINDOW_MS });
  const registry = options.metrics.registry;
  const sampleNow = async () => {
    const sample = await takeSample(registry);
    ring.record(sample);
    return sample;
  };
  // The first snapshot is the baseline until a minute has passed: traffic counts from start-up.
  void sampleNow().catch(() => undefined);
  const timer = setInterval(() => void sampleNow().catch(() => undefined), spacingMs);
  timer.unref();

  async function data(): Promise<DashboardData> {
    const now = await sampleNow();
    const windows: Windows = { now, minuteAgo: ring.since(now.at, WINDOW_MS), since: (ageMs) => ring.since(now.at, ageMs) };
    const windowSeconds = Math.round((now.at - (windows.minuteAgo?.at ?? now.at)) / 1000);
    return {
      generatedAt: new Date(now.at).toISOString(),
      windowSeconds,
      connectors: connectorViews(options.connectors, windows),
      graphql: graphqlViews(windows, windowSeconds),
      writes: await writesView(options.writes, windows),
      webhooks: webhookViews(windows),
    };
  }

  /** Answers the refusal and returns false when the caller may not read the data. */
  async function admitted(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!options.production || !options.authorize) return true;
    const principal = await options.authorize(req).catch(() => undefined);
    if (principal?.scopes.includes(DASHBOARD_SCOPE)) return true;
    const [status, code] = principal ? [403, 'FORBIDDEN'] : [401, 'UNAUTHENTICATED'];
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    sendJson(res, status, { error: code, message: `the dashboard data needs a signed-in caller with scope ${DASHBOARD_SCOPE}` });
    return false;
  }

  return {
    routes: [
      {
        method: 'GET',
        pattern: /^\/dashboard\/?$/,
        async handler(_req, res) {
          res.writeHead(200, PAGE_HEADERS);
          res.end(DASHBOARD_PAGE);
        },
      },
      {
        method: 'GET',
        pattern: /^\/dashboard\/data$/,
        async handler(req, res) {
          if (!(await admitted(req, res))) return;
          sendJson(res, 200, await data());
        },
      },
    ],
    data,
    stop: () => clearInterval(timer),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}
