import type { Keyv } from 'keyv';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { UpstreamSite } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HttpClient, OutgoingCall } from './client.ts';
import { createOAuth2 } from './oauth2.ts';

/**
 * How a connector proves who the gateway is. Built once per connector; secrets are looked up
 * once, here, and travel only into the outgoing call (never into logs, errors or metrics).
 */
export interface Auth {
  /** The call with credentials added, and the OAuth2 token used (for `renewAfterRefusal`). */
  apply(call: OutgoingCall, site: UpstreamSite): Promise<{ call: OutgoingCall; token: string | undefined }>;
  /**
   * The backend answered 401 to a call made with `token`. Resolves true when a renewed
   * credential is worth exactly one more try (OAuth2), false when retrying cannot help.
   */
  renewAfterRefusal(token: string | undefined, site: UpstreamSite): Promise<boolean>;
}

export interface AuthDeps {
  baseUrl: string;
  secret: (name: string) => string;
  tokens: Keyv;
  client: HttpClient;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
}

/** Header names are lower-cased everywhere in `http/`, so a credential replaces, never doubles, a header. */
const withHeader = (call: OutgoingCall, name: string, value: string): OutgoingCall => ({
  ...call,
  headers: { ...call.headers, [name.toLowerCase()]: value },
});

function staticAuth(add: (call: OutgoingCall) => OutgoingCall): Auth {
  return {
    apply: async (call) => ({ call: add(call), token: undefined }),
    renewAfterRefusal: async () => false,
  };
}

export function createAuth(connector: NormalizedConnector, deps: AuthDeps): Auth {
  const auth = connector.auth;
  switch (auth.type) {
    case 'none':
      return staticAuth((call) => call);
    case 'apiKey': {
      const value = deps.secret(auth.value.secret);
      const param = `${encodeURIComponent(auth.name)}=${encodeURIComponent(value)}`;
      return staticAuth((call) =>
        auth.in === 'header' ? withHeader(call, auth.name, value) : { ...call, search: call.search ? `${call.search}&${param}` : param },
      );
    }
    case 'bearer': {
      const value = `Bearer ${deps.secret(auth.token.secret)}`;
      return staticAuth((call) => withHeader(call, 'authorization', value));
    }
    case 'basic': {
      const pair = `${deps.secret(auth.username.secret)}:${deps.secret(auth.password.secret)}`;
      const value = `Basic ${Buffer.from(pair).toString('base64')}`;
      return staticAuth((call) => withHeader(call, 'authorization', value));
    }
    case 'bodyTokens': {
      const fields = Object.fromEntries(
        Object.entries(auth.fields).map(([name, v]) => [name, typeof v === 'string' ? v : deps.secret(v.secret)]),
      );
      // The declared tokens are written last: no body builder can replace a credential.
      return staticAuth((call) => {
        if (call.json !== undefined && (typeof call.json !== 'object' || call.json === null || Array.isArray(call.json))) {
          throw new TypeError(`${connector.name}: bodyTokens auth needs a JSON object body, got ${Array.isArray(call.json) ? 'an array' : typeof call.json}`);
        }
        return { ...call, json: { ...(call.json as Record<string, unknown> | undefined), ...fields } };
      });
    }
    case 'oauth2': {
      const source = createOAuth2(connector, auth, deps);
      return {
        async apply(call, site) {
          const token = await source.current(site);
          return { call: withHeader(call, 'authorization', `Bearer ${token}`), token };
        },
        async renewAfterRefusal(token, site) {
          if (token === undefined) return false;
          await source.renew(token, site);
          return true;
        },
      };
    }
    default: {
      const unknown: never = auth;
      throw new TypeError(`${connector.name}: unknown auth type ${JSON.stringify((unknown as { type: unknown }).type)}`);
    }
  }
}
