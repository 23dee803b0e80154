import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import type { FormattedExecutionResult } from 'graphql';
import { signStandardWebhooks } from '../../src/events/signatures/index.ts';
import { API_KEY, type PeopleBackend } from '../fixtures/people/backend.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import type { GatewayOptions } from '../../src/gateway.ts';

type ExecutionResult = FormattedExecutionResult<Record<string, unknown>, unknown>;

/**
 * Shared pieces of the security suites: an identity provider (RSA keys, a JWKS served over real
 * HTTP that counts its calls, token signing and forging), gateways on the security fixture over
 * the people backend (which counts every call that reaches it), raw HTTP and WebSocket clients.
 */

export const ISSUER = 'https://idp.example.test/';
export const AUDIENCE = 'interchange-api';
export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('security-suite-webhook-secret-0123').toString('base64');
export const FIXTURE = { CONNECTORS_DIR: 'test/security/fixtures/connectors', SCHEMA_DIR: 'test/security/fixtures/schema' };

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  jwk: Record<string, unknown>;
}

export function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

export interface JwksServer {
  url: string;
  /** Requests the identity provider received. */
  calls: number;
  publish(keys: SigningKey[]): void;
  close(): Promise<void>;
}

export async function startJwks(keys: SigningKey[]): Promise<JwksServer> {
  let published = keys;
  const state = { calls: 0 };
  const server = createServer((_req, res) => {
    state.calls++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    get calls() {
      return state.calls;
    },
    publish: (next) => void (published = next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Claims {
  sub?: string;
  scope?: string;
  scp?: string[];
  tenant?: string;
  [claim: string]: unknown;
}

/** The usual issuer, audience and 5-minute expiry, with `options` over them; `expiresIn: undefined` leaves `exp` out (or to the claims). */
function signOptions(options: jwt.SignOptions): jwt.SignOptions {
  const merged: jwt.SignOptions = { issuer: ISSUER, audience: AUDIENCE, expiresIn: 300, ...options };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name as keyof jwt.SignOptions];
  return merged;
}

/** A token as the identity provider issues it. */
export function signRs256(key: SigningKey, claims: Claims = { sub: 'user-1' }, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, key.privateKey, { algorithm: 'RS256', keyid: key.kid, ...signOptions(options) });
}

export function signHs256(secret: string, claims: Claims = { sub: 'user-1' }, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', ...signOptions(options) });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token built by hand, as an attacker would: any header, any payload, any (or no) signature. */
export function forge(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hmacKey === undefined ? '' : createHmac('sha256', hmacKey).update(input).digest('base64url')}`;
}

export const now = () => Math.floor(Date.now() / 1000);

export function gatewayEnv(backend: PeopleBackend, extra: Record<string, string> = {}): Record<string, string> {
  return { ...FIXTURE, PEOPLE_URL: backend.url, PEOPLE_API_KEY: API_KEY, PEOPLE_WEBHOOK_SECRET: WEBHOOK_SECRET, ...extra };
}

export function startSecurityGateway(backend: PeopleBackend, extra: Record<string, string> = {}, options: Omit<GatewayOptions, 'env'> = {}): Promise<TestGateway> {
  return startTestGateway(gatewayEnv(backend, extra), options);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** POST /graphql with any JSON body (an array for a batch) and headers. */
export async function post(gateway: { url: string }, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Opens a raw graphql-transport-ws socket, optionally sends connection_init, and resolves with how the server closed it. */
export function closeCodeOf(gatewayUrl: string, init: Record<string, unknown> | undefined, timeoutMs = 6_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const timer = setTimeout(() => reject(new Error('the server did not close the socket')), timeoutMs);
    socket.on('open', () => {
      if (init !== undefined) socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
    });
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
    socket.on('error', reject);
  });
}

/** Runs one operation over graphql-ws with `connectionParams`; resolves with the first result, or the error the client got. */
export function overWebSocket(gatewayUrl: string, query: string, connectionParams: Record<string, unknown>, onSubscribed?: () => Promise<void>): Promise<ExecutionResult | { error: unknown }> {
  const client = createClient({ url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams, lazy: true });
  return new Promise<ExecutionResult | { error: unknown }>((resolve) => {
    const done = (value: ExecutionResult | { error: unknown }) => {
      unsubscribe();
      void client.dispose();
      resolve(value);
    };
    const unsubscribe = client.subscribe({ query }, { next: (r) => done(r), error: (e) => done({ error: e }), complete: () => undefined });
    if (onSubscribed) setTimeout(() => void onSubscribed(), 300);
  });
}

/** A signed people-system webhook: `person.updated` for `id`. */
export async function deliverPersonUpdated(gateway: { url: string }, id: string): Promise<number> {
  const delivery = signStandardWebhooks({
    secret: WEBHOOK_SECRET,
    url: `${gateway.url}/webhooks/people`,
    body: JSON.stringify({ person: { id, name: `Person ${id}` } }),
    eventId: `evt_${randomUUID()}`,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const response = await fetch(delivery.url, { method: delivery.method, headers, body: delivery.rawBody });
  await response.arrayBuffer();
  return response.status;
}
