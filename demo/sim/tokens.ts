import { randomBytes } from 'node:crypto';

export type TokenCheck =
  | { state: 'valid'; expiresAt: number }
  | { state: 'expired'; expiresAt: number }
  | { state: 'unknown' };

/** Issued bearer tokens with their expiry; a token with TTL 0 is expired the moment it is issued. */
export class TokenStore {
  private readonly tokens = new Map<string, number>();

  constructor(private readonly prefix = '') {}

  issue(now: number, ttlSeconds: number, token = this.prefix + randomBytes(24).toString('base64url')): string {
    if (this.tokens.size > 10_000) this.purge(now);
    this.tokens.set(token, now + ttlSeconds * 1000);
    return token;
  }

  check(token: string | undefined, now: number): TokenCheck {
    if (!token) return { state: 'unknown' };
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined) return { state: 'unknown' };
    return now < expiresAt ? { state: 'valid', expiresAt } : { state: 'expired', expiresAt };
  }

  private purge(now: number): void {
    for (const [token, expiresAt] of this.tokens) if (expiresAt < now - 3_600_000) this.tokens.delete(token);
  }
}

/** The token of an `Authorization: Bearer <token>` header, case-insensitive scheme. */
export function bearer(authorization: string | undefined): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}
