import DataLoader from 'dataloader';
import type { LinkStore } from '../store/link-store.ts';
import type { RecordLinks } from '../schema/context.ts';

/**
 * Per-request view of the durable record links: every system's id for one record is read with
 * one SQL query, however many fields of the operation ask for it.
 */
export function createRequestLinks(store: LinkStore): RecordLinks {
  const records = new DataLoader<string, Readonly<Record<string, string>>>(
    (ids) => Promise.all(ids.map((id) => {
      const split = id.indexOf('\u0000');
      return store.get(id.slice(0, split), id.slice(split + 1));
    })),
  );
  return {
    async get(entity, key, system) {
      return (await records.load(`${entity}\u0000${key}`))[system];
    },
    async set(entity, key, system, externalId) {
      await store.set(entity, key, system, externalId);
      records.clear(`${entity}\u0000${key}`);
    },
  };
}
