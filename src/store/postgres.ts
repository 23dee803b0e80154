import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { postgresDialect } from './dialect.ts';
import type { Connection, Driver, DriverResult, SqlParam } from './sql-store.ts';

/**
 * PostgreSQL adapter over a `pg` pool. BIGINT (int8) columns, and `count(*)`, come back from pg
 * as strings; this pool parses them to numbers so both engines return epoch-ms timestamps and
 * counts as `number`. A value beyond 2^53 fails loudly instead of silently losing precision.
 * The parser is set on this pool only: other pg users in the process keep pg's defaults.
 */
export function createPostgresDriver(options: { connectionString: string; poolSize: number; logger: Logger | undefined }): Driver {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
  });
  // An idle connection that drops (server restart) is reported here; unhandled, it would crash the process.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed'));

  const run = async (client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlParam[]): Promise<DriverResult> => {
    const result = await client.query(sql, params as SqlParam[]);
    return { rows: result.rows as DriverResult['rows'], rowCount: result.rowCount ?? 0 };
  };

  return {
    dialect: postgresDialect,
    run: (sql, params) => run(pool, sql, params),
    async transaction<T>(fn: (connection: Connection) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query(postgresDialect.begin);
        const result = await fn({ run: (sql, params) => run(client, sql, params) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError;
        }
        throw error;
      } finally {
        // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    close: () => pool.end(),
  };
}

function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === pg.types.builtins.INT8) return parseInt8;
  return pg.types.getTypeParser(oid, format ?? 'text');
}

function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`a BIGINT value (${value}) does not fit in a JavaScript number`);
  return parsed;
}
