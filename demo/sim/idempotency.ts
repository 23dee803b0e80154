import type { Reply } from './types.ts';

export type IdempotentOutcome =
  | { kind: 'fresh'; reply: Reply }
  | { kind: 'replayed'; reply: Reply }
  /** The key was first used with other parameters (Stripe: 400 idempotency_error). */
  | { kind: 'mismatch' }
  /** The first request with this key has not answered yet (Stripe: 409). */
  | { kind: 'in_flight' };

interface Entry {
  fingerprint: string;
  reply?: Reply;
}

const CAPACITY = 50_000;

/**
 * Remembers the first answer per idempotency key. A replay returns that answer and writes
 * nothing. Answers `shouldStore` rejects (validation errors, by Stripe's rule) release the key
 * so the client may retry with corrected parameters. Oldest keys are forgotten past CAPACITY,
 * like the vendors' 24-hour expiry.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  async run(
    key: string,
    fingerprint: string,
    exec: () => Reply | Promise<Reply>,
    shouldStore: (reply: Reply) => boolean = () => true,
  ): Promise<IdempotentOutcome> {
    const existing = this.entries.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (!existing.reply) return { kind: 'in_flight' };
      return { kind: 'replayed', reply: existing.reply };
    }
    const entry: Entry = { fingerprint };
    this.entries.set(key, entry);
    if (this.entries.size > CAPACITY) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    try {
      const reply = await exec();
      if (shouldStore(reply)) entry.reply = structuredClone(reply);
      else this.entries.delete(key);
      return { kind: 'fresh', reply };
    } catch (err) {
      this.entries.delete(key);
      throw err;
    }
  }
}
