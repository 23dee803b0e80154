import type { IncomingMessage } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Principal } from '../schema/context.ts';
import { clientKey, headerValue, refusalError, type Gate } from './gate.ts';

/**
 * Authentication for graphql-ws. Browsers cannot set headers on a WebSocket, so the token
 * travels in `connection_init`'s payload (`connectionParams`): `{ authorization: "Bearer …" }`,
 * `{ Authorization: … }` or `{ token: "…" }`; a non-browser client may instead send the header
 * on the upgrade request. A bad token (or, when tokens are required, none) makes `onConnect`
 * answer false, which graphql-ws turns into close code 4403 Forbidden; a client that never sends
 * `connection_init` is closed with 4408 by graphql-ws's `connectionInitWaitTimeout`.
 *
 * The principal holds for the connection, and the socket is closed (4403) when its token
 * expires, so a subscription cannot outlive the credential it was opened with.
 */

/** What these hooks read of graphql-ws's per-connection context (`useServer`'s `Extra`). */
export interface WsConnection {
  readonly connectionParams?: Readonly<Record<string, unknown>> | undefined;
  readonly extra: {
    readonly socket: { close(code?: number, reason?: string): void; once(event: 'close', listener: () => void): unknown };
    readonly request: IncomingMessage;
  };
}

export interface WsAuth {
  onConnect(ctx: WsConnection): Promise<boolean>;
  principalOf(ctx: WsConnection): Principal | undefined;
  /** Spends one request of the connection's client budget per operation; an error to send when over. */
  throttle(ctx: WsConnection): Promise<readonly GraphQLError[] | undefined>;
}

/** setTimeout holds at most 2^31-1 ms (24.8 days); a token valid longer is closed at that point and can reconnect. */
const MAX_TIMER_MS = 2_147_483_647;

function credentialOf(ctx: WsConnection): string | undefined {
  const params = ctx.connectionParams ?? {};
  const given = params.authorization ?? params.Authorization ?? params.token;
  if (typeof given === 'string' && given !== '') return /^bearer\s/i.test(given) ? given : `Bearer ${given}`;
  if (given !== undefined) return 'Bearer invalid';
  return headerValue(ctx.extra.request.headers, 'authorization');
}

export function createWsAuth(gate: Gate): WsAuth {
  const principals = new WeakMap<object, Principal>();
  return {
    async onConnect(ctx) {
      const auth = await gate.authenticate(credentialOf(ctx));
      if (auth.kind === 'refused') return false;
      if (auth.kind === 'verified') {
        principals.set(ctx.extra, auth.principal);
        const timer = setTimeout(() => ctx.extra.socket.close(4403, 'Forbidden: the token expired'), Math.min(MAX_TIMER_MS, Math.max(0, auth.expiresAt - Date.now())));
        timer.unref();
        ctx.extra.socket.once('close', () => clearTimeout(timer));
      }
      return true;
    },
    principalOf: (ctx) => principals.get(ctx.extra),
    async throttle(ctx) {
      const refusal = await gate.throttle(clientKey(principals.get(ctx.extra), ctx.extra.request.socket.remoteAddress));
      return refusal ? [refusalError(refusal)] : undefined;
    },
  };
}
