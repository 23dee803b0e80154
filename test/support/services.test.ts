import { inject, it, expect } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';

it('the test Redis and PostgreSQL servers answer on loopback', async () => {
  const redis = new Redis(inject('redisUrl'));
  expect(await redis.ping()).toBe('PONG');
  redis.disconnect();
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const { rows } = await client.query('select 1 as one');
  expect(rows[0].one).toBe(1);
  await client.end();
});
