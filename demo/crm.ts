import { createHash, createHmac, randomUUID } from 'node:crypto';
import { seedData } from './seed.ts';
import { CrmContacts, hsError, READ_ONLY, type ContactRecord } from './crm-contacts.ts';
import { isObject } from './sim/faults.ts';
import { RollingWindow } from './sim/rate-limit.ts';
import { bearer, TokenStore } from './sim/tokens.ts';
import type { Reply, RequestContext, RouteSpec, VendorOptions, VendorSimulator } from './sim/types.ts';

/**
 * HubSpot CRM v3. OAuth tokens from `POST /oauth/v1/token` (client_credentials or
 * refresh_token), a ten-second rolling rate limit with the X-HubSpot-RateLimit-* headers, the
 * `properties` bag with string values, batch read answering 207 for partial misses, and v3
 * webhook signatures made with the app's client secret (so WEBHOOK_SECRET equals CLIENT_SECRET,
 * as with a real HubSpot app).
 */
export const CRM_CREDENTIALS = {
  CLIENT_ID: 'interchange-demo-crm-client',
  CLIENT_SECRET: 'demo-crm-client-secret-7d3f29a1',
  WEBHOOK_SECRET: 'demo-crm-client-secret-7d3f29a1',
  /** A long-lived refresh token, for gateways configured with the refresh_token grant. */
  REFRESH_TOKEN: 'demo-crm-refresh-token-1f6b0c2e',
} as const;

const PORTAL_ID = 24681357;
const APP_ID = 1357924;
const SUBSCRIPTIONS: Record<string, number> = { 'contact.creation': 40001, 'contact.propertyChange': 40002, 'contact.deletion': 40003 };

