import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A purpose-built REST backend for the `http/` tests: a real node:http server on 127.0.0.1,
 * port 0, that records every call it receives (monotonic timestamp, method, raw path with query,
 * headers, body) and answers as each test scripts it. It can play an OAuth2 token endpoint and
 * then refuses data calls without a token it issued.
 */

export interface SeenCall {
  /** performance.now() when the request's body had arrived. */
  at: number;
  method: string;
  /** Raw request target, query string included, as the server received it. */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type Handler = (call: SeenCall) => Reply | Promise<Reply>;

export interface OAuthOptions {
  /** Default `/oauth/token`. */
  path?: string;
  clientId: string;
  clientSecret: string;
  /** Seconds; default 3600. */
  expiresIn?: number;
  /** Issue and require refresh tokens (refresh_token grant); the first valid one. */
  refreshToken?: string;
  /** Delay before the token endpoint answers. */
  delayMs?: number;
}

/** Answers in order; the last reply repeats once the list is used up. */
export function sequence(...replies: Reply[]): Handler {
  let next = 0;
  return () => replies[Math.min(next++, replies.length - 1)] ?? { status: 200 };
}

export interface Backend {
  url: string;
  calls: SeenCall[];
  /** Calls that were not for the token endpoint. */
  dataCalls(): SeenCall[];
  tokenCalls(): SeenCall[];
  handle(handler: Handler): void;
  /** Play an OAuth2 token endpoint; data calls then need `Bearer <issued token>`. */
  oauth(options: OAuthOptions): void;
  /** Tokens issued so far, oldest first. */
  issuedTokens(): string[];
  revokeTokens(): void;
  close(): Promise<void>;
}

export async function startBackend(handler: Handler = () => ({ status: 200, body: { ok: true } })): Promise<Backend> {
  const calls: SeenCall[] = [];
  let current = handler;
  let oauth: OAuthOptions | undefined;
  const issued: string[] = [];
  const valid = new Set<string>();
  let refresh: string | undefined;

  const tokenEndpoint = (call: SeenCall): Reply => {
    const o = oauth!;
    const form = new URLSearchParams(call.body);
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(call.headers.authorization ?? '');
    if (basic) {
      const [rawId = '', rawSecret = ''] = Buffer.from(basic[1]!, 'base64').toString().split(':');
      id = decodeURIComponent(rawId);
      secret = decodeURIComponent(rawSecret);
    }
    if (id !== o.clientId || secret !== o.clientSecret) return { status: 401, body: { error: 'invalid_client', secret_seen: secret } };
    const grant = form.get('grant_type');
    if (grant === 'refresh_token' && form.get('refresh_token') !== refresh) return { status: 400, body: { error: 'invalid_grant' } };
    if (grant !== 'client_credentials' && grant !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const token = `tok-${issued.length + 1}`;
    issued.push(token);
    valid.add(token);
    const body: Record<string, unknown> = { access_token: token, token_type: 'bearer', expires_in: o.expiresIn ?? 3600 };
    if (grant === 'refresh_token') body.refresh_token = refresh = `rt-${issued.length}`;
    return { status: 200, body, delayMs: o.delayMs };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://backend');
      const call: SeenCall = {
        at: performance.now(),
        method: req.method ?? 'GET',
        url,
        pathname: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      calls.push(call);
      let reply: Reply;
      if (oauth && call.pathname === (oauth.path ?? '/oauth/token')) reply = tokenEndpoint(call);
      else if (oauth && !valid.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) reply = { status: 401, body: { error: 'invalid_token' } };
      else reply = await current(call);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed) return;
      const json = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { ...(json && { 'content-type': 'application/json' }), ...reply.headers });
      res.end(json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const isToken = (c: SeenCall) => oauth !== undefined && c.pathname === (oauth.path ?? '/oauth/token');

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    dataCalls: () => calls.filter((c) => !isToken(c)),
    tokenCalls: () => calls.filter(isToken),
    handle(next) {
      current = next;
    },
    oauth(options) {
      oauth = options;
      refresh = options.refreshToken;
    },
    issuedTokens: () => [...issued],
    revokeTokens: () => valid.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Most calls that arrived within any window of `windowMs` (a sliding window over the stamps). */
export function maxInWindow(stamps: readonly number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
