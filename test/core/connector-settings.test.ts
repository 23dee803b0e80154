import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConnectorSettings, type Environment } from '../../src/config/index.ts';
import { normalizeConnector } from '../../src/connectors/normalize.ts';

const withQuota = normalizeConnector({ name: 'shop', quota: { requests: 2, per: 'second', concurrency: 4 }, endpoints: {} }, 'test');
const withoutQuota = normalizeConnector({ name: 'crm', endpoints: {} }, 'test');

async function quotaOf(connector: typeof withQuota, environment: Environment) {
  const env = { [`${connector.name.toUpperCase()}_URL`]: 'http://127.0.0.1:9', ...environment };
  const settings = await resolveConnectorSettings([connector], loadConfig(env), env, async () => undefined);
  return settings[connector.name]!.quota;
}

describe('a connector quota from the environment', () => {
  it('keeps the declared quota when nothing is set', async () => {
    expect(await quotaOf(withQuota, {})).toEqual({ requests: 2, perMs: 1000, concurrency: 4 });
  });

  it('replaces the rate with <NAME>_QUOTA and keeps the declared concurrency', async () => {
    expect(await quotaOf(withQuota, { SHOP_QUOTA: '600/minute' })).toEqual({ requests: 600, perMs: 60_000, concurrency: 4 });
  });

  it('replaces the concurrency with <NAME>_CONCURRENCY, alone or with a new rate', async () => {
    expect(await quotaOf(withQuota, { SHOP_CONCURRENCY: '16' })).toEqual({ requests: 2, perMs: 1000, concurrency: 16 });
    expect(await quotaOf(withQuota, { SHOP_QUOTA: '40/second', SHOP_CONCURRENCY: '8' })).toEqual({ requests: 40, perMs: 1000, concurrency: 8 });
  });

  it('refuses a concurrency that is not a whole number of at least 1, naming the variable', async () => {
    for (const bad of ['0', '-2', '2.5', 'many']) {
      await expect(quotaOf(withQuota, { SHOP_CONCURRENCY: bad })).rejects.toThrow(`SHOP_CONCURRENCY must be a whole number of calls, at least 1, got "${bad}"`);
    }
  });

  it('refuses a concurrency for a connector with no quota, unless a rate is set too', async () => {
    await expect(quotaOf(withoutQuota, { CRM_CONCURRENCY: '8' })).rejects.toThrow(/CRM_CONCURRENCY applies to a quota/);
    expect(await quotaOf(withoutQuota, { CRM_QUOTA: '100/second', CRM_CONCURRENCY: '8' })).toEqual({ requests: 100, perMs: 1000, concurrency: 8 });
  });
});
