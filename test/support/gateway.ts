import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';

export interface GraphqlResponse<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }> };
  text: string;
}

export interface TestGateway extends Gateway {
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphqlResponse<T>>;
}

/**
 * A gateway on 127.0.0.1, port 0, with its own data directory, quiet logs and no demo
 * simulators unless the test passes them.
 */
export async function startTestGateway(env: Record<string, string | undefined>, options: Omit<GatewayOptions, 'env'> = {}): Promise<TestGateway> {
  const gateway = await startGateway({
    logger: createLogger({ level: 'silent' }),
    ...options,
    env: { LOG_LEVEL: 'silent', DEMO: 'false', DATA_DIR: mkdtempSync(join(tmpdir(), 'interchange-test-')), ...env },
    config: { port: 0, host: '127.0.0.1', ...options.config },
  });
  return Object.assign(gateway, {
    async query(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text), text };
    },
  });
}