export function createCrm({ seed, limits }: VendorOptions): VendorSimulator {
  const scale = limits === 'relaxed' ? 1000 : 1;
  const settings = {
    tokenTtlSeconds: 1800,
    rateLimit: { max: 190 * scale, intervalMs: 10_000 },
    dailyLimit: 1_000_000 * scale,
    /** HubSpot's search index lags writes by a few seconds; 0 makes new records searchable at once. */
    searchIndexDelayMs: 0,
  };
  const contacts = new CrmContacts(seedData(seed).guests, () => settings.searchIndexDelayMs);
  const tokens = new TokenStore('CN');
  const refreshTokens = new Set<string>([CRM_CREDENTIALS.REFRESH_TOKEN]);
  const window = new RollingWindow();
  const daily = new RollingWindow();
  const notes: Array<Record<string, unknown>> = [];
  const notesById = new Map<string, Record<string, unknown>>();
  let nextNoteId = 90_001;
  let nextEventId = 1;

  function event(type: string, id: string, now: number, extra: Record<string, unknown> = {}) {
    return {
      eventId: nextEventId++,
      subscriptionId: SUBSCRIPTIONS[type],
      portalId: PORTAL_ID,
      appId: APP_ID,
      occurredAt: now,
      subscriptionType: type,
      attemptNumber: 0,
      objectId: Number(id),
      changeSource: 'API',
      ...extra,
    };
  }

  function token(ctx: RequestContext): Reply {
    const form = isObject(ctx.body) ? ctx.body : {};
    const clientId = form.client_id;
    if (clientId !== CRM_CREDENTIALS.CLIENT_ID) return hsTokenError('BAD_CLIENT_ID', 'missing or unknown client id');
    if (form.client_secret !== CRM_CREDENTIALS.CLIENT_SECRET) return hsTokenError('BAD_CLIENT_ID', 'client id and secret do not match');
    if (form.grant_type === 'refresh_token') {
      if (typeof form.refresh_token !== 'string' || !refreshTokens.has(form.refresh_token)) {
        return hsTokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      }
    } else if (form.grant_type !== 'client_credentials') {
      return hsTokenError('BAD_GRANT_TYPE', `unsupported grant_type ${String(form.grant_type ?? '(missing)')}`);
    }
    const refreshToken = form.grant_type === 'refresh_token' ? (form.refresh_token as string) : randomUUID();
    refreshTokens.add(refreshToken);
    return {
      status: 200,
      body: {
        token_type: 'bearer',
        refresh_token: refreshToken,
        access_token: tokens.issue(ctx.now, settings.tokenTtlSeconds),
        expires_in: settings.tokenTtlSeconds,
      },
    };
  }

  const routes: RouteSpec[] = [
    { method: 'POST', path: '/oauth/v1/token', public: true, write: false, handle: token },
    { method: 'GET', path: '/crm/v3/objects/contacts', handle: (ctx) => contacts.list(ctx) },
    { method: 'POST', path: '/crm/v3/objects/contacts/batch/read', write: false, handle: (ctx) => contacts.batchRead(ctx) },
    { method: 'POST', path: '/crm/v3/objects/contacts/search', write: false, handle: (ctx) => contacts.search(ctx) },
    { method: 'GET', path: '/crm/v3/objects/contacts/{contactId}', handle: (ctx) => contacts.get(ctx) },
    {
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      handle: (ctx) => {
        const result = contacts.create(ctx);
        if ('contact' in result) {
          ctx.emit([event('contact.creation', result.contact.id, ctx.now, { changeFlag: 'NEW' })]);
          return { status: 201, body: contacts.view(result.contact, propertyNames(result.contact)) };
        }
        return result.reply;
      },
    },
    {
      method: 'PATCH',
      path: '/crm/v3/objects/contacts/{contactId}',
      handle: (ctx) => {
        const result = contacts.update(ctx);
        if (!('contact' in result)) return result.reply;
        const changes = result.changed.map((name) =>
          event('contact.propertyChange', result.contact.id, ctx.now, { propertyName: name, propertyValue: result.contact.properties[name] ?? '' }),
        );
        if (changes.length > 0) ctx.emit(changes);
        return { status: 200, body: contacts.view(result.contact, propertyNames(result.contact)) };
      },
    },
    {
      method: 'DELETE',
      path: '/crm/v3/objects/contacts/{contactId}',
      handle: (ctx) => {
        // HubSpot answers 204 whether or not the contact existed: archiving is idempotent.
        const archived = contacts.archive(ctx.params.contactId ?? '', ctx.now);
        if (archived) ctx.emit([event('contact.deletion', archived.id, ctx.now)]);
        return { status: 204 };
      },
    },
    { method: 'POST', path: '/crm/v3/objects/notes', handle: (ctx) => createNote(ctx) },
    {
      method: 'GET',
      path: '/crm/v3/objects/notes/{noteId}',
      handle: (ctx) => {
        const note = notesById.get(ctx.params.noteId ?? '');
        return note ? { status: 200, body: note } : hsError(404, 'OBJECT_NOT_FOUND', 'resource not found');
      },
    },
  ];

  function createNote(ctx: RequestContext): Reply {
    const body = isObject(ctx.body) ? ctx.body : {};
    const props = isObject(body.properties) ? body.properties : {};
    if (props.hs_timestamp === undefined) {
      return hsError(400, 'VALIDATION_ERROR', 'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED_FIELD","name":"hs_timestamp"}]');
    }
    const associations = Array.isArray(body.associations) ? body.associations : [];
    for (const assoc of associations) {
      const toId = isObject(assoc) && isObject(assoc.to) ? String(assoc.to.id) : '';
      if (!contacts.find(toId)) {
        return hsError(400, 'VALIDATION_ERROR', `One or more associations are invalid: CONTACT ${toId} does not exist`);
      }
    }
    const id = String(nextNoteId++);
    const now = new Date(ctx.now).toISOString();
    const note = {
      id,
      properties: {
        hs_note_body: props.hs_note_body === undefined ? null : String(props.hs_note_body),
        hs_timestamp: String(props.hs_timestamp),
        hs_createdate: now,
        hs_lastmodifieddate: now,
        hs_object_id: id,
      },
      createdAt: now,
      updatedAt: now,
      archived: false,
      associations,
    };
    notes.push(note);
    notesById.set(id, note);
    return { status: 201, body: note };
  }

  return {
    name: 'crm',
    credentials: { ...CRM_CREDENTIALS },
    settings,
    routes,
    decorate(ctx) {
      ctx.responseHeaders['X-HubSpot-Correlation-Id'] = randomUUID();
    },
    guard(ctx) {
      const check = tokens.check(bearer(ctx.header('authorization')), ctx.now);
      if (check.state === 'unknown') {
        return hsError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');
      }
      if (check.state === 'expired') {
        const ago = Math.max(0, Math.round((ctx.now - check.expiresAt) / 1000));
        return hsError(401, 'EXPIRED_AUTHENTICATION', `The OAuth token used to make this call expired ${ago} second(s) ago.`, {
          context: { expiredAt: [new Date(check.expiresAt).toISOString()] },
        });
      }
      const { max, intervalMs } = settings.rateLimit;
      const taken = window.take(ctx.now, max, intervalMs);
      const day = daily.take(ctx.now, settings.dailyLimit, 86_400_000);
      Object.assign(ctx.responseHeaders, {
        'X-HubSpot-RateLimit-Interval-Milliseconds': String(intervalMs),
        'X-HubSpot-RateLimit-Max': String(max),
        'X-HubSpot-RateLimit-Remaining': String(taken.remaining),
        'X-HubSpot-RateLimit-Daily': String(settings.dailyLimit),
        'X-HubSpot-RateLimit-Daily-Remaining': String(day.remaining),
      });
      if (!taken.allowed) return rateLimited(Math.ceil(taken.retryAfterMs / 1000));
      return undefined;
    },
    errorReply(_ctx, status, retryAfterSeconds) {
      if (status === 429) return rateLimited(retryAfterSeconds ?? 1);
      if (status === 401) return hsError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
      if (status === 404) return hsError(404, 'OBJECT_NOT_FOUND', 'resource not found');
      if (status >= 500) {
        return hsError(status, status === 500 ? 'INTERNAL_ERROR' : 'SERVICE_UNAVAILABLE', 'internal error, please try again');
      }
      return hsError(status, 'VALIDATION_ERROR', 'request failed');
    },
    notFound: () => hsError(404, 'OBJECT_NOT_FOUND', 'resource not found'),
    badRequest: (_ctx, message) => hsError(400, 'VALIDATION_ERROR', `Invalid input JSON: ${message}`),
    collections: () => ({ contacts: contacts.all(), notes }),
    webhooks: {
      types: Object.keys(SUBSCRIPTIONS),
      build(type, id, extra) {
        const contact = contacts.find(id, true);
        if (!contact) return undefined;
        const propertyName = typeof extra.propertyName === 'string' ? extra.propertyName : 'email';
        const details: Record<string, unknown> =
          type === 'contact.propertyChange' ? { propertyName, propertyValue: contact.properties[propertyName] ?? '' } : {};
        if (type === 'contact.creation') details.changeFlag = 'NEW';
        return [event(type, contact.id, Date.now(), details)];
      },
      sign(url, rawBody, now) {
        const timestamp = String(now);
        const v3 = createHmac('sha256', CRM_CREDENTIALS.CLIENT_SECRET).update(`POST${signedUri(url)}${rawBody}${timestamp}`).digest('base64');
        const v1 = createHash('sha256').update(CRM_CREDENTIALS.CLIENT_SECRET + rawBody).digest('hex');
        return {
          url,
          headers: {
            'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon',
            'x-hubspot-signature-v3': v3,
            'x-hubspot-request-timestamp': timestamp,
            'x-hubspot-signature': v1,
            'x-hubspot-signature-version': 'v1',
          },
        };
      },
    },
  };
}

function propertyNames(contact: ContactRecord): string[] {
  return Object.keys(contact.properties).filter((name) => !READ_ONLY.has(name));
}

/**
 * HubSpot signs the request URI after decoding a fixed set of characters (its documented table:
 * %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B); everything else stays encoded.
 */
const SIGN_DECODED: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function signedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (e) => SIGN_DECODED[e.toUpperCase()] ?? e);
}

function rateLimited(retryAfterSeconds: number): Reply {
  return {
    status: 429,
    headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)) },
    body: {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: 'TEN_SECONDLY_ROLLING',
    },
  };
}

function hsTokenError(status: string, message: string): Reply {
  return { status: 400, body: { status, message, correlationId: randomUUID() } };
}
