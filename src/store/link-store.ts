import type { SqlStore } from './sql-store.ts';

/**
 * Record links: where one unified record (an `entity` such as `customer`, identified by a
 * `key` such as the email) lives in each system. Finding a customer's id in a system usually
 * costs a search call; the result is remembered here so every later read goes straight to the
 * record.
 */
export interface LinkStore {
  /** The record's id in every system it was linked in, by system name; `{}` when none. */
  get(entity: string, key: string): Promise<Readonly<Record<string, string>>>;
  /**
   * Remembers the record's id in `system`. Idempotent: setting the same id again changes
   * nothing (`found_at` keeps the first sighting); a different id replaces the old one, since the
   * system now answers with another record.
   */
  set(entity: string, key: string, system: string, externalId: string): Promise<void>;
  /** The unified key whose id in `system` is `externalId` (a webhook names only the latter). */
  findKey(entity: string, system: string, externalId: string): Promise<string | undefined>;
}

export function createLinkStore(store: SqlStore): LinkStore {
  return {
    async get(entity, key) {
      const rows = await store.query<{ system: string; external_id: string }>(
        'SELECT system, external_id FROM record_links WHERE entity = $1 AND entity_key = $2 ORDER BY system',
        [entity, key],
      );
      return Object.fromEntries(rows.map((row) => [row.system, row.external_id]));
    },
    async set(entity, key, system, externalId) {
      await store.exec(
        `INSERT INTO record_links (entity, entity_key, system, external_id, found_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (entity, entity_key, system) DO UPDATE
           SET external_id = excluded.external_id, found_at = excluded.found_at
           WHERE record_links.external_id <> excluded.external_id`,
        [entity, key, system, externalId, Date.now()],
      );
    },
    async findKey(entity, system, externalId) {
      const row = await store.one<{ entity_key: string }>(
        'SELECT entity_key FROM record_links WHERE entity = $1 AND system = $2 AND external_id = $3 ORDER BY found_at LIMIT 1',
        [entity, system, externalId],
      );
      return row?.entity_key;
    },
  };
}
